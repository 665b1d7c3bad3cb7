/**
 * Runtime conformance, one worker over several queues: one concurrency pool, fair (and weighted)
 * between the queues, one registry entry, pause/stop for all: run by runtime-suite.ts on every backend.
 */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { ValidationError } from "../../src/errors.js";
import type { JobEventPayload } from "../../src/events.js";
import { Queue } from "../../src/queue.js";
import { runWorker } from "../../src/worker/runners.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue, until } from "../helpers.js";
import { fast, type RuntimeFixture } from "./runtime-fixture.js";

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function multiQueueTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define } = fx;

  /** Two queues, a task on each that counts the jobs running now (over both) and sleeps `ms`. */
  function twoQueues(prefix: string, ms: number) {
    const names = [uniqueQueue(`${prefix}-a`), uniqueQueue(`${prefix}-b`)] as const;
    const queues = names.map((q) => new Queue(q, { backend }));
    const seen = { running: 0, most: 0, mixed: false, done: new Map<string, number>() };
    const runningOf = new Map<string, number>();
    for (const q of names) {
      define(`${q}-t`, q, async () => {
        seen.running++;
        runningOf.set(q, (runningOf.get(q) ?? 0) + 1);
        seen.most = Math.max(seen.most, seen.running);
        if (names.every((n) => (runningOf.get(n) ?? 0) > 0)) seen.mixed = true;
        await pause(ms);
        seen.running--;
        runningOf.set(q, (runningOf.get(q) ?? 0) - 1);
        seen.done.set(q, (seen.done.get(q) ?? 0) + 1);
      });
    }
    const fill = (i: number, n: number) =>
      queues[i]?.addBulk(Array.from({ length: n }, () => ({ task: `${names[i]}-t`, data: {} })));
    const done = (i: number) => seen.done.get(names[i] as string) ?? 0;
    return { names, queues, seen, fill, done };
  }

  it("one pool over two queues: every job of both runs, never more than `concurrency` at once across them; one registry entry", async () => {
    const { names, queues, seen, fill, done } = twoQueues("mq-pool", 40);
    await Promise.all([fill(0, 20), fill(1, 20)]);
    const w = new Worker([...names], { backend, concurrency: 3, ...fast });
    await w.start();
    // Counted in storage: a job whose 400 ms lease lapsed on a loaded machine may run twice.
    const completed = () => Promise.all(queues.map(async (q) => (await q.getJobCounts()).completed));
    await until(
      async () => (await completed()).every((n) => n === 20),
      12_000,
      () => `all 40 jobs (ran ${done(0)} and ${done(1)})`,
    );
    expect(seen.most).toBeLessThanOrEqual(3);
    // Jobs of both queues ran at once, in the one pool (40 ms jobs outlast a claim on a loaded machine).
    expect(seen.mixed).toBe(true);
    if (backend.workers) {
      const mine = (await backend.workers.list(Date.now())).filter((x) => x.id === w.id);
      expect(mine.map((x) => [x.queues, x.concurrency])).toEqual([[[...names], 3]]);
    }
    await w.stop();
  });

  it("fair: two big backlogs at concurrency 2, both queues progress, neither starves", async () => {
    const { names, fill, done } = twoQueues("mq-fair", 5);
    await fill(0, 80); // the first queue's backlog is in first
    await fill(1, 80);
    const w = new Worker([...names], { backend, concurrency: 2, ...fast });
    await w.start();
    await until(() => done(0) + done(1) >= 40, 15_000, "40 jobs");
    const [a, b] = [done(0), done(1)];
    await w.stop();
    expect(Math.min(a, b)).toBeGreaterThanOrEqual(12);
  });

  it("weights: a queue of weight 3 starts about 3x the jobs of a queue of weight 1 while both are busy", async () => {
    const { names, fill, done } = twoQueues("mq-weight", 40);
    await Promise.all([fill(0, 150), fill(1, 150)]);
    const w = new Worker([{ name: names[0], weight: 3 }, names[1]], { backend, concurrency: 8, ...fast });
    await w.start();
    await until(() => done(0) + done(1) >= 64, 20_000, "64 jobs");
    const [a, b] = [done(0), done(1)];
    await w.stop({ grace: 0 });
    expect(b, `${a} and ${b} jobs`).toBeGreaterThanOrEqual(6); // not starved
    expect(a / b, `${a} and ${b} jobs`).toBeGreaterThanOrEqual(1.8);
    expect(a / b, `${a} and ${b} jobs`).toBeLessThanOrEqual(6);
  });

  it("work-conserving: a queue held to one job by its global concurrency leaves the rest of the pool to the other", async () => {
    const names = [uniqueQueue("mq-lend-a"), uniqueQueue("mq-lend-b")];
    const [qa, qb] = names.map((q) => new Queue(q, { backend })) as [Queue, Queue];
    await qb.setGlobalConcurrency(1);
    const running = new Map<string, number>();
    const most = new Map<string, number>();
    let total = 0;
    let mostTotal = 0;
    for (const q of names) {
      define(`${q}-t`, q, async () => {
        running.set(q, (running.get(q) ?? 0) + 1);
        most.set(q, Math.max(most.get(q) ?? 0, running.get(q) ?? 0));
        mostTotal = Math.max(mostTotal, ++total);
        await pause(q === names[1] ? 60 : 30);
        running.set(q, (running.get(q) ?? 0) - 1);
        total--;
      });
    }
    await qb.addBulk(Array.from({ length: 12 }, () => ({ task: `${names[1]}-t`, data: {} })));
    const w = new Worker(names, { backend, concurrency: 4, ...fast });
    await w.start();
    // The second queue is running when the first gets work: the first cannot have taken all first.
    await until(() => running.get(names[1]) === 1, 5000, "the second queue's first job");
    await qa.addBulk(Array.from({ length: 40 }, () => ({ task: `${names[0]}-t`, data: {} })));
    await until(async () => (await qa.getJobCounts()).completed === 40, 15_000, "the first queue's jobs");
    await w.stop();
    expect(most.get(names[1])).toBe(1);
    expect(most.get(names[0])).toBeGreaterThanOrEqual(3); // all the pool the other cannot use
    expect(mostTotal).toBeLessThanOrEqual(4);
  });

  it("a paused queue does not hold up the other; resumed, it runs; worker.pause() pauses all its queues", async () => {
    const { names, queues, fill, done } = twoQueues("mq-pause", 1);
    const [qa, qb] = queues as [Queue, Queue];
    await qa.pause();
    await Promise.all([fill(0, 5), fill(1, 5)]);
    const w = new Worker([...names], { backend, concurrency: 2, ...fast });
    const own: unknown[][] = [];
    w.on("drained", (queue: string) => own.push(["drained", queue]));
    await w.start();
    await until(() => done(1) === 5, 5000, "the other queue's jobs");
    expect(done(0)).toBe(0);
    await qa.resume();
    await until(() => done(0) === 5, 5000, "the resumed queue's jobs");
    await until(() => own.some(([, q]) => q === names[1]), 3000, "drained of the second queue");

    await w.pause();
    await Promise.all([fill(0, 1), fill(1, 1)]);
    await pause(100); // the window in which nothing must start
    expect([done(0), done(1)]).toEqual([5, 5]);
    w.resume();
    await until(() => done(0) === 6 && done(1) === 6, 5000, "both after resume");
    await w.stop();
    expect(await qb.isPaused()).toBe(false);
  });

  it("a multi-queue Worker re-emits the events of all its queues; stop() hands back the running jobs of each", async () => {
    const names = [uniqueQueue("mq-stop-a"), uniqueQueue("mq-stop-b")];
    const queues = names.map((q) => new Queue(q, { backend }));
    const started = gate();
    let running = 0;
    for (const q of names) {
      define(`${q}-t`, q, async (_d, ctx) => {
        if (++running === 2) started.open();
        await new Promise((r) => ctx.signal.addEventListener("abort", r, { once: true }));
      });
    }
    const ids = await Promise.all(queues.map((queue, i) => queue.add(`${names[i]}-t`)));
    const w = new Worker(names, { backend, concurrency: 4, ...fast });
    const heard: string[] = [];
    w.on("job:started", (p: JobEventPayload) => heard.push(p.queue));
    await w.start();
    await started.promise;
    await until(() => heard.length === 2, 3000, "both started events");
    expect([...heard].sort()).toEqual([...names].sort());
    await w.stop({ grace: 20 });
    expect(w.running).toBe(false);
    for (const [i, queue] of queues.entries()) {
      expect((await queue.getJob(ids[i] as string))?.state).toBe("waiting");
    }
    if (backend.workers) {
      expect((await backend.workers.list(Date.now())).some((x) => x.id === w.id)).toBe(false);
    }
  });

  it("refuses a bad queue list before starting anything", async () => {
    const q = uniqueQueue("mq-bad");
    await expect(runWorker([], { backend })).rejects.toThrow(/empty/);
    expect(() => new Worker([q, q], { backend })).toThrow(/listed twice/);
    expect(() => new Worker([q, "bad:name"], { backend })).toThrow(ValidationError);
    expect(() => new Worker([{ name: q, weight: 0 }], { backend })).toThrow(/weight/);
    await expect(
      runWorker([q, `${q}-2`], { backend, repeatables: [{ task: "t", every: 1000 }] }),
    ).rejects.toThrow(/single-queue worker/);
    expect(() => new Worker([q, `${q}-2`], { backend, repeatables: [{ task: "t", every: 1000 }] })).toThrow(
      /single-queue worker/,
    );
    if (backend.workers) {
      expect((await backend.workers.list(Date.now())).some((x) => x.queues.includes(q))).toBe(false);
    }
  });
}
