// Runs one measurement in a fresh process (so one test's heap and timers never skew the next)
// and prints its result as JSON. Usage: node bench/one.js <memory|sqlite> <metric> [args...]
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "asyncmq";
import pg from "pg";
import {
  backlog,
  bulkInsert,
  crossProcessLatency,
  delayedLateness,
  idleCpu,
  latency,
  throughput,
} from "./measure.js";

const measures = { backlog, bulkInsert, crossProcessLatency, delayedLateness, idleCpu, latency, throughput };

const [kind, metric, ...args] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
// Redis and Postgres: the servers in REDIS_URL / DATABASE_URL, else the local default ports, with a
// key prefix / schema of this run's own.
const tag = `bench_${process.pid}`;
const urls = {
  memory: "memory://",
  sqlite: `sqlite://${join(dir, "bench.db")}`,
  redis: `${process.env.REDIS_URL ?? "redis://127.0.0.1:6379"}?prefix=${tag}`,
  postgres: `${process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"}?schema=${tag}`,
};
const url = urls[kind];
if (!url) throw new Error(`unknown backend ${kind}; one of ${Object.keys(urls).join(", ")}`);
const backend = createBackend(url);

/** Bytes the engine holds for this run's data: the SQLite file and its WAL, Redis's used_memory, the schema's relations, the heap. */
async function storageSize() {
  if (kind === "sqlite") {
    const file = join(dir, "bench.db");
    return ["", "-wal"].reduce(
      (sum, ext) => sum + (existsSync(file + ext) ? statSync(file + ext).size : 0),
      0,
    );
  }
  if (kind === "redis") {
    const { default: Redis } = await import("ioredis");
    const redis = new Redis(url.slice(0, url.indexOf("?")));
    const info = await redis.info("memory");
    redis.disconnect();
    return Number(/used_memory:(\d+)/.exec(info)?.[1]);
  }
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: url.slice(0, url.indexOf("?")) });
    const { rows } = await pool.query(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'",
      [tag],
    );
    await pool.end();
    return Number(rows[0].n);
  }
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
try {
  const run = measures[metric];
  if (!run) throw new Error(`unknown metric ${metric}; one of ${Object.keys(measures).join(", ")}`);
  const params = args.map(Number);
  // The cross-process measure needs the URL for its producer process; the backlog one, the storage used.
  const result = await (run === crossProcessLatency
    ? run(backend, ...params, url)
    : run === backlog
      ? run(backend, ...params, storageSize)
      : run(backend, ...params));
  console.log(JSON.stringify(result));
} finally {
  await backend.close();
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: url.slice(0, url.indexOf("?")) });
    await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
    await pool.end();
  }
  rmSync(dir, { recursive: true, force: true });
}
