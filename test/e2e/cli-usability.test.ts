/**
 * The first hour with the built CLI (issue 11, item 10): `--json` errors are JSON, job data from a
 * file or stdin, unknown commands suggest the right one, hints keep the user's --backend, bad
 * ASYNCMQ_* values and config keys are named, `queue clean` on an unknown queue does what
 * docs/cli.md says, and a job for a queue or task nothing has used yet is enqueued with one warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { run, runJson } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-usability-"));
  dirs.push(dir);
  return dir;
}

/** The lines of a text, without blank ones. */
function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

describe("--json", () => {
  it("makes errors JSON too: one object on stderr, nothing on stdout, the same exit codes", async () => {
    const cwd = freshDir();
    const cases: Array<[string[], number]> = [
      [["queue", "info", "nope", "--json"], 1],
      [["job", "enqueue", "q", "t", "{bad", "--json"], 2],
      [["--json", "job", "show", "q", "1"], 2],
    ];
    for (const [args, code] of cases) {
      const r = await run(args, { cwd });
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stdout).toBe("");
      const [line, ...rest] = lines(r.stderr);
      expect(rest).toEqual([]);
      const parsed = JSON.parse(line ?? "") as { error: string; exitCode: number };
      expect(parsed.exitCode).toBe(code);
      expect(parsed.error).toMatch(/\S/);
      expect(parsed.error).not.toMatch(/^error:/);
    }
  });
});

describe("job data", () => {
  // Above what one command-line argument may hold on Linux (128 KiB), below maxPayloadBytes (1 MiB).
  const data = { blob: "x".repeat(600_000) };

  it("comes from a file (--data @file.json) or from stdin (--data - or a - argument)", async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, "big.json"), JSON.stringify(data));
    const fromFile = await runJson<{ id: string }>(["job", "enqueue", "q", "t", "--data", "@big.json"], {
      cwd,
    });
    const viaFlag = await run(["job", "enqueue", "q", "t", "--data", "-", "--json"], {
      cwd,
      input: JSON.stringify(data),
    });
    const viaArg = await run(["job", "enqueue", "q", "t", "-", "--json"], {
      cwd,
      input: JSON.stringify(data),
    });
    expect(viaFlag.stderr).toBe("");
    expect(viaArg.stderr).toBe("");
    const ids = [fromFile.id, JSON.parse(viaFlag.stdout).id, JSON.parse(viaArg.stdout).id] as string[];
    for (const id of ids) {
      const job = await runJson<{ data: { blob: string } }>(["job", "inspect", "q", id], { cwd });
      expect(job.data.blob.length).toBe(600_000);
    }
  }, 30_000);

  it("names a missing file or bad JSON in it, and refuses data given twice (exit 2)", async () => {
    const cwd = freshDir();
    writeFileSync(join(cwd, "bad.json"), "{nope");
    const missing = await run(["job", "enqueue", "q", "t", "--data", "@missing.json"], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: .*missing\.json/);
    const bad = await run(["job", "enqueue", "q", "t", "--data", "@bad.json"], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*bad\.json.*not valid JSON/);
    const twice = await run(["job", "enqueue", "q", "t", "{}", "--data", "{}"], { cwd });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/^error: .*either/);
  });
});

it("an unknown command suggests the one meant", async () => {
  const cwd = freshDir();
  const show = await run(["job", "show", "q", "1"], { cwd });
  expect(show.code).toBe(2);
  expect(lines(show.stderr)).toHaveLength(1);
  expect(show.stderr).toMatch(/unknown command 'show'.*did you mean "asyncmq job inspect"/);
  const ls = await run(["queue", "ls"], { cwd });
  expect(ls.stderr, "commander's own suggestion for a typo").toMatch(/did you mean list/i);
});

it("hints keep the --backend the user gave", async () => {
  const cwd = freshDir();
  const url = `sqlite://${join(cwd, "jobs.db")}`;
  // First a job: read-only commands do not create the file (item 5).
  expect((await run(["job", "enqueue", "q", "t", "--backend", url], { cwd })).code).toBe(0);
  const unknownQueue = await run(["--backend", url, "queue", "info", "nope"], { cwd });
  expect(unknownQueue.code).toBe(1);
  expect(unknownQueue.stderr).toContain(`run "asyncmq --backend ${url} queue list"`);
  const unknownJob = await run(["job", "inspect", "q", "99", "--backend", url], { cwd });
  expect(unknownJob.stderr).toContain(`run "asyncmq --backend ${url} job list q"`);
  const pause = await run(["queue", "pause", "q", "--backend", url], { cwd });
  expect(pause.stdout).toContain(`asyncmq --backend ${url} queue resume q`);
});

it('ASYNCMQ_CONCURRENCY=abc is reported as "abc" (exit 2)', async () => {
  const r = await run(["queue", "list"], { cwd: freshDir(), env: { ASYNCMQ_CONCURRENCY: "abc" } });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/^error: .*ASYNCMQ_CONCURRENCY.*"abc"/);
  expect(r.stderr).not.toMatch(/NaN/);
});

it("a config file with an unknown key is an error naming the key and the one meant", async () => {
  const cwd = freshDir();
  writeFileSync(join(cwd, "asyncmq.config.json"), JSON.stringify({ backnd: "sqlite://./x.db" }));
  const r = await run(["queue", "list"], { cwd });
  expect(r.code).toBe(1);
  expect(lines(r.stderr)).toHaveLength(1);
  expect(r.stderr).toMatch(/^error: config file asyncmq\.config\.json: unknown key "backnd".*"backend"/);
});

it("queue clean on an unknown queue removes nothing and succeeds, as docs/cli.md says", async () => {
  const cwd = freshDir();
  // A database to clean in: read-only commands do not create one (item 5).
  expect((await run(["job", "enqueue", "q", "t"], { cwd })).code).toBe(0);
  const r = await run(["queue", "clean", "nope", "--state", "completed"], { cwd });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe('removed 0 completed jobs from "nope"');
});

describe("enqueueing to a queue or task nothing has used yet", () => {
  it("warns once, naming what is known, and still enqueues", async () => {
    const cwd = freshDir();
    expect((await run(["job", "enqueue", "emails", "send-email"], { cwd })).code).toBe(0);
    const known = await run(["job", "enqueue", "emails", "send-email"], { cwd });
    expect(known.stderr).toBe("");
    const queueTypo = await run(["job", "enqueue", "emials", "send-email"], { cwd });
    expect(queueTypo.code).toBe(0);
    expect(lines(queueTypo.stderr)).toHaveLength(1);
    expect(queueTypo.stderr).toMatch(/^warning: .*queue "emials".*"emails"/);
    const taskTypo = await run(["job", "enqueue", "emails", "send-emial"], { cwd });
    expect(taskTypo.code).toBe(0);
    expect(lines(taskTypo.stderr)).toHaveLength(1);
    expect(taskTypo.stderr).toMatch(/^warning: .*task "send-emial".*"send-email"/);
    const again = await run(["job", "enqueue", "emials", "send-email"], { cwd });
    expect(again.stderr, "the queue exists now").toBe("");
    // A refused job is not "enqueued anyway": only the error is said.
    const refused = await run(["job", "enqueue", "fresh", "send-email", "--priority", "9999999999"], { cwd });
    expect(refused.code).toBe(2);
    expect(refused.stderr).not.toMatch(/enqueued anyway/);
  }, 30_000);
});

it("job inspect names the jobs a job waits on, those of other queues as <queue>:<id>", async () => {
  const cwd = freshDir();
  const url = `sqlite://${join(cwd, "jobs.db")}`;
  expect((await run(["job", "enqueue", "a", "t", "--job-id", "p", "--backend", url], { cwd })).code).toBe(0);
  expect((await run(["job", "enqueue", "b", "t", "--job-id", "own", "--backend", url], { cwd })).code).toBe(
    0,
  );
  const backend = new SqliteBackend({ path: join(cwd, "jobs.db") });
  try {
    const job = { task: "t", dataJson: "null", priority: 5, maxRetries: 0, createdAt: Date.now() };
    await backend.enqueue("b", [{ ...job, id: "c", dependsOn: ["a:p", "own"] }]);
  } finally {
    await backend.close();
  }
  const inspect = await run(["--backend", url, "job", "inspect", "b", "c"], { cwd });
  expect(inspect.code).toBe(0);
  expect(inspect.stdout).toMatch(/depends on:\s+a:p, own/);
});
