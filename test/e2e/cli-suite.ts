/**
 * The command-line end-to-end suite, run once per backend by cli.test.ts (SQLite), cli-redis.test.ts
 * and cli-postgres.test.ts: the built binary (`node dist/cli/main.js`, built by `npm test` before
 * vitest runs) in child processes that talk to each other only through the backend.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, type TestContext } from "vitest";
import type { JobRecord, WorkerInfo } from "../../src/index.js";
import { CliProcess, FIXTURES, type RunResult, run, runJson } from "./helpers.js";

export interface BackendCase {
  name: string;
  /** The URL for one test, given a fresh directory of its own. */
  url(dir: string): string;
}

export const TASKS_JS = join(FIXTURES, "tasks.js");
export const TASKS_TS = join(FIXTURES, "tasks.ts");
export const THROWS_JS = join(FIXTURES, "throws.js");

const dirs: string[] = [];

export function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-"));
  dirs.push(dir);
  return dir;
}

/**
 * The tests run concurrently (most of their time is spent waiting on child processes), but at most
 * SLOTS at once, so that a small CI machine is not swamped with Node processes.
 */
const SLOTS = 2;
/** Test timeouts that include the wait for a slot; every wait inside a test has its own, shorter one. */
export const SLOW = { timeout: 45_000 };
export const LONG = { timeout: 60_000 };
let freeSlots = SLOTS;
const slotWaiters: Array<() => void> = [];

export async function slot(ctx: TestContext): Promise<void> {
  if (freeSlots > 0) freeSlots -= 1;
  else await new Promise<void>((resolve) => slotWaiters.push(resolve));
  ctx.onTestFinished(() => {
    const next = slotWaiters.shift();
    if (next) next();
    else freeSlots += 1;
  });
}

/** Starts `asyncmq ...args` in the background; killed when the test ends, pass or fail. */
export function spawnCli(ctx: TestContext, args: string[], cwd: string): CliProcess {
  const p = new CliProcess(args, { cwd });
  ctx.onTestFinished(() => p.kill());
  return p;
}

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Asserts the shape every failing command must have: exit code, one `error:` line, no stack. */
export function expectError(r: RunResult, code: number, message: RegExp): void {
  const context = `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
  expect(r.code, context).toBe(code);
  const lines = r.stderr.trim().split("\n");
  expect(lines, context).toHaveLength(1);
  expect(lines[0], context).toMatch(/^error: /);
  expect(lines[0], context).toMatch(message);
  expect(r.stderr, context).not.toMatch(/\n\s+at /);
  expect(r.stdout, context).toBe("");
}

export function cliSuite(backend: BackendCase): void {
  describe.concurrent(`asyncmq command line on ${backend.name}`, () => {
    /** A fresh backend and helpers bound to it. */
    async function setup(ctx: TestContext) {
      await slot(ctx);
      const dir = freshDir();
      const url = backend.url(dir);
      const opts = { cwd: dir };
      const cli = (...args: string[]) => run([...args, "--backend", url], opts);
      const json = <T>(...args: string[]) => runJson<T>([...args, "--backend", url], opts);
      const enqueue = async (queue: string, task: string, data: unknown, ...more: string[]) =>
        (await json<{ id: string }>("job", "enqueue", queue, task, JSON.stringify(data), ...more)).id;
      const inspect = (queue: string, id: string) =>
        json<JobRecord & { logs: string[] }>("job", "inspect", queue, id);
      const startWorker = async (...args: string[]) => {
        const worker = spawnCli(ctx, ["worker", "start", ...args, "--backend", url], dir);
        await worker.waitFor(/worker:? ?started/);
        return worker;
      };
      return { dir, url, cli, json, enqueue, inspect, startWorker };
    }

    it("a worker runs a job enqueued from another process and reports it", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS);
      const id = await t.enqueue("e2e", "add", { a: 2, b: 3 });
      await worker.waitFor(new RegExp(`completed\\s+e2e#${id} add in \\d+ms -> 5$`));
      const job = await t.inspect("e2e", id);
      expect(job).toMatchObject({ id, state: "completed", result: 5, attempts: 1 });
      const completed = await t.json<JobRecord[]>("job", "list", "e2e", "--state", "completed");
      expect(completed.map((j) => j.id)).toEqual([id]);
    });

    it("loads a TypeScript tasks module through tsx", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_TS);
      expect(worker.lines.join("\n")).toMatch(/1 task\(s\): greet/);
      const id = await t.enqueue("e2e", "greet", { name: "ada" });
      await worker.waitFor(new RegExp(`completed\\s+e2e#${id} greet`));
      const job = await t.inspect("e2e", id);
      expect(job).toMatchObject({ state: "completed", result: "hello ada" });
      expect(job.logs.join("\n")).toMatch(/greeting ada/);
    });

    it(
      "pause holds a queue's jobs while the worker keeps serving other queues; resume releases them",
      SLOW,
      async (ctx) => {
        const t = await setup(ctx);
        const worker = await t.startWorker("e2e", "other", "--tasks", TASKS_JS);
        expect((await t.cli("queue", "pause", "e2e")).code).toBe(0);
        const held = await t.enqueue("e2e", "add", { a: 1, b: 1 });
        const ping = await t.enqueue("other", "ping", {});
        // The worker is awake and working (it ran the later job of the other queue)...
        await worker.waitFor(new RegExp(`completed\\s+other#${ping} ping`));
        // ...yet the paused queue's job never started.
        expect((await t.inspect("e2e", held)).state).toBe("waiting");
        expect(worker.lines.some((l) => l.includes(`e2e#${held}`))).toBe(false);
        expect(await t.json("queue", "info", "e2e")).toMatchObject({ paused: true, counts: { waiting: 1 } });

        expect((await t.cli("queue", "resume", "e2e")).code).toBe(0);
        await worker.waitFor(new RegExp(`completed\\s+e2e#${held} add`));
        expect(await t.json("queue", "info", "e2e")).toMatchObject({
          paused: false,
          counts: { completed: 1 },
        });
      },
    );

    it("lists and inspects the live workers, queues and jobs", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS, "--concurrency", "4");
      const id = await t.enqueue("e2e", "add", { a: 20, b: 22 });
      await worker.waitFor(new RegExp(`completed\\s+e2e#${id}`));

      const workers = await t.json<WorkerInfo[]>("worker", "list");
      const mine = workers.find((w) => w.pid === worker.pid);
      expect(mine, JSON.stringify(workers)).toMatchObject({ queues: ["e2e"], concurrency: 4 });
      const workerId = (mine as WorkerInfo).id;
      expect(await t.json("worker", "inspect", workerId)).toMatchObject({ id: workerId, pid: worker.pid });
      const human = await t.cli("worker", "list");
      expect(human.stdout).toContain(workerId);

      const queues = await t.json<Array<{ name: string; paused: boolean }>>("queue", "list");
      expect(queues).toEqual([expect.objectContaining({ name: "e2e", paused: false })]);
      const info = await t.json<{ workers: WorkerInfo[]; counts: Record<string, number> }>(
        "queue",
        "info",
        "e2e",
      );
      expect(info.workers.map((w) => w.id)).toContain(workerId);
      expect(info.counts.completed).toBe(1);

      // Enqueued by name: its retries are the worker's task's, shown with --tasks (else "?").
      const list = await t.cli("job", "list", "e2e");
      expect(list.stdout).toMatch(new RegExp(`^${id}\\s+completed\\s+add\\s+1/\\?`, "m"));
      const known = await t.cli("job", "list", "e2e", "--tasks", TASKS_JS);
      expect(known.stdout).toMatch(new RegExp(`^${id}\\s+completed\\s+add\\s+1/1`, "m"));
      const shown = await t.cli("job", "inspect", "e2e", id);
      expect(shown.stdout).toMatch(/^result:\s+42$/m);
    });

    it("retries a failed job from the command line", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS);
      const id = await t.enqueue("e2e", "flaky", { note: "first run" });
      await worker.waitFor(
        new RegExp(`failed\\s+e2e#${id} flaky in \\d+ms: flaky failed on purpose \\(first run\\)`),
      );
      const failed = await t.json<JobRecord[]>("job", "list", "e2e", "--state", "failed");
      expect(failed).toEqual([
        expect.objectContaining({
          id,
          error: expect.objectContaining({ message: "flaky failed on purpose (first run)" }),
        }),
      ]);

      expect((await t.cli("job", "retry", "e2e", id)).code).toBe(0);
      await worker.waitFor(new RegExp(`completed\\s+e2e#${id} flaky`));
      expect(await t.inspect("e2e", id)).toMatchObject({
        state: "completed",
        result: "recovered",
        attempts: 1,
      });
      // A completed job can be retried too (as in BullMQ): it runs again, alone or in bulk.
      const completedLine = new RegExp(`completed\\s+e2e#${id} flaky`);
      expect((await t.cli("job", "retry", "e2e", id)).code).toBe(0);
      await worker.waitForCount(completedLine, 2);
      const bulk = await t.json("queue", "retry", "e2e", "--state", "completed");
      expect(bulk).toEqual({ queue: "e2e", states: ["completed"], retried: 1 });
      await worker.waitForCount(completedLine, 3);
      // A job delayed for an hour runs at once once promoted, alone or with the queue's others.
      const later = await t.enqueue("e2e", "add", { a: 2, b: 2 }, "--delay", "1h");
      expect((await t.cli("job", "promote", "e2e", later)).code).toBe(0);
      await worker.waitFor(new RegExp(`completed\\s+e2e#${later} add`));
      const [x, y] = [
        await t.enqueue("e2e", "add", { a: 3, b: 3 }, "--delay", "1h"),
        await t.enqueue("e2e", "add", { a: 4, b: 4 }, "--delay", "2h"),
      ];
      expect((await t.cli("queue", "promote", "e2e")).stdout.trim()).toBe(
        'promoted 2 delayed jobs of "e2e": waiting now',
      );
      await worker.waitFor(new RegExp(`completed\\s+e2e#${x} add`));
      await worker.waitFor(new RegExp(`completed\\s+e2e#${y} add`));
    });

    it("edits a job's data, priority and delay, and the queue's global concurrency", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const first = await t.enqueue("e2e", "add", { a: 1, b: 1 });
      const second = await t.enqueue("e2e", "add", { a: 2, b: 2 });
      const later = await t.enqueue("e2e", "add", { a: 3, b: 3 }, "--delay", "1h");
      expect((await t.cli("job", "update-data", "e2e", second, '{"a":20,"b":22}')).code).toBe(0);
      expect(await t.json("job", "priority", "e2e", second, "1")).toEqual({
        queue: "e2e",
        id: second,
        state: "waiting",
        priority: 1,
      });
      expect(await t.inspect("e2e", second)).toMatchObject({ priority: 1, data: { a: 20, b: 22 } });
      const due = await t.json<{ runAt: number }>("job", "delay", "e2e", later, "2h");
      expect(due.runAt).toBeGreaterThan(Date.now() + 90 * 60_000);
      expect(await t.json("queue", "concurrency", "e2e", "1")).toEqual({
        queue: "e2e",
        globalConcurrency: 1,
      });
      expect(await t.json("queue", "info", "e2e")).toMatchObject({ globalConcurrency: 1 });
      expect(await t.json("queue", "concurrency", "e2e", "--clear")).toEqual({
        queue: "e2e",
        globalConcurrency: null,
      });
      // The worker sees the edits: the re-prioritised job runs first, with its new data.
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS, "--concurrency", "1");
      await worker.waitFor(new RegExp(`completed\\s+e2e#${first} add`));
      expect(await t.inspect("e2e", second)).toMatchObject({ state: "completed", result: 42 });
      const order = worker.output.indexOf(`e2e#${second} add`) < worker.output.indexOf(`e2e#${first} add`);
      expect(order).toBe(true);
      // Nothing is half-done by a refused edit.
      const refused = await t.cli("job", "delay", "e2e", first, "5m");
      expectError(refused, 1, /is completed; only delayed jobs can have their delay changed/);
      expectError(await t.cli("job", "update-data", "e2e", later, "{oops"), 2, /not valid JSON/);
      expect(await t.inspect("e2e", later)).toMatchObject({ state: "delayed", data: { a: 3, b: 3 } });
    });

    it("queue stats reports what the worker finished, from the metrics it recorded", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS);
      const ok = await t.enqueue("e2e", "add", { a: 1, b: 2 });
      const bad = await t.enqueue("e2e", "flaky", { note: "stats" });
      await worker.waitFor(new RegExp(`completed\\s+e2e#${ok} add`));
      await worker.waitFor(new RegExp(`failed\\s+e2e#${bad} flaky`));
      worker.signal("SIGTERM");
      expect(await worker.exit()).toBe(0); // a stopped worker has written its metrics
      const stats = await t.json<{ range: unknown; total: unknown; run: { p50: number } }>(
        "queue",
        "stats",
        "e2e",
        "--since",
        "10m",
      );
      expect(stats).toMatchObject({
        queue: "e2e",
        since: 600_000,
        counts: { completed: 1, failed: 1 },
        range: { completed: 1, failed: 1, retried: 0 },
        total: { completed: 1, failed: 1, retried: 0 },
      });
      expect(stats.run.p50).toBeGreaterThanOrEqual(0);
      const text = await t.cli("queue", "stats", "e2e");
      expect(text.stdout).toMatch(/^finished:\s+1 completed, 1 failed, 0 retried$/m);
      expect(text.stdout).toMatch(/^window:\s+last 1h, since /m);
      expectError(await t.cli("queue", "stats", "e2e", "--since", "40d"), 2, /--since.*at most 31d/);
    });

    it(
      "SIGTERM in the middle of a job: the worker finishes it, exits 0, and loses nothing",
      SLOW,
      async (ctx) => {
        const t = await setup(ctx);
        const worker = await t.startWorker("e2e", "--tasks", TASKS_JS, "--concurrency", "1");
        // Long enough that the signal lands mid-job even when a loaded machine delays the test.
        const slow = await t.enqueue("e2e", "slow", { ms: 4000 });
        const next = await t.enqueue("e2e", "add", { a: 1, b: 2 });
        await worker.waitFor(new RegExp(`started\\s+e2e#${slow} slow`));
        worker.signal("SIGTERM");
        await worker.waitFor(/received SIGTERM: finishing 1 running job/);
        expect(await worker.exit()).toBe(0);
        expect(
          worker.lines.some((l) => new RegExp(`completed\\s+e2e#${slow} slow`).test(l)),
          worker.output,
        ).toBe(true);
        expect(worker.lines.at(-1)).toMatch(/worker stopped$/);
        expect(worker.stderr).toBe("");
        // The job in flight completed; the one never claimed is still waiting for the next worker.
        expect(await t.inspect("e2e", slow)).toMatchObject({ state: "completed", result: "slept 4000ms" });
        expect((await t.inspect("e2e", next)).state).toBe("waiting");
        const again = await t.startWorker("e2e", "--tasks", TASKS_JS);
        await again.waitFor(new RegExp(`completed\\s+e2e#${next} add`));
      },
    );

    it("a job still running when the shutdown grace ends goes back to waiting", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS, "--shutdown-grace", "200ms");
      const slow = await t.enqueue("e2e", "slow", { ms: 30_000 });
      await worker.waitFor(new RegExp(`started\\s+e2e#${slow} slow`));
      worker.signal("SIGINT");
      expect(await worker.exit(5000)).toBe(0);
      expect((await t.inspect("e2e", slow)).state).toBe("waiting");
    });

    it("a second signal exits at once", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker("e2e", "--tasks", TASKS_JS);
      const slow = await t.enqueue("e2e", "slow", { ms: 30_000 });
      await worker.waitFor(new RegExp(`started\\s+e2e#${slow} slow`));
      worker.signal("SIGTERM");
      await worker.waitFor(/received SIGTERM: finishing/);
      worker.signal("SIGTERM");
      expect(await worker.exit(3000)).toBe(1);
      expect(worker.lines.at(-1)).toMatch(/received SIGTERM again: exiting now/);
    });

    it("worker start --json prints one JSON object per line", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const worker = await t.startWorker(
        "e2e",
        "--tasks",
        TASKS_JS,
        "--json",
        "--rate-limit",
        "100",
        "--rate-interval",
        "1s",
        "--rate-scope",
        "queue",
        "--scan-interval",
        "200ms",
      );
      const id = await t.enqueue("e2e", "add", { a: 3, b: 4 });
      await worker.waitFor(new RegExp(`"event":"job:completed".*"jobId":"${id}"`));
      const events = worker.lines.map(
        (l) => JSON.parse(l) as { event: string; jobId?: string; result?: unknown },
      );
      expect(events[0]).toMatchObject({ event: "worker:started", queues: ["e2e"] });
      expect(events.find((e) => e.event === "job:completed")).toMatchObject({ jobId: id, result: 7 });
    });

    it("bad input fails with one clear line and the right exit code", SLOW, async (ctx) => {
      const t = await setup(ctx);
      const id = await t.enqueue("e2e", "add", { a: 1, b: 1 });
      const cases: Array<[string[], number, RegExp]> = [
        [["job", "list", "nope"], 1, /unknown queue "nope".*asyncmq (--backend \S+ )?queue list/],
        [["job", "inspect", "e2e", "999"], 1, /queue "e2e" has no job "999"/],
        [
          ["job", "retry", "e2e", id],
          1,
          /is waiting; only failed, expired, cancelled or completed jobs can be retried/,
        ],
        [
          ["queue", "retry", "e2e", "--state", "waiting"],
          2,
          /only failed, expired, cancelled and completed jobs can be retried, not waiting/,
        ],
        [["job", "promote", "e2e", id], 1, /is waiting; only delayed jobs can be promoted/],
        [
          ["queue", "remove-delayed", "e2e", id],
          1,
          /is waiting, not delayed; use "asyncmq (--backend \S+ )?job remove e2e/,
        ],
        [["queue", "pause-repeatable", "e2e", "nope"], 1, /has no repeatable "nope"/],
        [["worker", "inspect", "nope"], 1, /no live worker "nope"/],
        [["job", "enqueue", "e2e", "add", "--delay", "soon"], 2, /--delay.*'soon' is invalid.*"5s"/],
        [["worker", "start", "e2e", "--tasks", TASKS_JS, "--scan-interval", "forever"], 2, /--scan-interval/],
        [
          ["worker", "start", "e2e", "--tasks", TASKS_JS, "--concurrency", "0"],
          2,
          /--concurrency.*integer >= 1/,
        ],
        [
          ["worker", "start", "e2e", "--tasks", THROWS_JS],
          1,
          /tasks module ".*throws\.js" failed to load: fixture exploded on import; fix the module/,
        ],
        [
          ["worker", "start", "e2e", "--tasks", "./missing.js"],
          1,
          /tasks module "\.\/missing\.js" not found/,
        ],
        [["worker", "start", "e2e"], 2, /required option '--tasks <module>'/],
        [["job", "enqueue", "e2e", "add", "{oops"], 2, /not valid JSON/],
        [["job", "list", "e2e", "--state", "done"], 2, /use one of waiting, delayed/],
        [
          ["job", "inspect", "e2e"],
          2,
          /missing required argument 'job-id'; see "asyncmq job inspect --help"/,
        ],
        [["queue", "frobnicate"], 2, /unknown command 'frobnicate'/],
      ];
      const results = await Promise.all(cases.map(([args]) => t.cli(...args)));
      cases.forEach(([args, code, message], i) => {
        expect(() => expectError(results[i] as RunResult, code, message), args.join(" ")).not.toThrow();
      });
      // Nothing was written by the failed enqueues.
      expect((await t.json<JobRecord[]>("job", "list", "e2e")).map((j) => j.id)).toEqual([id]);
    });
  });
}
