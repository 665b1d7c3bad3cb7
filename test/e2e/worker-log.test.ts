// Issue 11, item 11: what `asyncmq worker start` prints about its jobs. A job cancelled while it
// runs is logged (it was silent, and still counted at shutdown); a job handed back when the shutdown
// grace ends is logged; a retry says its backoff and when the next attempt is (it said "in 8ms;
// next attempt now"); the unknown-task hint names the tasks module the worker loaded. Through the
// built CLI on SQLite.
import { join } from "node:path";
import { describe, expect, it, type TestContext } from "vitest";
import { freshDir, SLOW, slot } from "./cli-suite.js";
import { CliProcess, FIXTURES, runJson } from "./helpers.js";

const TASKS = join(FIXTURES, "worker-log-tasks.js");

async function setup(ctx: TestContext, ...workerArgs: string[]) {
  await slot(ctx);
  const dir = freshDir();
  const url = `sqlite://${join(dir, "jobs.db")}`;
  const cli = <T>(...args: string[]) => runJson<T>([...args, "--backend", url], { cwd: dir });
  const enqueue = async (task: string, ...more: string[]) =>
    (await cli<{ id: string }>("job", "enqueue", "wlog", task, "{}", ...more)).id;
  // A short lease: a cancel made by another process reaches the worker at its next renewal (a third of it).
  const worker = new CliProcess(
    ["worker", "start", "wlog", "--tasks", TASKS, "--backend", url, ...workerArgs],
    {
      cwd: dir,
      env: { ASYNCMQ_LEASE_DURATION: "1500ms" },
    },
  );
  ctx.onTestFinished(() => worker.kill());
  await worker.waitFor(/worker started/);
  return { cli, enqueue, worker };
}

describe.concurrent("worker log", () => {
  it("a job cancelled while it runs is logged, and not counted as running at shutdown", SLOW, async (ctx) => {
    const { cli, enqueue, worker } = await setup(ctx);
    const id = await enqueue("hang");
    await worker.waitFor(new RegExp(`started\\s+wlog#${id} hang`));
    await cli("job", "cancel", "wlog", id);
    const line = await worker.waitFor(new RegExp(`cancelled\\s+wlog#${id} hang`));
    expect(line.input).toMatch(/while running/);
    worker.signal("SIGTERM");
    await worker.waitFor(/received SIGTERM: finishing 0 running job/);
    expect(await worker.exit()).toBe(0);
  });

  it("a job handed back at the end of the shutdown grace is logged", SLOW, async (ctx) => {
    const { enqueue, worker } = await setup(ctx, "--shutdown-grace", "200ms");
    const id = await enqueue("hang");
    await worker.waitFor(new RegExp(`started\\s+wlog#${id} hang`));
    worker.signal("SIGTERM");
    await worker.waitFor(/received SIGTERM: finishing 1 running job/);
    expect(await worker.exit()).toBe(0);
    const handed = worker.lines.findIndex((l) => new RegExp(`handed back\\s+wlog#${id} hang`).test(l));
    expect(handed, worker.output).toBeGreaterThan(-1);
    expect(worker.lines[handed]).toMatch(/200 ?ms grace is over/);
    expect(handed).toBeLessThan(worker.lines.length - 1);
    expect(worker.lines.at(-1)).toMatch(/worker stopped$/);
  });

  it("a retry says its backoff and when the next attempt runs", SLOW, async (ctx) => {
    const { enqueue, worker } = await setup(ctx);
    const id = await enqueue("fails");
    const [line] = await worker.waitFor(new RegExp(`retrying\\s+wlog#${id} fails.*$`));
    expect(line).toMatch(/fails on purpose; next attempt in 1\.5s \(at \d\d:\d\d:\d\d\.\d{3}\)$/);
    expect(line).not.toMatch(/next attempt now/);
    await worker.waitFor(new RegExp(`failed\\s+wlog#${id} fails`));
  });

  it("the unknown-task hint names the tasks module the worker loaded", SLOW, async (ctx) => {
    const { enqueue, worker } = await setup(ctx);
    const id = await enqueue("nosuch");
    const [line] = await worker.waitFor(new RegExp(`failed\\s+wlog#${id} nosuch.*$`));
    expect(line).toContain(TASKS);
    expect(line).not.toContain("./tasks.js");
  });
});
