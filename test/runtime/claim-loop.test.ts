import { afterEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { JobCancelledError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { processJob } from "../../src/worker/claim-loop.js";
import { handleJob } from "../../src/worker/handle-job.js";
import { startWorker, workerLoop } from "../../src/worker/runners.js";
import { Semaphore } from "../../src/worker/semaphore.js";
import { gate, nextEvents, uniqueQueue, until, withMembers } from "../helpers.js";

const defined: string[] = [];
afterEach(() => {
  for (const name of defined.splice(0)) unregisterTask(name);
});

function setup() {
  const backend = new InMemoryBackend();
  const name = uniqueQueue();
  return { backend, name, queue: new Queue(name, { backend }), ctl: new AbortController() };
}

describe("processJob (the claim loop, public)", () => {
  it("alone runs a delayed job on time: its delayed scanner promotes it", async () => {
    const { backend, name, queue, ctl } = setup();
    let startedAt = 0;
    defined.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, () => {
      startedAt = Date.now();
    });
    const run = processJob(name, {
      backend,
      semaphore: new Semaphore(1),
      signal: ctl.signal,
      idleSleep: "1m",
    });
    const id = await queue.add(`${name}-t`, {}, { delay: 60 });
    await nextEvents("job:completed", name);
    ctl.abort();
    await run;
    const runAt = (await queue.getJob(id))?.runAt as number;
    expect(startedAt).toBeGreaterThanOrEqual(runAt);
    expect(startedAt - runAt).toBeLessThan(200); // the idle sleep is a minute: the scanner woke on time
  });

  it("after a short claim with free permits, claims again at once: a short claim does not mean an empty queue", async () => {
    // On Postgres a claim skips the rows another worker has locked (SKIP LOCKED), so two workers
    // racing each get fewer than they asked while jobs still wait. Stand-in: a backend whose claims
    // take one job at a time. A loop that slept after a short claim ran 1 of the 3 jobs (idle 1m).
    const { backend, name, queue, ctl } = setup();
    const claim = backend.claim.bind(backend);
    const oneAtATime = withMembers(backend, {
      claim: (q, options) => claim(q, { ...options, limit: 1 }),
    });
    const release = gate();
    let started = 0;
    defined.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async () => {
      started++;
      await release.promise;
    });
    await queue.addBulk([{ task: `${name}-t` }, { task: `${name}-t` }, { task: `${name}-t` }]);
    const run = processJob(name, {
      backend: oneAtATime,
      semaphore: new Semaphore(5),
      signal: ctl.signal,
      idleSleep: "1m",
    });
    await until(() => started === 3, 5000, "all three jobs to start without a wake-up");
    release.open();
    ctl.abort();
    await run;
  });
});

describe("workerLoop and startWorker (the runtime of runWorker)", () => {
  it("record themselves in the worker registry while they run, and leave it on shutdown", async () => {
    const { backend, name, ctl } = setup();
    const registry = backend.workers;
    if (!registry) throw new Error("the memory backend has a worker registry");
    const ours = async () => (await registry.list(Date.now())).filter((w) => w.queues.includes(name));
    const loop = workerLoop(name, 7, backend, { signal: ctl.signal });
    const many = startWorker(name, 3, backend, { signal: ctl.signal });
    await until(async () => (await ours()).length === 2, 5000, "two registered workers");
    const live = await ours();
    expect(live.map((w) => w.concurrency).sort()).toEqual([1, 3]);
    expect(live.some((w) => w.id.endsWith(":7"))).toBe(true);
    ctl.abort();
    await Promise.all([loop, many]);
    expect(await ours()).toEqual([]);
  });
});

describe("Queue.cancelJob reaches a job run by handleJob in this process", () => {
  it("aborts its ctx.signal at once", async () => {
    const { backend, name, queue } = setup();
    const started = gate();
    let reason: unknown;
    defined.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async (_d, ctx) => {
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      reason = ctx.signal.reason;
    });
    const id = await queue.add(`${name}-t`);
    const job = await queue.getJob(id);
    if (!job) throw new Error("job not found");
    const handled = handleJob(name, job, backend);
    await started.promise;
    expect(await queue.cancelJob(id)).toBe(true);
    await handled;
    expect(reason).toBeInstanceOf(JobCancelledError);
    expect((await queue.getJob(id))?.state).toBe("cancelled");
  });
});
