// Runs one measurement in a fresh process (so one test's heap and timers never skew the next)
// and prints its result as JSON. Usage: node bench/one.js <memory|sqlite> <metric> [args...]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InMemoryBackend, SqliteBackend } from "asyncmq";
import * as measure from "./measure.js";

const [kind, metric, ...args] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
const backend =
  kind === "memory" ? new InMemoryBackend() : new SqliteBackend({ path: join(dir, "bench.db") });
try {
  const result = await measure[metric](backend, ...args.map(Number));
  console.log(JSON.stringify(result));
} finally {
  await backend.close();
  rmSync(dir, { recursive: true, force: true });
}
