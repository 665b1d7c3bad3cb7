// Where a busy worker's time goes, seen from the runtime: times every claim, finish and
// finishAndClaim call the runtime makes (a wrapper around the backend), with the share of the wall
// time during which at least one was in flight. Usage (after npm run build):
//   node bench/calls.js <memory|sqlite|redis|postgres> [jobs=20000] [concurrency=50]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createBackend } from "asyncmq";
import { throughput } from "./measure.js";
import { benchUrl } from "./urls.js";

const [kind, jobsArg, concurrencyArg] = process.argv.slice(2);
const n = Number(jobsArg ?? 20_000);
const concurrency = Number(concurrencyArg ?? 50);
const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
const tag = `bench_${process.pid}`;
const url = benchUrl(kind, tag, dir);
if (!url) throw new Error(`unknown backend ${kind}; one of memory, sqlite, redis, postgres`);
const inner = createBackend(url);

const timed = ["claim", "finish", "finishAndClaim"];
const stats = Object.fromEntries(timed.map((name) => [name, { calls: 0, ms: 0, items: 0 }]));
let inFlight = 0;
let busySince = 0;
let busyMs = 0;
const backend = new Proxy(inner, {
  get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (typeof value !== "function") return value;
    if (!timed.includes(prop)) return value.bind(target);
    return async (...args) => {
      const t0 = performance.now();
      if (inFlight++ === 0) busySince = t0;
      try {
        return await value.apply(target, args);
      } finally {
        const s = stats[prop];
        s.calls++;
        s.ms += performance.now() - t0;
        if (prop !== "claim") s.items += args[1].length;
        if (--inFlight === 0) busyMs += performance.now() - busySince;
      }
    };
  },
});

try {
  const rate = await throughput(backend, n, concurrency);
  // Claims and finishes begin with the worker, after the jobs were added (enqueue is not timed).
  const wall = (n / rate) * 1000;
  console.log(`${kind}: ${Math.round(rate)} jobs/s, ${Math.round(wall)} ms`);
  for (const [call, s] of Object.entries(stats)) {
    if (s.calls === 0) continue;
    const items = call === "claim" ? "" : `, ${(s.items / s.calls).toFixed(1)} ended per call`;
    console.log(`  ${call}: ${s.calls} calls, ${(s.ms / s.calls).toFixed(2)} ms each${items}`);
  }
  console.log(`  a call in flight ${Math.round((100 * busyMs) / wall)}% of the time`);
} finally {
  // The folder goes whatever fails after (a server that refused the run cannot drop its schema).
  try {
    await inner.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (kind === "postgres") {
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: url.slice(0, url.indexOf("?")) });
    await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
    await pool.end();
  }
}
