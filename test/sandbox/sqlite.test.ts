import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { sandboxSuite } from "./sandbox-suite.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-sandbox-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

sandboxSuite("sqlite", () => new SqliteBackend({ path: join(dir, "threads.db") }), "thread");
sandboxSuite("sqlite", () => new SqliteBackend({ path: join(dir, "processes.db") }), "process");
