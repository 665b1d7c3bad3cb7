// Runs one measurement in a fresh process (so one test's heap and timers never skew the next)
// and prints its result as JSON. Usage: node bench/one.js <memory|sqlite> <metric> [args...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryBackend, SqliteBackend } from "asyncmq";
import { bulkInsert, crossProcessLatency, delayedLateness, idleCpu, latency, throughput } from "./measure.js";

const measures = { bulkInsert, crossProcessLatency, delayedLateness, idleCpu, latency, throughput };

const [kind, metric, ...args] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
const url = kind === "memory" ? "memory://" : `sqlite://${join(dir, "bench.db")}`;
const backend =
  kind === "memory" ? new InMemoryBackend() : new SqliteBackend({ path: join(dir, "bench.db") });
try {
  const run = measures[metric];
  if (!run) throw new Error(`unknown metric ${metric}; one of ${Object.keys(measures).join(", ")}`);
  const params = args.map(Number);
  // The cross-process measure needs the URL for its producer process.
  const result = await (run === crossProcessLatency ? run(backend, ...params, url) : run(backend, ...params));
  console.log(JSON.stringify(result));
} finally {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}
