// `npm run bench`: asyncmq's numbers on this machine, each measurement in a fresh process.
// Usage: node bench/run.js [memory|sqlite|redis|postgres|peers ...]   (default: all but peers; Redis
// and Postgres use REDIS_URL / DATABASE_URL, else the local default ports)
// `peers`: asyncmq side by side with BullMQ, pg-boss, graphile-worker and a hand-written
// better-sqlite3 loop (naive-sqlite) (bench/peers/), opt-in;
// `peers --repeat 3` (or BENCH_REPEAT=3) runs each pair three times and shows the medians.
// `backlog [N]`: a backlog of N jobs (default 1,000,000) on SQLite, Redis and Postgres, asyncmq and
// its peers on each engine (bench/peers/backlog.js), opt-in.
// `multiqueue`: one runtime over 2 busy queues, and over 1 busy + 1 empty queue, against one queue
// (bench/multiqueue.js), on each engine, opt-in.
// `processes`: 1 then 4 worker processes draining one queue on Redis and on Postgres, with the CPU
// of the machine, the engine and the workers (bench/processes.js), opt-in.
// `sandbox [--repeat R]`: sandboxed handlers (worker threads, child processes) against in-process
// ones on memory and SQLite (bench/sandbox.js), opt-in; with --repeat, medians of R rounds.
// `idle [seconds]`: what idle workers cost, 20 processes x 10 queues on a private Redis and Postgres
// (bench/idle-cost.js; BENCH_BEFORE=<another build's dist> measures it too, for a before/after), opt-in.
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { backlogTable } from "./peers/backlog.js";
import { fmt, parseRepeat, peers } from "./peers/suite.js";
import { processScaling } from "./processes.js";
import { sandboxTable } from "./sandbox.js";

const one = fileURLToPath(new URL("./one.js", import.meta.url));
const argv = process.argv.slice(2);
const repeatAt = argv.indexOf("--repeat");
const peerArgs = repeatAt >= 0 ? argv.slice(repeatAt, repeatAt + 2) : [];
const wanted = argv.filter((_, i) => repeatAt < 0 || (i !== repeatAt && i !== repeatAt + 1));
if (peerArgs.length && !wanted.includes("peers") && !wanted.includes("sandbox")) {
  throw new Error("--repeat applies to `peers` and `sandbox` only");
}
const want = (name) => wanted.length === 0 || wanted.includes(name);
const backlogAt = wanted.indexOf("backlog");
const backlogJobs =
  backlogAt >= 0 && /^\d+$/.test(wanted[backlogAt + 1] ?? "") ? Number(wanted[backlogAt + 1]) : 1_000_000;
if (backlogAt >= 0 && wanted[backlogAt + 1] === String(backlogJobs)) wanted.splice(backlogAt + 1, 1);
const idleAt = wanted.indexOf("idle");
const idleSeconds =
  idleAt >= 0 && /^\d+$/.test(wanted[idleAt + 1] ?? "") ? wanted.splice(idleAt + 1, 1)[0] : "60";
const OPT_IN = ["peers", "backlog", "sandbox", "multiqueue", "processes", "idle"];
const onlyPeers = wanted.every((w) => OPT_IN.includes(w));

function measure(kind, metric, ...args) {
  const out = execFileSync(process.execPath, [one, kind, metric, ...args.map(String)], { encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1));
}

/** A busy loop that ends after 5 minutes, or once its parent is gone (an interrupted bench). */
const SPIN =
  "const end = Date.now() + 300000; const parent = process.ppid;" +
  "while (Date.now() < end && process.ppid === parent) for (let i = 0; i < 1e6; i++);";

/**
 * Runs `fn` while another process keeps one core busy (a busy neighbour on the machine), and stops
 * that process afterwards, also when `fn` throws.
 */
function withBusyNeighbour(fn) {
  const spinner = spawn(process.execPath, ["-e", SPIN], { stdio: "ignore" });
  const stop = () => spinner.kill("SIGKILL");
  process.once("exit", stop);
  try {
    return fn();
  } finally {
    stop();
    process.removeListener("exit", stop);
  }
}

function row(kind, label, value, target = "") {
  console.log(`${kind.padEnd(8)} ${label.padEnd(62)} ${value.padStart(16)}   ${target}`);
}

function suite(kind, t) {
  row(kind, "bulk insert, 100k jobs (jobs/s)", fmt(measure(kind, "bulkInsert", 100_000)), t.bulk);
  if (t.busyBulk) {
    const busy = withBusyNeighbour(() => measure(kind, "bulkInsert", 100_000));
    row(kind, "bulk insert, 100k jobs, one core busy elsewhere (jobs/s)", fmt(busy), t.busyBulk);
  }
  for (const c of [1, 50, 100]) {
    const n = c === 1 ? t.n1 : t.n;
    const value = fmt(measure(kind, "throughput", n, c));
    row(kind, `throughput, no-op, concurrency ${c} (jobs/s)`, value, c === 50 ? t.tp50 : "");
  }
  const lat = measure(kind, "latency", 300);
  row(kind, "enqueue-to-start p50 / p99 (ms)", `${fmt(lat.p50, 2)} / ${fmt(lat.p99, 2)}`, t.lat);
  if (t.cross) {
    const x = measure(kind, "crossProcessLatency", 200);
    row(
      kind,
      "enqueue-to-start, producer in another process p50 / p99 (ms)",
      `${fmt(x.p50, 2)} / ${fmt(x.p99, 2)}`,
      t.cross,
    );
  }
  const late = measure(kind, "delayedLateness", 300, 1000);
  row(kind, "delayed lateness p50 / p99 (ms)", `${fmt(late.p50, 1)} / ${fmt(late.p99, 1)}`, t.late);
  row(kind, "idle CPU, concurrency 50 (% of a core)", fmt(measure(kind, "idleCpu", 2000), 2), "near 0");
}

if (!onlyPeers) {
  console.log(`asyncmq bench on node ${process.version}, ${new Date().toISOString()}`);
  console.log(`${"backend".padEnd(8)} ${"metric".padEnd(62)} ${"value".padStart(16)}   target`);
}
if (want("memory")) {
  suite("memory", { bulk: "", n: 200_000, n1: 50_000, tp50: ">= 100,000", lat: "p50 < 1", late: "p99 < 10" });
}
if (want("sqlite")) {
  suite("sqlite", {
    bulk: ">= 100,000",
    busyBulk: ">= 100,000",
    n: 50_000,
    n1: 10_000,
    tp50: ">= 15,000",
    lat: "p50 < 2",
    cross: "p50 < 50",
    late: "",
  });
}
if (want("redis")) {
  suite("redis", { bulk: "", n: 50_000, n1: 5_000, tp50: "", lat: "", cross: "-", late: "" });
}
if (want("postgres")) {
  suite("postgres", { bulk: "", n: 20_000, n1: 2_000, tp50: "", lat: "", cross: "-", late: "" });
}
/** Medians of three runs of each multi-queue setup, interleaved: jobs/s and the worker's CPU per job. */
function multiQueueRows(kind, n) {
  const setups = [
    ["1 queue", [1, 0], ""],
    ["2 busy queues, one runtime", [2, 0], "about 1 queue's"],
    ["1 busy + 1 empty queue, one runtime", [1, 1], "about 1 queue's"],
  ];
  const runs = setups.map(() => []);
  for (let i = 0; i < 3; i++) {
    for (const [k, [, queues]] of setups.entries())
      runs[k].push(measure(kind, "multiQueue", n, 50, ...queues));
  }
  const median = (list, key) => list.map((r) => r[key]).sort((a, b) => a - b)[1];
  for (const [k, [label, , target]] of setups.entries()) {
    const value = `${fmt(median(runs[k], "jobsPerSec"))} / ${fmt(median(runs[k], "cpuMicrosPerJob"), 1)}`;
    row(kind, `${label}, c=50 (jobs/s / worker CPU us per job)`, value, target);
  }
  const idle = fmt(median(runs[2], "emptyClaimsPerSec"), 1);
  row(kind, "  claims on the empty queue meanwhile (per s)", idle, "<= 1 / scanInterval");
}

if (wanted.includes("multiqueue")) {
  console.log(`asyncmq multi-queue bench on node ${process.version}, ${new Date().toISOString()}`);
  const sizes = { memory: 100_000, sqlite: 30_000, redis: 30_000, postgres: 10_000 };
  for (const [kind, n] of Object.entries(sizes)) multiQueueRows(kind, n);
}
if (wanted.includes("processes")) await processScaling();
if (wanted.includes("sandbox")) {
  console.log(`asyncmq sandbox bench on node ${process.version}, ${new Date().toISOString()}`);
  sandboxTable(measure, row, parseRepeat(peerArgs));
}
if (wanted.includes("peers")) await peers(peerArgs);
if (wanted.includes("backlog")) await backlogTable(backlogJobs);
if (wanted.includes("idle")) {
  const idleCost = fileURLToPath(new URL("./idle-cost.js", import.meta.url));
  const before = process.env.BENCH_BEFORE ? ["--before", process.env.BENCH_BEFORE] : [];
  execFileSync(process.execPath, [idleCost, "--seconds", idleSeconds, ...before], { stdio: "inherit" });
}
