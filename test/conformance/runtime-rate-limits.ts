/** Runtime conformance, rate limits: run by runtime-suite.ts on every backend. */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { Queue } from "../../src/queue.js";
import { RateLimitError } from "../../src/rate-limit-error.js";
import type { JobContext } from "../../src/task.js";
import { runWorker } from "../../src/worker/runners.js";
import { Worker } from "../../src/worker/worker.js";
import { nextEvents, uniqueQueue, until } from "../helpers.js";
import { collect, fast, type RuntimeFixture } from "./runtime-fixture.js";

export function rateLimitTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define, stops } = fx;

  it("a queue-wide rate limit is one bucket shared by all workers", async () => {
    const q = uniqueQueue("rate");
    const queue = new Queue(q, { backend });
    const starts: number[] = [];
    define(`${q}-t`, q, () => {
      starts.push(Date.now());
    });
    await queue.addBulk(Array.from({ length: 12 }, () => ({ task: `${q}-t` })));
    const ctl = new AbortController();
    const t0 = Date.now();
    const opts = {
      backend,
      concurrency: 5,
      rateLimit: 4,
      rateInterval: 200,
      rateScope: "queue" as const,
      signal: ctl.signal,
    };
    const runs = [runWorker(q, opts), runWorker(q, opts)];
    await until(() => starts.length === 12, 10_000, "12 starts");
    ctl.abort();
    await Promise.all(runs);
    // One bucket: 4 at once, then 4 per 200 ms, so the 12th start is ~400 ms in. Two buckets would
    // allow ~200 ms; a token lost per claim would push it past the upper bound.
    expect((starts[11] as number) - t0).toBeGreaterThanOrEqual(330);
    expect((starts[11] as number) - t0).toBeLessThan(1500);
  });

  it.each(["queue", "worker"] as const)(
    "a rate limit (scope %s) spends no token on a claim that finds nothing: a job added to an idle worker starts at once",
    async (rateScope) => {
      const q = uniqueQueue("rate-idle");
      const queue = new Queue(q, { backend });
      define(`${q}-t`, q, () => null);
      const opts = { backend, rateLimit: 1, rateInterval: 3000, rateScope, ...fast };
      const worker = new Worker(q, opts);
      await worker.start();
      // The scenario, not a wait for a condition: the worker has claimed (nothing) at start-up and on
      // every idle wake since. Had those claims spent the one token, the job would wait ~2.5 s for it.
      await new Promise((r) => setTimeout(r, 500));
      const completed = nextEvents("job:completed", q, 1, 6000);
      const t0 = Date.now();
      await queue.add(`${q}-t`);
      await completed;
      const waited = Date.now() - t0;
      await worker.stop();
      expect(waited).toBeLessThan(1000);
    },
  );

  it("idle workers leave a queue-wide bucket full: a burst runs at the bucket's size at once, then at its rate", async () => {
    const q = uniqueQueue("rate-burst");
    const queue = new Queue(q, { backend });
    const starts: number[] = [];
    define(`${q}-t`, q, () => {
      starts.push(Date.now());
    });
    const opts = { backend, rateLimit: 10, rateInterval: 2000, rateScope: "queue" as const };
    const workers = Array.from({ length: 12 }, () => new Worker(q, opts));
    await Promise.all(workers.map((w) => w.start()));
    // As above: the workers have started and gone idle (a token spent per idle claim empties the bucket).
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await queue.addBulk(Array.from({ length: 15 }, () => ({ task: `${q}-t` })));
    await until(() => starts.length === 15, 10_000, "15 starts");
    await Promise.all(workers.map((w) => w.stop()));
    starts.sort((a, b) => a - b);
    // A full bucket: 10 at once, then one per 200 ms, so the 15th ~1 s in. An emptied one: ~3 s.
    expect((starts[14] as number) - t0).toBeGreaterThanOrEqual(800);
    expect((starts[14] as number) - t0).toBeLessThan(2000);
  });

  /** A task whose job `rl` is rate limited on its first run (`limit` does it), recording each run. */
  function rateLimitedTask(q: string, limit: (ctx: JobContext) => never) {
    const runs: Array<{ at: number; workerId: string | undefined }> = [];
    define<{ rl: boolean }>(`${q}-t`, q, (d, ctx) => {
      runs.push({ at: Date.now(), workerId: ctx.job.workerId });
      if (d.rl && runs.length === 1) limit(ctx);
      return "done";
    });
    return runs;
  }

  it("ctx.rateLimit(ms), worker scope: the job goes back without using an attempt, and only that worker waits", async () => {
    const q = uniqueQueue("rl-worker");
    const queue = new Queue(q, { backend });
    const runs = rateLimitedTask(q, (ctx) => ctx.rateLimit(400));
    const failedOrRetrying = [collect("job:failed", q), collect("job:retrying", q)];
    stops.push(...failedOrRetrying.map((c) => c.stop));
    const a = new Worker(q, { backend, ...fast });
    await a.start();
    const id = await queue.add(`${q}-t`, { rl: true }); // retries 0: a used attempt would fail it
    await until(async () => (await queue.getJob(id))?.state === "completed", 5000, "completed");
    const [first, second] = runs;
    expect((second?.at as number) - (first?.at as number)).toBeGreaterThanOrEqual(350); // its worker waited
    expect((second?.at as number) - (first?.at as number)).toBeLessThan(1500);
    expect(await queue.getJob(id)).toMatchObject({ state: "completed", attempts: 1, result: "done" });
    expect(failedOrRetrying.map((c) => c.seen)).toEqual([[], []]);

    // Another worker is not held: it takes the job back at once while the limited one waits 5 s.
    runs.length = 0;
    define(`${q}-t2`, q, (_data, ctx) => {
      runs.push({ at: Date.now(), workerId: ctx.job.workerId });
      if (runs.length === 1) ctx.rateLimit("5s");
    });
    const b = new Worker(q, { backend, ...fast });
    await b.start();
    const id2 = await queue.add(`${q}-t2`);
    await until(async () => (await queue.getJob(id2))?.state === "completed", 5000, "completed by the other");
    expect((runs[1]?.at as number) - (runs[0]?.at as number)).toBeLessThan(1000);
    expect(runs[1]?.workerId).not.toBe(runs[0]?.workerId);
    await Promise.all([a.stop(), b.stop()]); // a held worker stops at once
  });

  it("a RateLimitError under a queue-wide rate limit holds every worker of the queue", async () => {
    const q = uniqueQueue("rl-queue");
    const queue = new Queue(q, { backend });
    const runs = rateLimitedTask(q, () => {
      throw new RateLimitError(600);
    });
    const opts = { backend, rateLimit: 100, rateInterval: 1000, rateScope: "queue" as const, ...fast };
    const workers = [new Worker(q, opts), new Worker(q, opts)];
    await Promise.all(workers.map((w) => w.start()));
    const id = await queue.add(`${q}-t`, { rl: true });
    await until(async () => (await queue.getJob(id))?.state === "completed", 5000, "completed");
    await Promise.all(workers.map((w) => w.stop()));
    // The other worker, woken by the hand-back, waited too: worker scope would let it run at once.
    expect((runs[1]?.at as number) - (runs[0]?.at as number)).toBeGreaterThanOrEqual(550);
    expect((runs[1]?.at as number) - (runs[0]?.at as number)).toBeLessThan(2000);
    expect(await queue.getJob(id)).toMatchObject({ state: "completed", attempts: 1 });
  });

  it("a queue-wide hold keeps its job delayed until it ends: a claim already on its way cannot take it back early", async () => {
    const q = uniqueQueue("rl-race");
    const queue = new Queue(q, { backend });
    const runs = rateLimitedTask(q, () => {
      throw new RateLimitError(800);
    });
    const worker = new Worker(q, {
      backend,
      rateLimit: 100,
      rateInterval: 1000,
      rateScope: "queue",
      ...fast,
    });
    await worker.start();
    const id = await queue.add(`${q}-t`, { rl: true });
    await until(
      async () => runs.length === 1 && (await queue.getJob(id))?.state !== "active",
      5000,
      "handed back",
    );
    expect(await queue.getJob(id)).toMatchObject({ state: "delayed", attempts: 0 });
    // Another process's claim whose token was taken before the hold was written, landing now.
    const raced = await backend.claim(q, { workerId: "racer", limit: 5, leaseMs: 5000, now: Date.now() });
    expect(raced).toEqual([]);
    await until(async () => (await queue.getJob(id))?.state === "completed", 5000, "completed");
    await worker.stop();
    expect((runs[1]?.at as number) - (runs[0]?.at as number)).toBeGreaterThanOrEqual(750);
    expect(await queue.getJob(id)).toMatchObject({ state: "completed", attempts: 1 });
  });
}
