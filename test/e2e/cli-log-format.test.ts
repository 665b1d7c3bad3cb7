// `asyncmq worker start --log-format json`: the library's log lines on stderr are JSON objects
// with their structured fields; `--log-level error` hides the warnings. Through the built CLI on SQLite.
import { join } from "node:path";
import { expect, it, type TestContext } from "vitest";
import { freshDir, SLOW, slot } from "./cli-suite.js";
import { CliProcess, FIXTURES, runJson } from "./helpers.js";

const TASKS = join(FIXTURES, "log-tasks.js");

async function runOne(ctx: TestContext, ...logArgs: string[]) {
  await slot(ctx);
  const dir = freshDir();
  const url = `sqlite://${join(dir, "jobs.db")}`;
  const worker = new CliProcess(["worker", "start", "jlog", "--tasks", TASKS, "--backend", url, ...logArgs], {
    cwd: dir,
  });
  ctx.onTestFinished(() => worker.kill());
  await worker.waitFor(/worker started/);
  const { id } = await runJson<{ id: string }>(["job", "enqueue", "jlog", "logged", "{}", "--backend", url], {
    cwd: dir,
  });
  await worker.waitFor(new RegExp(`completed\\s+jlog#${id} logged`));
  return { id, worker };
}

it(
  "--log-format json writes the library's log lines as JSON objects with their fields",
  SLOW,
  async (ctx) => {
    const { id, worker } = await runOne(ctx, "--log-format", "json");
    const line = await worker.waitUntil(
      () => worker.stderr.split("\n").find((l) => l.includes("listener of job:completed threw")) ?? null,
      10_000,
      "the listener's warning on stderr",
    );
    expect(JSON.parse(line)).toMatchObject({
      level: "warn",
      msg: "a listener of job:completed threw; the job and worker go on",
      queue: "jlog",
      jobId: id,
      event: "job:completed",
      err: { type: "Error", message: "listener fails on purpose" },
    });
    expect(JSON.parse(line).time).toMatch(/^\d{4}-\d\d-\d\dT/);
    worker.signal("SIGTERM");
    expect(await worker.exit()).toBe(0);
  },
);

it("--log-level error hides warnings", SLOW, async (ctx) => {
  const { worker } = await runOne(ctx, "--log-level", "error");
  worker.signal("SIGTERM");
  expect(await worker.exit()).toBe(0);
  expect(worker.stderr).not.toContain("listener");
});
