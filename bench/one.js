// Runs one measurement in a fresh process (so one test's heap and timers never skew the next)
// and prints its result as JSON. Usage: node bench/one.js <memory|sqlite> <metric> [args...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "asyncmq";
import pg from "pg";
import { analyzeSchema } from "./analyze.js";
import {
  backlog,
  bulkInsert,
  crossProcessLatency,
  delayedLateness,
  idleCpu,
  latency,
  throughput,
} from "./measure.js";
import { multiQueue } from "./multiqueue.js";
import { sandboxThroughput } from "./sandbox.js";
import { redisUsedMemory, schemaBytes, sqliteBytes } from "./storage.js";
import { benchUrl } from "./urls.js";

const measures = { backlog, bulkInsert, crossProcessLatency, delayedLateness, idleCpu, latency, throughput };
measures.sandboxThroughput = sandboxThroughput; // node bench/run.js sandbox
measures.multiQueue = multiQueue; // node bench/run.js multiqueue

const [kind, metric, ...args] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
const tag = `bench_${process.pid}`;
const url = benchUrl(kind, tag, dir);
if (!url) throw new Error(`unknown backend ${kind}; one of memory, sqlite, redis, postgres`);
/** The Redis or Postgres server's URL without this run's parameters (prefix, schema). */
const server = url.slice(0, url.indexOf("?"));
const backend = createBackend(url);

/** Bytes the engine holds for this run's data: the SQLite file and its WAL, Redis's used_memory, the schema's relations, the heap. */
async function storageSize() {
  if (kind === "sqlite") return sqliteBytes(join(dir, "bench.db"));
  if (kind === "redis") return redisUsedMemory(server);
  if (kind === "postgres") return schemaBytes(server, tag);
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
}
try {
  const run = measures[metric];
  if (!run) throw new Error(`unknown metric ${metric}; one of ${Object.keys(measures).join(", ")}`);
  // Numbers, and words such as sandboxThroughput's isolation.
  const params = args.map((a) => (Number.isNaN(Number(a)) ? a : Number(a)));
  // The cross-process measure needs the URL for its producer process; the backlog one, the storage
  // used; throughput on Postgres, the schema's statistics (bench/analyze.js).
  const result = await (run === crossProcessLatency
    ? run(backend, ...params, url)
    : run === backlog
      ? run(backend, ...params, storageSize)
      : run === throughput && kind === "postgres"
        ? run(backend, ...params, () => analyzeSchema(server, tag))
        : run(backend, ...params));
  console.log(JSON.stringify(result));
} finally {
  // The folder goes whatever fails after (a server that refused the run cannot drop its schema).
  try {
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (kind === "postgres") {
    const pool = new pg.Pool({ connectionString: server });
    await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
    await pool.end();
  }
}
