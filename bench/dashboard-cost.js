// The dashboard's cost to a busy worker (issue 9): 10 queues, one worker process running them all,
// timed over `n` pre-loaded no-op jobs in two set-ups, interleaved round by round:
//   bare:      metrics off, no dashboard;
//   watched:   metrics on (the default) and a dashboard process with a page open on it: one live
//              connection (/api/events), and the overview and its chart data read every second.
// Prints each round and the median ratios watched/bare of jobs/s (1.00 = no cost; 0.95 = 5% fewer
// jobs/s) and of the worker's CPU time per job (1.05 = 5% more).
// Usage: node bench/dashboard-cost.js [sqlite|redis|postgres ...] [--rounds R] [--jobs N]
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createBackend, Queue } from "asyncmq";
import { Redis } from "ioredis";
import pg from "pg";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args.splice(at, 2)[1]);
};
const rounds = option("--rounds", 5);
const n = option("--jobs", 40_000);
// --split adds the two halves of "watched" alone: metrics on without a dashboard, and the reverse.
const split = args.includes("--split");
const kinds = args.filter((a) => a !== "--split");
if (kinds.length === 0) kinds.push("sqlite", "redis");
const modes = split ? ["bare", "metrics", "dashboard", "watched"] : ["bare", "watched"];
const QUEUES = 10;
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const run = promisify(execFile);

/** A fresh storage for one measurement, and how to drop it. */
function storage(kind, tag) {
  if (kind === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "asyncmq-dash-bench-"));
    return {
      url: `sqlite://${join(dir, "bench.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (kind === "redis") {
    const base = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    return {
      url: `${base}?prefix=${tag}`,
      // Every key of the run's prefix: completed jobs are kept, nothing else would remove them.
      drop: async () => {
        const redis = new Redis(base);
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${tag}:*`, "COUNT", 1000);
          if (keys.length > 0) await redis.unlink(...keys);
          cursor = next;
        } while (cursor !== "0");
        await redis.quit();
      },
    };
  }
  if (kind === "postgres") {
    const base = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
    return {
      url: `${base}?schema=${tag}`,
      drop: async () => {
        const pool = new pg.Pool({ connectionString: base });
        await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
        await pool.end();
      },
    };
  }
  throw new Error(`unknown backend ${kind}; use sqlite, redis or postgres`);
}

/** Starts the dashboard process and a page's worth of readers; returns their stop function. */
async function watch(url) {
  const child = spawn(process.execPath, [here("./dashboard-child.js"), url], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [address] = await once(createInterface({ input: child.stdout }), "line");
  const stop = new AbortController();
  // The live connection, read to the end as a browser would.
  const live = fetch(`${address}/api/events`, { signal: stop.signal })
    .then(async (res) => {
      for await (const _ of res.body) {
      }
    })
    .catch(() => {});
  const poll = (async () => {
    while (!stop.signal.aborted) {
      for (const path of ["/", "/api/metrics?range=1h"]) {
        await fetch(`${address}${path}`, { signal: stop.signal })
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return async () => {
    stop.abort();
    await Promise.all([live, poll]);
    child.kill("SIGTERM");
    await once(child, "exit");
  };
}

async function measure(kind, mode, round) {
  const tag = `dash_bench_${process.pid}_${round}_${mode}`;
  const { url, drop } = storage(kind, tag);
  const backend = createBackend(url);
  const queues = Array.from({ length: QUEUES }, (_, i) => `q${i}`);
  try {
    for (const q of queues) {
      const queue = new Queue(q, { backend });
      const jobs = Array.from({ length: n / QUEUES }, () => ({ task: `${q}-noop` }));
      for (let i = 0; i < jobs.length; i += 10_000) await queue.addBulk(jobs.slice(i, i + 10_000));
    }
    const unwatch = mode === "watched" || mode === "dashboard" ? await watch(url) : null;
    try {
      const metrics = mode === "watched" || mode === "metrics" ? "on" : "off";
      const { stdout } = await run(process.execPath, [
        here("./dashboard-worker.js"),
        url,
        metrics,
        n,
        ...queues,
      ]);
      return JSON.parse(stdout.trim().split("\n").at(-1));
    } finally {
      await unwatch?.();
    }
  } finally {
    await backend.close();
    await drop();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const fmt = (x) => Math.round(x).toLocaleString("en-US");
console.log(
  `dashboard cost on node ${process.version}, ${new Date().toISOString()}: ${QUEUES} queues, ${n} jobs, ${rounds} rounds`,
);
for (const kind of kinds) {
  const rate = [];
  const cpu = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which set-up goes first, so a drift of the machine does not favour one.
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    const r = {};
    for (const mode of order) r[mode] = await measure(kind, mode, round);
    rate.push(r.watched.jobsPerSecond / r.bare.jobsPerSecond);
    cpu.push(r.watched.cpuPer1000 / r.bare.cpuPer1000);
    const each = modes
      .map((m) => `${m} ${fmt(r[m].jobsPerSecond)} jobs/s ${r[m].cpuPer1000.toFixed(0)} cpu-ms/1k`)
      .join(", ");
    console.log(`${kind.padEnd(8)} round ${round + 1}: ${each}`);
  }
  console.log(
    `${kind.padEnd(8)} median watched/bare: jobs/s ${median(rate).toFixed(3)}, worker cpu per job ${median(cpu).toFixed(3)}`,
  );
}
