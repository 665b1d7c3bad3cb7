/**
 * SQLite files that went bad under asyncmq (issue 10, items 5 and 9): a corrupt file must stop the
 * backend with one clear, fatal error (not a retry loop), and opening damaged files must say they
 * are damaged, not that they belong to another application. Read-only files are in
 * test/e2e/sqlite-files.test.ts (they need another user than root).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { BackendError } from "../../src/errors.js";
import { configure } from "../../src/settings.js";
import { task } from "../../src/task.js";
import { runWorker } from "../../src/worker/runners.js";
import { corruptMiddlePages, corruptSchemaPage, fillDatabase } from "../support/sqlite-damage.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-sqlite-faults-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: SqliteBackend[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

let counter = 0;
function freshPath(): string {
  return join(dir, `f${++counter}.db`);
}

/** What the corruption error must say: what happened, the file, what to do. */
function expectCorruptMessage(err: unknown, path: string): void {
  expect(err).toBeInstanceOf(BackendError);
  const message = (err as Error).message;
  expect(message).toContain(`the asyncmq database ${path} is corrupt`);
  expect(message).toContain("malformed");
  expect(message).toMatch(/restore the file from a backup/);
  expect(message).toContain(`sqlite3 '${path}' .recover`);
}

describe("SqliteBackend: a file corrupted in the middle", () => {
  it("opens, and the first statement that meets the damage fails every later call with one fatal error", async () => {
    const path = freshPath();
    await fillDatabase(path, "q", "t", 3000);
    corruptMiddlePages(path);
    const b = new SqliteBackend({ path });
    open.push(b);
    // It opens (the schema and root pages are intact); jobs are claimed and completed until a
    // statement reads a damaged page (which may be the first claim).
    let done = 0;
    let failure: unknown;
    while (done < 3000) {
      try {
        const jobs = await b.claim("q", { workerId: "w", limit: 50, leaseMs: 60_000, now: Date.now() });
        if (jobs.length === 0) break;
        const items = jobs.map((j) => ({
          kind: "completed" as const,
          jobId: j.id,
          token: j.token,
          resultJson: "null",
        }));
        await b.finish("q", items, Date.now());
        done += jobs.length;
      } catch (err) {
        failure = err;
        break;
      }
    }
    expect(done).toBeLessThan(3000);
    expectCorruptMessage(failure, path);
    expect((failure as BackendError).fatal).toBe(true);
    // Broken for good: every call fails at once with the same error, reading nothing more.
    for (const call of [
      () => b.claim("q", { workerId: "w", limit: 1, leaseMs: 1000, now: Date.now() }),
      () => b.enqueue("q", [{ task: "t", dataJson: "1", priority: 5, maxRetries: 0, createdAt: Date.now() }]),
      () => b.getJobCounts("q"),
      () => b.recoverStalled("q", Date.now(), 1),
    ]) {
      await expect(call()).rejects.toBe(failure);
    }
  });

  it("a worker on it stops: runWorker rejects with that error, having logged no retry", async () => {
    const path = freshPath();
    task("faults-noop", { queue: "faults" }, () => "ok");
    await fillDatabase(path, "faults", "faults-noop", 3000);
    corruptMiddlePages(path);
    const lines: string[] = [];
    const put = (level: string) => (message: string) => {
      lines.push(`${level}: ${message}`);
    };
    configure({ logger: { debug: () => {}, info: put("info"), warn: put("warn"), error: put("error") } });
    try {
      const b = new SqliteBackend({ path });
      open.push(b);
      const controller = new AbortController();
      // The guard only ends a test that failed (a worker that retries forever); it never passes one.
      const guard = setTimeout(() => controller.abort(new Error("still running after 10 s")), 10_000);
      const err = await runWorker("faults", { backend: b, signal: controller.signal, scanInterval: 50 }).then(
        () => new Error("runWorker resolved: it should have stopped with the corruption error"),
        (e: unknown) => e,
      );
      clearTimeout(guard);
      expectCorruptMessage(err, path);
      expect(lines.filter((l) => /retry|failed/i.test(l))).toEqual([]);
    } finally {
      configure({ logger: undefined });
    }
  });

  it("a file whose schema page is damaged is called corrupt, not another application's database", () => {
    const path = freshPath();
    return fillDatabase(path, "q", "t", 10).then(() => {
      corruptSchemaPage(path);
      let err: unknown;
      try {
        open.push(new SqliteBackend({ path }));
      } catch (e) {
        err = e;
      }
      expectCorruptMessage(err, path);
      expect((err as Error).message).not.toMatch(/not an asyncmq database|another application/);
    });
  });
});
