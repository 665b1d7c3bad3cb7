// Runs one measurement in a fresh process (so one test's heap and timers never skew the next)
// and prints its result as JSON. Usage: node bench/one.js <memory|sqlite> <metric> [args...]
import { join } from "node:path";
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
import { benchScope } from "./scope.js";
import { redisUsedMemory, schemaBytes, sqliteBytes } from "./storage.js";

const measures = { backlog, bulkInsert, crossProcessLatency, delayedLateness, idleCpu, latency, throughput };
measures.sandboxThroughput = sandboxThroughput; // node bench/run.js sandbox
measures.multiQueue = multiQueue; // node bench/run.js multiqueue

const [kind, metric, ...args] = process.argv.slice(2);
const { dir, tag, url, server, backend, end } = benchScope(kind);

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
  await end();
}
