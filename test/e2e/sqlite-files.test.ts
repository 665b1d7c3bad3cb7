/**
 * The built CLI on SQLite files that went bad (issue 10, items 5 and 9): a corrupt file makes
 * `asyncmq worker start` say so once and exit 1 (it retried a claim every second, forever); a
 * read-only file or folder is called read-only, with what to do (it was called "not an asyncmq
 * database ... move that file away").
 *
 * Read-only needs a user the permissions apply to. Root ignores file modes, and these tests run as
 * root here (and in many CI containers), so when this process is root the CLI runs as `nobody`
 * (uid/gid 65534, via spawn's uid/gid): chmod then really makes the file or folder read-only for
 * it. As any other user, the CLI runs as that user and chmod applies directly. (A read-only mount
 * would need privileges CI containers often lack; `chattr +i` needs a file system that has it.)
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { corruptMiddlePages, fillDatabase } from "../support/sqlite-damage.js";
import { TASKS_JS } from "./cli-suite.js";
import { CliProcess, type RunResult, run } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "asyncmq-sqlite-files-"));
// The child may run as another user: it must reach the folders below.
chmodSync(root, 0o755);
afterAll(() => {
  chmodRecursive(root);
  rmSync(root, { recursive: true, force: true });
});

let counter = 0;
function freshDir(): string {
  const dir = join(root, `d${++counter}`);
  mkdirSync(dir, { mode: 0o755 });
  return dir;
}

/** Gives write access back, so the folder can be removed. */
function chmodRecursive(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (let i = 1; i <= counter; i++) chmodSync(join(root, `d${i}`), 0o755);
  } catch {}
}

const asRoot = process.getuid?.() === 0;
/** The user the read-only tests run the CLI as: `nobody` when we are root, else ourselves. */
const OTHER = asRoot ? { uid: 65534, gid: 65534 } : undefined;

/** Runs `asyncmq ...args` as the OTHER user (see the header), to completion. */
function runAsOther(args: string[], cwd: string): Promise<RunResult> {
  return run(args, { cwd, env: { HOME: cwd }, user: OTHER });
}

/** Makes `path` belong to the OTHER user (when we are root; else it is ours already). */
function giveToOther(path: string): void {
  if (OTHER) chownSync(path, OTHER.uid, OTHER.gid);
}

/** Creates an asyncmq database with one job at `path`, closed (no -wal or -shm left). */
async function makeDatabase(path: string): Promise<void> {
  const b = new SqliteBackend({ path });
  await b.enqueue("e2e", [
    { task: "add", dataJson: '{"a":1,"b":2}', priority: 5, maxRetries: 0, createdAt: 0 },
  ]);
  await b.close();
}

const SLOW = { timeout: 45_000 };

/**
 * A worker's end on a corrupt file: exit 1, and one clear statement (what happened, the file, what
 * to do) said once, not a retry loop.
 */
function expectCorruptExit(r: RunResult, path: string): void {
  const output = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.code, output).toBe(1);
  const said = `${r.stdout}\n${r.stderr}`;
  expect(said.split(" is corrupt ").length - 1, output).toBe(1);
  expect(r.stderr, output).toMatch(/^error: .*the asyncmq database .* is corrupt/m);
  expect(r.stderr, output).toContain(`the asyncmq database ${path} is corrupt`);
  expect(r.stderr, output).toContain("restore the file from a backup");
  expect(r.stderr, output).toContain(`sqlite3 '${path}' .recover`);
  expect(said, output).not.toMatch(/retrying/);
}

describe("asyncmq on SQLite files that went bad", () => {
  it("worker start on a file corrupted in the middle says so once and exits 1", SLOW, async () => {
    const dir = freshDir();
    const path = join(dir, "jobs.db");
    await fillDatabase(path, "e2e", "add", 3000);
    corruptMiddlePages(path);
    const r = await run(["worker", "start", "e2e", "--tasks", TASKS_JS, "--backend", `sqlite://${path}`], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expectCorruptExit(r, path);
  });

  it("a worker whose file is corrupted while it runs says so once and exits 1", SLOW, async () => {
    const dir = freshDir();
    const path = join(dir, "jobs.db");
    // 3000 jobs of 5 ms at concurrency 3: the worker is still at the first third when the middle goes.
    await fillDatabase(path, "e2e", "slow", 3000, { ms: 5 });
    const worker = new CliProcess(
      ["worker", "start", "e2e", "--tasks", TASKS_JS, "--backend", `sqlite://${path}`],
      { cwd: dir },
    );
    try {
      await worker.waitFor(/worker started/);
      await worker.waitFor(/completed/);
      // The worker reads the file through a memory map: pages it has not read yet come from disk.
      corruptMiddlePages(path);
      const code = await Promise.race([
        worker.exited,
        new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 30_000)),
      ]);
      expectCorruptExit(
        { code: code === "running" ? null : code, stdout: worker.lines.join("\n"), stderr: worker.stderr },
        path,
      );
    } finally {
      if (worker.running) worker.child.kill("SIGKILL");
    }
  });

  it("a read-only file: a write says the file is read-only and what to do", SLOW, async () => {
    const dir = freshDir();
    const path = join(dir, "jobs.db");
    await makeDatabase(path);
    giveToOther(dir); // the folder stays writable for the user: only the file is read-only
    chmodSync(path, 0o444);
    const r = await runAsOther(
      ["job", "enqueue", "e2e", "add", '{"a":1,"b":2}', "--backend", `sqlite://${path}`],
      dir,
    );
    const output = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    expect(r.code, output).toBe(1);
    expect(r.stderr, output).toContain(
      `the asyncmq database ${path} cannot be written: the file is read-only for this user`,
    );
    expect(r.stderr, output).toMatch(/make the file and its folder writable by the user running asyncmq/);
    expect(r.stderr, output).not.toMatch(/not an asyncmq database|move that file away/);
  });

  it(
    "a read-only folder: opening says the folder is read-only, not that the file is foreign",
    SLOW,
    async () => {
      const dir = freshDir();
      const path = join(dir, "jobs.db");
      await makeDatabase(path);
      giveToOther(path); // the file stays writable for the user: only its folder is read-only
      chmodSync(dir, 0o555);
      const r = await runAsOther(["queue", "list", "--backend", `sqlite://${path}`], root);
      const output = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.code, output).toBe(1);
      expect(r.stderr, output).toContain(
        `the asyncmq database ${path} cannot be written: its folder ${dir} is read-only`,
      );
      expect(r.stderr, output).toContain(`${path}-wal`);
      expect(r.stderr, output).not.toMatch(/not an asyncmq database|move that file away/);
    },
  );
});
