/**
 * A job enqueued by name from the CLI (which does not load the tasks module) gets its retries from
 * the worker's task: `job list` and `job inspect` show the attempts it really has, never the stored
 * placeholder ("2/1", "2 of at most 1"), and their JSON has no internal `inherit` list (issue 11,
 * item 6). The built binary, on the SQLite default of a fresh directory.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProcess, FIXTURES, run, runJson } from "./helpers.js";

const TASKS = join(FIXTURES, "retry-tasks.js");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-attempts-"));
let id = "";

beforeAll(async () => {
  id = (await runJson<{ id: string }>(["job", "enqueue", "attempts", "fails"], { cwd: dir })).id;
  const worker = new CliProcess(["worker", "start", "attempts", "--tasks", TASKS], { cwd: dir });
  try {
    await worker.waitFor(new RegExp(`failed\\s+attempts#${id} fails`));
  } finally {
    worker.signal("SIGTERM");
    await worker.exit();
  }
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Listed = Record<string, unknown> & { id: string; attempts: number; maxRetries: number | null };

describe("without the tasks module, the CLI says the limit is the task's", () => {
  it("job list", async () => {
    const r = await run(["job", "list", "attempts"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const row = r.stdout.split("\n").find((l) => l.startsWith(`${id} `)) ?? "";
    expect(row).toMatch(/\bfailed\s+fails\s+2\/\?\s/);
    expect(r.stdout).toMatch(/\?: .*retries.*task/);
    const [json] = await runJson<Listed[]>(["job", "list", "attempts"], { cwd: dir });
    expect(json).toMatchObject({ id, attempts: 2, maxRetries: null });
    expect(json).not.toHaveProperty("inherit");
  });

  it("job inspect", async () => {
    const r = await run(["job", "inspect", "attempts", id], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/of at most 1\b/);
    expect(r.stdout).toMatch(
      /attempts:\s+2 \(at most 1 \+ the retries of task "fails" in the worker; pass --tasks/,
    );
    const json = await runJson<Listed>(["job", "inspect", "attempts", id], { cwd: dir });
    expect(json).toMatchObject({ id, attempts: 2, maxRetries: null });
    expect(json).not.toHaveProperty("inherit");
  });
});

describe("with --tasks, the CLI shows the task's values", () => {
  it("job list", async () => {
    const r = await run(["job", "list", "attempts", "--tasks", TASKS], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").find((l) => l.startsWith(`${id} `))).toMatch(/\bfailed\s+fails\s+2\/2\s/);
    const [json] = await runJson<Listed[]>(["job", "list", "attempts", "--tasks", TASKS], { cwd: dir });
    expect(json).toMatchObject({ id, attempts: 2, maxRetries: 1, backoff: 10 });
    expect(json).not.toHaveProperty("inherit");
  });

  it("job inspect", async () => {
    const r = await run(["job", "inspect", "attempts", id, "--tasks", TASKS], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/attempts:\s+2 of at most 2\n/);
    const json = await runJson<Listed>(["job", "inspect", "attempts", id, "--tasks", TASKS], { cwd: dir });
    expect(json).toMatchObject({ id, attempts: 2, maxRetries: 1, backoff: 10 });
    expect(json).not.toHaveProperty("inherit");
  });

  it("job enqueue applies the task's options and refuses a task the module does not define", async () => {
    const { id: own } = await runJson<{ id: string }>(
      ["job", "enqueue", "attempts", "fails", "--tasks", TASKS],
      { cwd: dir },
    );
    const json = await runJson<Listed>(["job", "inspect", "attempts", own], { cwd: dir });
    expect(json).toMatchObject({ maxRetries: 1, backoff: 10 });
    const typo = await run(["job", "enqueue", "attempts", "fail", "--tasks", TASKS], { cwd: dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^error: .*no task "fail".*"fails"/);
  });
});
