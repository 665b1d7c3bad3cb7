import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { backendConformance } from "./backend-suite.js";

// One temp file for this test file: every test uses its own queue names, and each backend
// instance is a new connection to the same file (as separate processes would be).
const dir = mkdtempSync(join(tmpdir(), "asyncmq-conf-sqlite-"));
const path = join(dir, "conformance.db");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

backendConformance("sqlite", () => new SqliteBackend({ path }));
