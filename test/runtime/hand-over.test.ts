/**
 * The hand-over: a busy claim loop claims with the finish of its ended jobs (Backend.finishAndClaim),
 * each claimed job taking the slot of an ended one. It must never hold more jobs than its
 * concurrency, and must stop when the queue runs dry, is paused, or the concurrency shrinks.
 */
import { setImmediate as turn } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import type { JobRecord } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue, until, withMembers } from "../helpers.js";

const names: string[] = [];
afterEach(() => {
  for (const name of names.splice(0)) unregisterTask(name);
});

/**
 * A memory backend that counts its claim calls and the most jobs active after a finishAndClaim, and
 * keeps the largest claim limit and finish batch asked of it; `claimBatch` as given.
 */
function counted(queueName: string, claimBatch?: number) {
  const inner = new InMemoryBackend();
  const calls = { claim: 0, finishAndClaim: 0, handed: 0, peakActive: 0, mostClaimed: 0, mostEnded: 0 };
  const combined = inner.finishAndClaim.bind(inner);
  const backend: Backend = withMembers<Backend>(inner, {
    claimBatch,
    claim: (queue, options) => {
      calls.claim++;
      calls.mostClaimed = Math.max(calls.mostClaimed, options.limit);
      return inner.claim(queue, options);
    },
    finishAndClaim: async (queue, items, now, claim) => {
      calls.finishAndClaim++;
      calls.mostClaimed = Math.max(calls.mostClaimed, claim.limit);
      calls.mostEnded = Math.max(calls.mostEnded, items.length);
      const result = await combined(queue, items, now, claim);
      calls.handed += result.claimed.length;
      const { active } = await inner.getJobCounts(queueName);
      calls.peakActive = Math.max(calls.peakActive, active ?? 0);
      return result;
    },
  });
  return { backend, calls };
}

describe("a busy worker claims with its finishes", () => {
  it("hands the slots of ended jobs to jobs claimed with their finish, never running more than its concurrency", async () => {
    const name = uniqueQueue();
    const { backend, calls } = counted(name);
    const queue = new Queue(name, { backend });
    let running = 0;
    let peak = 0;
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async () => {
      peak = Math.max(peak, ++running);
      await turn();
      running--;
    });
    await queue.addBulk(Array.from({ length: 300 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 5 });
    await worker.start();
    await until(async () => (await queue.getJobCounts()).completed === 300, 5000, "all 300 completed");
    await worker.stop();
    expect(peak).toBe(5);
    expect(calls.peakActive).toBeLessThanOrEqual(5);
    // Nearly every job after the first claim was claimed with a finish.
    expect(calls.handed).toBeGreaterThan(250);
    expect(calls.claim).toBeLessThan(20);
  });

  it("stops handing over when the queue runs dry: the claim loop sleeps on its wake-up and takes a new job", async () => {
    const name = uniqueQueue();
    const { backend, calls } = counted(name);
    const queue = new Queue(name, { backend });
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, () => turn());
    await queue.addBulk(Array.from({ length: 20 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 4 });
    await worker.start();
    await until(async () => (await queue.getJobCounts()).completed === 20, 5000, "the first 20 completed");
    const combinedBefore = calls.finishAndClaim;
    // Dry now: the last finishes claimed fewer than asked, so the next ones go without a claim.
    await queue.add(`${name}-t`);
    await until(async () => (await queue.getJobCounts()).completed === 21, 5000, "the late job completed");
    await worker.stop();
    expect(calls.finishAndClaim).toBe(combinedBefore);
  });

  it("an idle worker's jobs, one at a time, end without a claim: the job that woke it may be all there is", async () => {
    const name = uniqueQueue();
    const { backend, calls } = counted(name);
    const queue = new Queue(name, { backend });
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, () => "ok");
    const worker = new Worker(name, { backend, concurrency: 1 });
    await worker.start();
    for (let i = 1; i <= 10; i++) {
      await queue.add(`${name}-t`);
      await until(async () => (await queue.getJobCounts()).completed === i, 5000, `job ${i} completed`);
    }
    await worker.stop();
    expect(calls.finishAndClaim).toBe(0);
  });

  it("pause(): no job starts after it resolves, though finishes were claiming", async () => {
    const name = uniqueQueue();
    const { backend } = counted(name);
    const queue = new Queue(name, { backend });
    let started = 0;
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async () => {
      started++;
      await turn();
    });
    await queue.addBulk(Array.from({ length: 2000 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 8 });
    await worker.start();
    await until(() => started > 100, 5000, "100 jobs started");
    await worker.pause();
    const atPause = started;
    for (let i = 0; i < 20; i++) await turn();
    expect(started).toBe(atPause);
    const counts = await queue.getJobCounts();
    expect(counts.active).toBe(0);
    expect(counts.waiting).toBeGreaterThan(1000); // the pause held while work was left
    await worker.stop();
  });

  it("a smaller concurrency holds while busy: ended jobs give their slots back until it does", async () => {
    const name = uniqueQueue();
    const { backend } = counted(name);
    const queue = new Queue(name, { backend });
    let running = 0;
    let peakAfter = 0;
    let shrunk = false;
    const hold = gate();
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async () => {
      running++;
      if (shrunk) peakAfter = Math.max(peakAfter, running);
      await (shrunk ? turn() : hold.promise);
      running--;
    });
    await queue.addBulk(Array.from({ length: 200 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 6 });
    await worker.start();
    await until(() => running === 6, 5000, "six jobs running");
    worker.setConcurrency(2);
    shrunk = true;
    hold.open();
    await until(async () => (await queue.getJobCounts()).completed === 200, 5000, "all 200 completed");
    await worker.stop();
    // The six held at the shrink end first; the jobs started after it run at most two at a time.
    expect(peakAfter).toBeLessThanOrEqual(2);
  });
});

/**
 * A started worker of one slot and `prefetch` over `count` jobs, whose `blockAt`-th job waits for
 * `block` while the jobs claimed ahead of it wait behind it; `started` lists the jobs run, in order.
 */
async function blockedWorker(count: number, blockAt: number, prefetch: number) {
  const name = uniqueQueue();
  const backend = new InMemoryBackend();
  const queue = new Queue(name, { backend });
  const started: string[] = [];
  const block = gate();
  names.push(`${name}-t`);
  task(`${name}-t`, { queue: name }, async (_data, ctx) => {
    started.push(ctx.job.id);
    if (started.length === blockAt) await block.promise;
    else await turn();
  });
  await queue.addBulk(Array.from({ length: count }, () => ({ task: `${name}-t` })));
  const worker = new Worker(name, { backend, concurrency: 1, prefetch });
  await worker.start();
  return { queue, started, block, worker };
}

describe("prefetch: a busy worker holds jobs beyond its concurrency", () => {
  it("runs at most its concurrency at once and every job once, with jobs claimed beyond its free slots", async () => {
    const name = uniqueQueue();
    const { backend, calls } = counted(name);
    const queue = new Queue(name, { backend });
    let running = 0;
    let peak = 0;
    const runs = new Map<string, number>();
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async (_data, ctx) => {
      runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
      peak = Math.max(peak, ++running);
      await turn();
      running--;
    });
    await queue.addBulk(Array.from({ length: 300 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 3, prefetch: 6 });
    await worker.start();
    await until(async () => (await queue.getJobCounts()).completed === 300, 5000, "all 300 completed");
    await worker.stop();
    expect(peak).toBe(3);
    expect(runs.size).toBe(300);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    // Held jobs: more active (claimed) than running at some point.
    expect(calls.peakActive).toBeGreaterThan(3);
    expect(calls.handed).toBeGreaterThan(250);
  });

  it("claims and ends up to the backend's claimBatch a call (64 when it names none, or no usable one), and at most half of what a prefetching worker may hold", async () => {
    const most = async (claimBatch?: number) => {
      const name = uniqueQueue();
      const { backend, calls } = counted(name, claimBatch);
      const queue = new Queue(name, { backend });
      names.push(`${name}-t`);
      task(`${name}-t`, { queue: name }, () => turn());
      await queue.addBulk(Array.from({ length: 1500 }, () => ({ task: `${name}-t` })));
      // 300 jobs end in one turn: their ends go in batches of at most claimBatch.
      const worker = new Worker(name, { backend, concurrency: 300, prefetch: 300 });
      await worker.start();
      await until(async () => (await queue.getJobCounts()).completed === 1500, 10_000, "all 1500 completed");
      await worker.stop();
      return { claimed: calls.mostClaimed, ended: calls.mostEnded };
    };
    expect(await most()).toEqual({ claimed: 64, ended: 64 });
    const big = await most(200);
    expect(big.claimed).toBe(200);
    expect(big.ended).toBeGreaterThan(64);
    expect(big.ended).toBeLessThanOrEqual(200);
    // 300 slots and 300 prefetched: batches of at most 300, so that one fills while another is written.
    const half = await most(1000);
    expect(half.claimed).toBe(300);
    expect(half.ended).toBeLessThanOrEqual(300);
    expect(await most(0)).toEqual({ claimed: 64, ended: 64 });
    expect(await most(1.5)).toEqual({ claimed: 64, ended: 64 });
  });

  it("a stop hands the held jobs back unstarted: waiting again, attempts 0, none lost", async () => {
    const { queue, started, block, worker } = await blockedWorker(60, 20, 5);
    // The 20th job blocks its only slot while jobs claimed ahead of it wait.
    await until(
      async () => started.length === 20 && (await queue.getJobCounts()).active > 1,
      5000,
      "held jobs",
    );
    const stopping = worker.stop({ grace: 5000 });
    block.open();
    await stopping;
    expect(started.length).toBe(20);
    const counts = await queue.getJobCounts();
    expect(counts).toMatchObject({ active: 0, completed: 20, waiting: 40 });
    const waiting = await queue.getJobs(["waiting"], { start: 0, end: -1 });
    expect(waiting.every((job) => job.attempts === 0)).toBe(true);
  });

  it("a held job cancelled while it waits never runs", async () => {
    const { queue, started, block, worker } = await blockedWorker(20, 5, 3);
    const held = (await until(
      async () => {
        if (started.length < 5) return undefined;
        const active = await queue.getJobs(["active"], { start: 0, end: -1 });
        return active.find((job) => !started.includes(job.id));
      },
      5000,
      "a held job",
    )) as JobRecord;
    expect(await queue.cancelJob(held.id)).toBe(true);
    block.open();
    await until(async () => (await queue.getJobCounts()).completed === 19, 5000, "the 19 others completed");
    await worker.stop();
    expect(started.includes(held.id)).toBe(false);
    expect((await queue.getJob(held.id))?.state).toBe("cancelled");
  });

  it("after queue.pause(), a look at the queue already in flight (answered 'not paused') is followed by another", async () => {
    const name = uniqueQueue();
    const inner = new InMemoryBackend();
    // The first isPaused reads the queue when asked and answers when the test says: before the pause.
    const answer = gate();
    let looks = 0;
    const backend = withMembers<Backend>(inner, {
      isPaused: async (queue) => {
        looks++;
        const paused = inner.isPaused(queue);
        if (looks === 1) await answer.promise;
        return paused;
      },
    });
    const queue = new Queue(name, { backend });
    const gates: Array<{ open: () => void }> = [];
    let starts = 0;
    names.push(`${name}-t`);
    // The first four end at once; the rest wait for their own gate.
    task(`${name}-t`, { queue: name }, () => {
      if (++starts <= 4) return turn();
      const g = gate();
      gates.push(g);
      return g.promise;
    });
    await queue.addBulk(Array.from({ length: 8 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 2, prefetch: 6 });
    await worker.start();
    try {
      // A claim with a finish came back short (8 jobs in all) while jobs are held: the look starts.
      await until(async () => looks === 1 && gates.length === 2, 5000, "a look in flight, two jobs blocked");
      expect((await queue.getJobCounts()).active).toBe(4);
      await queue.pause();
      // A slot frees: a held job starts in it, and its end asks for a look while the first is out.
      gates[0]?.open();
      await until(() => gates.length === 3, 5000, "the held job started");
      answer.open();
      await until(
        async () => (await queue.getJobCounts()).waiting === 1,
        5000,
        "the last held job handed back",
      );
      expect(looks).toBe(2);
      expect(starts).toBe(7);
    } finally {
      answer.open();
      for (const g of gates) g.open();
      await worker.stop();
    }
  });

  it("refuses a prefetch that is not an integer >= 0, before starting anything", async () => {
    const backend = new InMemoryBackend();
    await expect(new Worker(uniqueQueue(), { backend, prefetch: -1 }).start()).rejects.toThrow(
      "prefetch must be an integer >= 0, got -1",
    );
    await expect(new Worker(uniqueQueue(), { backend, prefetch: 1.5 }).start()).rejects.toThrow(
      "prefetch must be an integer >= 0, got 1.5",
    );
  });
});
