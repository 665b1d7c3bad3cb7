// Worker processes on one engine: `n` no-op jobs in one queue, drained by each count of worker
// processes (bench/worker-child.js, concurrency 50 each) in turn; jobs/s, with the CPU the machine,
// the engine's server processes (Redis's one process; the Postgres server and all its backends,
// other clients' included) and the workers used during the drain, and the load average, since on a
// small machine the engine and the workers share its cores.
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createBackend, Queue } from "asyncmq";
import IORedis from "ioredis";
import pg from "pg";
import { fmt } from "./peers/suite.js";
import { benchUrl } from "./urls.js";

const CHILD = fileURLToPath(new URL("./worker-child.js", import.meta.url));
const TICKS = 100; // USER_HZ: /proc's CPU times are in 1/100 s

/** Busy and total jiffies of the whole machine (/proc/stat's first line). */
function machineTicks() {
  const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const n = f.map(Number);
  const idle = n[3] + n[4];
  const total = n.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU ticks (user + system) of each of `pids`; a process gone meanwhile counts 0. */
function processTicks(pids) {
  const ticks = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(pid, Number(f[11]) + Number(f[12]));
    } catch {
      ticks.set(pid, 0); // exited
    }
  }
  return ticks;
}

/** Ticks used since `before` by the processes in `after` (one started meanwhile: all of its own). */
function ticksSince(before, after) {
  let sum = 0;
  for (const [pid, ticks] of after) sum += ticks - (before.get(pid) ?? 0);
  return sum;
}

/** The server process listening on `port`, and its children (Postgres's backends). */
function serverPids(port) {
  const out = execFileSync("ss", ["-ltnpH", `sport = :${port}`], { encoding: "utf8" });
  const main = Number(/pid=(\d+)/.exec(out)?.[1]);
  if (!main) return [];
  const children = readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === main;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [main, ...children];
}

/** Drains `n` jobs with `procs` worker processes; returns jobs/s and CPU use. */
async function drain(kind, procs, n, concurrency) {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-procs-"));
  const tag = `bench_procs_${process.pid}_${procs}`;
  const url = benchUrl(kind, tag, dir);
  const backend = createBackend(url);
  const name = `procs-${procs}`;
  const queue = new Queue(name, { backend });
  try {
    for (let i = 0; i < n; i += 10_000) {
      await queue.addBulk(Array.from({ length: Math.min(10_000, n - i) }, () => ({ task: `${name}-noop` })));
    }
    const children = Array.from({ length: procs }, () =>
      spawn(process.execPath, [CHILD, url, name, String(concurrency)], {
        stdio: ["pipe", "pipe", "inherit"],
      }),
    );
    await Promise.all(
      children.map(async (child) => {
        for await (const line of createInterface({ input: child.stdout })) if (line === "ready") return;
      }),
    );
    const port = new URL(url).port || (kind === "redis" ? "6379" : "5432");
    const workers = children.map((c) => c.pid);
    const load = loadavg()[0];
    const m0 = machineTicks();
    const e0 = processTicks(serverPids(port));
    const w0 = processTicks(workers);
    const t0 = performance.now();
    for (const child of children) child.stdin.write("go\n");
    while ((await queue.getJobCounts()).completed < n) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const m1 = machineTicks();
    const cpu = (ticks) => (100 * ticks) / TICKS / seconds; // % of one core
    const result = {
      jobsPerSec: n / seconds,
      machine: (100 * (m1.busy - m0.busy)) / (m1.total - m0.total), // % of all cores
      // Listed again: Postgres starts a backend for each connection the workers' pools open meanwhile.
      engine: cpu(ticksSince(e0, processTicks(serverPids(port)))),
      workers: cpu(ticksSince(w0, processTicks(workers))),
      load,
    };
    for (const child of children) child.stdin.end();
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : null)));
    return result;
  } finally {
    await queue.obliterate({ force: true }).catch(() => {});
    await backend.close();
    await dropRun(kind, url, tag);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Removes what the run left on the engine: its Postgres schema, its Redis keys (worker registry). */
async function dropRun(kind, url, tag) {
  const base = url.slice(0, url.indexOf("?"));
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: base });
    await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
    await pool.end();
  } else if (kind === "redis") {
    const redis = new IORedis(base);
    for await (const keys of redis.scanStream({ match: `${tag}*`, count: 1000 })) {
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  }
}

/** Prints a row per engine and process count. */
export async function processScaling(counts = [1, 4], concurrency = 50) {
  const sizes = { redis: 60_000, postgres: 30_000 };
  console.log(
    `worker processes on one engine, concurrency ${concurrency} each, ${new Date().toISOString()}; machine: % of all its cores; engine and workers: % of one core`,
  );
  for (const kind of ["redis", "postgres"]) {
    const base = {};
    for (const procs of counts) {
      const r = await drain(kind, procs, sizes[kind], concurrency);
      base[kind] ??= r.jobsPerSec;
      // CPU per job bounds the rate: the engine's (Redis is one thread: at most 1e6 / that jobs/s),
      // and the engine's plus the workers' (with all the machine's cores: cores * 1e6 / that).
      const engineUs = (r.engine * 1e4) / r.jobsPerSec;
      const totalUs = ((r.engine + r.workers) * 1e4) / r.jobsPerSec;
      console.log(
        `${kind.padEnd(8)} ${String(procs).padStart(2)} process(es) ${fmt(r.jobsPerSec).padStart(8)} jobs/s (x${(r.jobsPerSec / base[kind]).toFixed(2)})  machine ${fmt(r.machine)}%  engine ${fmt(r.engine)}% (${fmt(engineUs)} us/job)  workers ${fmt(r.workers)}%  CPU/job ${fmt(totalUs)} us: ${cpus().length} cores ${fmt((cpus().length * 1e6) / totalUs)} jobs/s at most  load ${r.load.toFixed(2)}`,
      );
    }
  }
}
