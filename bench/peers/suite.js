// `node bench/run.js peers [--repeat R]`: asyncmq next to its peers on the same engine, in one run on
// this machine, each peer in two modes: `defaults` and `tuned` (its best documented settings; each
// driver's header says which and where they are documented). Each number comes from a fresh process:
// asyncmq through bench/one.js, each peer through its driver in this folder. With R > 1 (or
// BENCH_REPEAT=R) every pair runs R times, asyncmq and the peer alternately, and the table shows the
// median of each side and the ratio of the medians. Ratios: asyncmq/peer for jobs/s, peer/asyncmq
// for ms (> 1: asyncmq better). BENCH_PEERS=bullmq,pg-boss runs only those peers (none: no peer);
// naive-sqlite is a hand-written better-sqlite3 loop, the floor for the SQLite backend. asyncmq runs
// at its defaults on every row, and next to a tuned peer also at its own best documented setting for
// many short jobs where it has one (`prefetch`, docs/workers.md: the counterpart of graphile-worker's
// local queue), on a row of its own labelled so.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import IORedis from "ioredis";
import pg from "pg";

export const here = (file) => fileURLToPath(new URL(file, import.meta.url));
export const fmt = (n, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// asyncmq's `prefetch` on its tuned rows: jobs held beyond the concurrency of 50, as graphile-worker
// tuned holds 500 in its local queue (450 + 50 running). SQLite has no such row: prefetch saves a wait
// on a server's answer, and SQLite's calls do not wait on one (docs/workers.md).
const PREFETCH = 450;

// Sizes per pair; both sides of a row always get the same N, payload and samples. The tuned modes
// move thousands of jobs a second, so their rows run more jobs than the defaults rows (a run of
// under a second would mostly time the start-up); pg-boss at its defaults polls its way through
// ~100 jobs/s, so its defaults row runs fewer jobs and its latency fewer samples. `backlog`: the
// tuned throughput rows again over that many jobs. asyncmq drains 20,000 in 0.4-1 s, a third of it
// its start-up (connections, Node's compiler: docs/performance.md), while a worker under a backlog
// runs for hours; the longer run shows more of each side's pace once started. On Postgres each
// side's tables are ANALYZEd once its jobs are in (bench/analyze.js).
const PAIRS = [
  {
    engine: "redis",
    peer: "bullmq",
    bulk: 100_000,
    samples: 300,
    backlog: 100_000,
    // BullMQ tuned removes finished jobs: so does asyncmq on that row.
    modes: {
      defaults: { n: 20_000 },
      tuned: { n: 20_000, ours: { BENCH_REMOVE_ON_COMPLETE: "1" }, prefetch: PREFETCH },
    },
  },
  {
    engine: "sqlite",
    peer: "naive-sqlite",
    bulk: 100_000,
    samples: 200,
    modes: { defaults: { n: 20_000 }, tuned: { n: 20_000 } },
  },
  {
    engine: "postgres",
    peer: "pg-boss",
    bulk: 20_000,
    samples: 50,
    backlog: 100_000,
    modes: { defaults: { n: 2_000 }, tuned: { n: 20_000, prefetch: PREFETCH } },
  },
  {
    engine: "postgres",
    peer: "graphile-worker",
    bulk: 20_000,
    samples: 200,
    backlog: 100_000,
    // graphile-worker deletes a job once it completes (in both modes): so does asyncmq on its rows.
    modes: {
      defaults: { n: 10_000, ours: { BENCH_REMOVE_ON_COMPLETE: "1" } },
      tuned: { n: 20_000, ours: { BENCH_REMOVE_ON_COMPLETE: "1" }, prefetch: PREFETCH },
    },
  },
];
const CONCURRENCY = 50;
const TIMEOUT_MS = 10 * 60_000; // one measurement; pg-boss defaults latency takes ~30 s

/** Creates the scratch database `asyncmq_bench` when DATABASE_URL is not given. */
export async function ensureDatabase() {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const admin = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/postgres" });
  await admin.connect();
  const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'asyncmq_bench'");
  if (rowCount === 0) await admin.query("CREATE DATABASE asyncmq_bench");
  await admin.end();
  return "postgres://postgres@127.0.0.1:5432/asyncmq_bench";
}

/**
 * Removes what a measurement process that failed may have left: its schema (asyncmq, graphile-worker,
 * pg-boss), its Redis keys (asyncmq, BullMQ) and its SQLite folder (naive-sqlite), all named after
 * its pid. A process that succeeded has removed them itself.
 */
export async function sweep(pid, env) {
  rmSync(join(tmpdir(), `bench_naive-sqlite_${pid}`), { recursive: true, force: true });
  const schemas = [`bench_${pid}`, `bench_gw_${pid}`, `bench_pgboss_${pid}`];
  const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 1 });
  try {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await pool.end();
  }
  const redis = new IORedis(env.REDIS_URL ?? "redis://127.0.0.1:6379");
  try {
    for (const match of [`bench_${pid}:*`, `bench_bullmq_${pid}:*`]) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", match, "COUNT", 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== "0");
    }
  } finally {
    await redis.quit();
  }
}

/** The first line of a process's output that reads as an error message (not a stack frame). */
function firstError(text) {
  const lines = text.split("\n").map((l) => l.trim());
  return lines.find((l) => /^(\w*Error|error)\b[:[]/.test(l)) ?? lines.find((l) => l && !l.startsWith("at "));
}

/**
 * Runs one measurement process (killed after `timeout` ms); returns its result, or `{ error }` (after
 * sweeping up after it).
 */
export async function spawnJson(file, args, env, timeout = TIMEOUT_MS) {
  const r = spawnSync(process.execPath, [file, ...args.map(String)], {
    encoding: "utf8",
    env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status === 0) {
    try {
      const last = JSON.parse(r.stdout.trim().split("\n").at(-1));
      return typeof last === "number" ? { value: last } : last;
    } catch {
      // falls through to the error below
    }
  }
  const why = r.error
    ? r.error.message
    : r.signal
      ? `killed by ${r.signal}`
      : firstError(`${r.stderr}\n${r.stdout}`) || `exit code ${r.status}`;
  process.stderr.write(`FAILED: node ${file} ${args.join(" ")}: ${why}\n${r.stderr ?? ""}`);
  if (r.pid)
    await sweep(r.pid, env).catch((e) => process.stderr.write(`sweep of ${r.pid} failed: ${e.message}\n`));
  return { error: why };
}

/** The rows of one pair: what asyncmq runs, what the peer runs, and how to read the results. */
function rowsOf({ engine, peer, bulk, samples, backlog, modes }) {
  const rows = [
    {
      metric: `bulk insert, ${fmt(bulk)} jobs (jobs/s)`,
      peer: `${peer} (both modes)`,
      ours: { args: [engine, "bulkInsert", bulk] },
      theirs: ["defaults", "bulkInsert", bulk],
      read: [["value", "jobs/s"]],
    },
  ];
  const throughputRows = (mode, n, { ours = {}, prefetch }) => {
    const note = ours.BENCH_REMOVE_ON_COMPLETE ? ", both remove jobs" : "";
    const row = (label, env) => ({
      metric: `throughput, c=${CONCURRENCY}, ${fmt(n)} jobs${label}${note} (jobs/s)`,
      peer: `${peer} (${mode})`,
      ours: { args: [engine, "throughput", n, CONCURRENCY], env },
      theirs: [mode, "throughput", n, CONCURRENCY],
      read: [["value", "jobs/s"]],
    });
    rows.push(row("", ours));
    if (prefetch)
      rows.push(row(`, asyncmq prefetch ${prefetch}`, { ...ours, BENCH_PREFETCH: String(prefetch) }));
  };
  for (const [mode, settings] of Object.entries(modes)) throughputRows(mode, settings.n, settings);
  if (backlog) throughputRows("tuned", backlog, modes.tuned);
  for (const [mode, { ours = {} }] of Object.entries(modes)) {
    const note = ours.BENCH_REMOVE_ON_COMPLETE ? ", both remove jobs" : "";
    rows.push({
      metric: `enqueue-to-start {q}, ${samples} samples${note} (ms)`,
      peer: `${peer} (${mode})`,
      ours: { args: [engine, "latency", samples], env: ours },
      theirs: [mode, "latency", samples],
      read: [
        ["p50", "ms"],
        ["p99", "ms"],
      ],
    });
  }
  return rows;
}

/**
 * The entries of `list` (each with a `peer`) whose peer BENCH_PEERS names (comma-separated; `none`
 * for none), all of them when it is not set.
 */
export function chosenPeers(list) {
  const only = process.env.BENCH_PEERS?.split(",").map((s) => s.trim());
  if (!only) return list;
  const known = new Set(list.map((p) => p.peer));
  const unknown = only.filter((p) => p !== "none" && !known.has(p));
  if (unknown.length) {
    throw new Error(
      `BENCH_PEERS: unknown peer "${unknown.join(", ")}"; one of ${[...known].join(", ")}, none`,
    );
  }
  return list.filter((p) => only.includes(p.peer));
}

export function parseRepeat(argv) {
  const at = argv.indexOf("--repeat");
  const raw = at >= 0 ? argv[at + 1] : (process.env.BENCH_REPEAT ?? "1");
  const r = Number(raw);
  if (!Number.isInteger(r) || r < 1) {
    throw new Error(`--repeat / BENCH_REPEAT must be a whole number of at least 1, got "${raw}"`);
  }
  return r;
}

export async function peers(argv = []) {
  const repeat = parseRepeat(argv);
  const env = { ...process.env, DATABASE_URL: await ensureDatabase() };
  const pairs = chosenPeers(PAIRS);
  const ours = (args, extra = {}) => spawnJson(here("../one.js"), args, { ...env, ...extra });
  const theirs = (peer, args) => spawnJson(here(`./${peer}.js`), args, env);
  const settings = new Map(); // peer label -> settings strings it reported
  const failures = [];
  const rawLines = [];

  console.log(`asyncmq vs peers on node ${process.version}, ${new Date().toISOString()}`);
  console.log(`redis ${env.REDIS_URL ?? "redis://127.0.0.1:6379"}, postgres ${env.DATABASE_URL}`);
  console.log(
    repeat > 1
      ? `each row: ${repeat} runs, asyncmq and the peer alternately; median of each side, ratio of the medians`
      : "each row: one run of each side (--repeat 3 for medians of three)",
  );
  const head = ["engine", "metric", "asyncmq", "peer", "peer value", "ratio"];
  const widths = [8, 80, 10, 26, 10, 6];
  const line = (cells) =>
    console.log(
      cells.map((c, i) => (i < 2 || i === 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" "),
    );
  line(head);

  for (const pair of pairs) {
    const rows = rowsOf(pair);
    const results = rows.map(() => ({ ours: [], theirs: [] }));
    for (let round = 0; round < repeat; round++) {
      // Each side runs once per round for each distinct measurement (the defaults and tuned rows of a
      // metric share asyncmq's run when they ask for the same thing, asyncmq's two tuned throughput
      // rows the peer's), asyncmq's each time just before the peer's.
      const ran = new Map();
      const theirsRan = new Map();
      for (const [i, row] of rows.entries()) {
        const key = JSON.stringify(row.ours);
        if (!ran.has(key)) ran.set(key, await ours(row.ours.args, row.ours.env));
        results[i].ours.push(ran.get(key));
        const theirsKey = JSON.stringify(row.theirs);
        if (!theirsRan.has(theirsKey)) theirsRan.set(theirsKey, await theirs(pair.peer, row.theirs));
        const t = theirsRan.get(theirsKey);
        results[i].theirs.push(t);
        if (t.settings) {
          if (!settings.has(row.peer)) settings.set(row.peer, new Set());
          settings.get(row.peer).add(t.settings);
        }
      }
    }
    for (const [i, row] of rows.entries()) {
      const { ours: a, theirs: b } = results[i];
      const failed = [...a, ...b].find((r) => r.error);
      if (failed) {
        failures.push(
          `${pair.engine} ${row.metric.replace("{q}", "p50/p99")} / ${row.peer}: ${failed.error}`,
        );
      }
      for (const [field, unit] of row.read) {
        const metric = row.metric.replace("{q}", field);
        if (failed) {
          line([
            pair.engine,
            metric,
            a.some((r) => r.error) ? "FAILED" : "",
            row.peer,
            b.some((r) => r.error) ? "FAILED" : "",
            "",
          ]);
          continue;
        }
        const ma = median(a.map((r) => r[field]));
        const mb = median(b.map((r) => r[field]));
        const digits = unit === "ms" ? 2 : 0;
        const ratio = unit === "ms" ? mb / ma : ma / mb;
        line([pair.engine, metric, fmt(ma, digits), row.peer, fmt(mb, digits), fmt(ratio, 2)]);
        if (repeat > 1) {
          const list = (rs) => rs.map((r) => fmt(r[field], digits)).join(" / ");
          rawLines.push(`  ${pair.engine} ${metric}, ${row.peer}: asyncmq ${list(a)} | peer ${list(b)}`);
        }
      }
    }
  }

  console.log("\nratio: asyncmq/peer for jobs/s, peer/asyncmq for ms; > 1 means asyncmq is better.");
  if (rawLines.length) {
    console.log("each run, in order:");
    for (const l of rawLines) console.log(l);
  }
  console.log(
    `asyncmq: bench/measure.js (Queue.addBulk in chunks of 10,000; runWorker concurrency ${CONCURRENCY} / 1; jobs kept, except on rows marked "both remove jobs": removeOnComplete/removeOnFail true; library defaults, except on rows marked "asyncmq prefetch N": runWorker's prefetch N).`,
  );
  console.log("peer settings, as reported by each driver:");
  for (const [peer, set] of settings) for (const s of set) console.log(`  ${peer}: ${s}`);
  if (failures.length) {
    console.log(`\n${failures.length} row(s) FAILED (the errors are on stderr above):`);
    for (const f of failures) console.log(`  ${f}`);
    process.exitCode = 1;
  }
}
