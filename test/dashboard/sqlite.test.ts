import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { dashboardSuite } from "./dashboard-suite.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-dashboard-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

dashboardSuite("sqlite", () => new SqliteBackend({ path: join(dir, "dashboard.db") }));
