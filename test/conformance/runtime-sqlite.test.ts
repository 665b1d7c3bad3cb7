import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

// Made in beforeAll, not at load: a run that filters out every test here runs no hook, and would
// leave a folder made at load behind.
let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "asyncmq-runtime-sqlite-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = () => new SqliteBackend({ path: join(dir, "runtime.db") });
runtimeConformance("sqlite", open);
globalConcurrencyConformance("sqlite", open);
queueApiConformance("sqlite", open, open);
