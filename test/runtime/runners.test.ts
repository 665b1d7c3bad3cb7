import { afterEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { BackendError, JobCancelledError, JobTimeoutError, ValidationError } from "../../src/errors.js";
import { events } from "../../src/events.js";
import { setLogger } from "../../src/logger.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { runWorker, startWorker, workerLoop } from "../../src/worker/runners.js";
import { gate, nextEvents, uniqueQueue, until } from "../helpers.js";

const defined: string[] = [];
function define<D, R>(
  name: string,
  queue: string,
  handler: (d: D, ctx: Parameters<Parameters<typeof task<D, R>>[2]>[1]) => R | Promise<R>,
  opts = {},
) {
  defined.push(name);
  return task<D, R>(name, { queue, ...opts }, handler);
}
afterEach(() => {
  for (const name of defined.splice(0)) unregisterTask(name);
});

function setup() {
  const backend = new InMemoryBackend();
  const name = uniqueQueue();
  const queue = new Queue(name, { backend });
  const ctl = new AbortController();
  return { backend, name, queue, ctl };
}

describe("workerLoop", () => {
  it("runs seeded jobs by priority then FIFO, then stops cleanly on abort", async () => {
    const { backend, name, queue, ctl } = setup();
    const order: string[] = [];
    define<{ n: string }, string>(`${name}-t`, name, (d) => {
      order.push(d.n);
      return d.n.toUpperCase();
    });
    const ids = await queue.addBulk([
      { task: `${name}-t`, data: { n: "a" } },
      { task: `${name}-t`, data: { n: "b" }, options: { priority: 1 } },
      { task: `${name}-t`, data: { n: "c" } },
      { task: `${name}-t`, data: { n: "d" }, options: { priority: 9 } },
    ]);
    const done = nextEvents("job:completed", name, 4);
    const loop = workerLoop(name, 0, backend, { signal: ctl.signal });
    await done;
    ctl.abort();
    await loop;
    expect(order).toEqual(["b", "a", "c", "d"]);
    const job = await queue.getJob(ids[0] as string);
    expect(job?.state).toBe("completed");
    expect(job?.result).toBe("A");
    expect(job?.attempts).toBe(1);
    expect((await queue.getJobCounts()).completed).toBe(4);
  });

  it("wakes at once for a job added while idle", async () => {
    const { backend, name, queue, ctl } = setup();
    define(`${name}-t`, name, () => "ok");
    const loop = workerLoop(name, 1, backend, { signal: ctl.signal, idleSleep: "1m" });
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const done = nextEvents("job:completed", name);
    await queue.add(`${name}-t`);
    await done;
    expect(Date.now() - started).toBeLessThan(500); // the idle sleep is a minute: only a wake-up explains this
    ctl.abort();
    await loop;
  });
});

describe("job lifecycle", () => {
  it("retries with backoff, emits job:retrying per retry, then fails keeping the message", async () => {
    const { backend, name, queue, ctl } = setup();
    let runs = 0;
    define(`${name}-t`, name, () => {
      runs += 1;
      throw new Error(`boom ${runs}`);
    });
    const retrying: number[] = [];
    const onRetry = (p: { queue: string; attempts?: number }) => {
      if (p.queue === name) retrying.push(p.attempts ?? -1);
    };
    events.on("job:retrying", onRetry);
    const id = await queue.add(`${name}-t`, {}, { retries: 2, backoff: { type: "fixed", delay: 5 } });
    const failed = nextEvents("job:failed", name);
    const run = runWorker(name, { backend, signal: ctl.signal, scanInterval: 50 });
    const [payload] = await failed;
    ctl.abort();
    await run;
    events.off("job:retrying", onRetry);
    expect(runs).toBe(3);
    expect(retrying).toEqual([1, 2]);
    expect(payload?.jobId).toBe(id);
    const job = await queue.getJob(id);
    expect(job?.state).toBe("failed");
    expect(job?.attempts).toBe(3);
    expect(job?.error?.message).toBe("boom 3");
  });

  it("aborts ctx.signal on timeout and fails the attempt with JobTimeoutError", async () => {
    const { backend, name, queue, ctl } = setup();
    let reason: unknown;
    define(`${name}-t`, name, (_d, ctx) => {
      ctx.signal.addEventListener("abort", () => {
        reason = ctx.signal.reason;
      });
      return new Promise(() => {}); // never settles: only the timeout can end it
    });
    const id = await queue.add(`${name}-t`, null, { timeout: 30 });
    const failed = nextEvents("job:failed", name);
    const run = runWorker(name, { backend, signal: ctl.signal });
    await failed;
    ctl.abort();
    await run;
    expect(reason).toBeInstanceOf(JobTimeoutError);
    const job = await queue.getJob(id);
    expect(job?.error?.name).toBe("JobTimeoutError");
  });

  it("cancelJob aborts a running job's signal and its result is discarded", async () => {
    const { backend, name, queue, ctl } = setup();
    const started = gate();
    let reason: unknown;
    define(`${name}-t`, name, async (_d, ctx) => {
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      reason = ctx.signal.reason;
      return "too late";
    });
    const id = await queue.add(`${name}-t`);
    const run = runWorker(name, { backend, signal: ctl.signal });
    await started.promise;
    expect(await queue.cancelJob(id)).toBe(true);
    await until(() => reason !== undefined, 2000, "abort");
    expect(reason).toBeInstanceOf(JobCancelledError);
    ctl.abort();
    await run;
    const job = await queue.getJob(id);
    expect(job?.state).toBe("cancelled");
    expect(job?.result).toBeUndefined();
  });

  it("persists progress and emits job:progress", async () => {
    const { backend, name, queue, ctl } = setup();
    define(`${name}-t`, name, async (_d, ctx) => {
      await ctx.progress(50);
      await ctx.progress({ step: "two" });
      await ctx.log("halfway");
      return null;
    });
    const progress = nextEvents("job:progress", name, 2);
    const id = await queue.add(`${name}-t`);
    const run = runWorker(name, { backend, signal: ctl.signal });
    const seen = await progress;
    await nextEvents("job:completed", name).catch(() => null);
    ctl.abort();
    await run;
    expect(seen.map((p) => p.progress)).toEqual([50, { step: "two" }]);
    expect((await queue.getJob(id))?.progress).toEqual({ step: "two" });
    expect(await backend.getLogs(name, id)).toEqual(["halfway"]);
  });

  it("an unknown task and a throwing listener fail only that job", async () => {
    const { backend, name, queue, ctl } = setup();
    define(`${name}-ok`, name, () => "fine");
    const bad = () => {
      throw new Error("listener bug");
    };
    events.on("job:started", bad);
    const unknown = await queue.add(`${name}-missing`, {}, { retries: 0 });
    const ok = await queue.add(`${name}-ok`);
    const failed = nextEvents("job:failed", name);
    const completed = nextEvents("job:completed", name);
    const run = runWorker(name, { backend, signal: ctl.signal });
    await Promise.all([failed, completed]);
    events.off("job:started", bad);
    ctl.abort();
    await run;
    expect((await queue.getJob(unknown))?.error?.name).toBe("UnknownTaskError");
    expect((await queue.getJob(unknown))?.error?.message).toMatch(/no task named/);
    expect((await queue.getJob(ok))?.state).toBe("completed");
  });

  it("a job whose ttl passed never runs and becomes expired", async () => {
    const { backend, name, queue, ctl } = setup();
    let runs = 0;
    define(`${name}-t`, name, () => {
      runs += 1;
    });
    const id = await queue.add(`${name}-t`, {}, { ttl: 10 });
    await new Promise((r) => setTimeout(r, 30));
    const expired = nextEvents("job:expired", name);
    const run = runWorker(name, { backend, signal: ctl.signal });
    await expired;
    ctl.abort();
    await run;
    expect(runs).toBe(0);
    expect((await queue.getJob(id))?.state).toBe("expired");
  });

  it("a job added by name in a process that did not know the task inherits the worker's task options", async () => {
    const { backend, name, queue, ctl } = setup();
    const id = await queue.add(`${name}-later`, {}); // task not defined yet: retries unknown here
    let runs = 0;
    define(
      `${name}-later`,
      name,
      () => {
        runs += 1;
        throw new Error("again");
      },
      { retries: 1, backoff: 1 },
    );
    const failed = nextEvents("job:failed", name);
    const run = runWorker(name, { backend, signal: ctl.signal, scanInterval: 20 });
    await failed;
    ctl.abort();
    await run;
    expect(runs).toBe(2);
    expect((await queue.getJob(id))?.attempts).toBe(2);
  });
});

describe("concurrency and shutdown", () => {
  it("runWorker never runs more than `concurrency` jobs at once", async () => {
    const { backend, name, queue, ctl } = setup();
    let running = 0;
    let peak = 0;
    define(`${name}-t`, name, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
    });
    await queue.addBulk(Array.from({ length: 40 }, () => ({ task: `${name}-t` })));
    const done = nextEvents("job:completed", name, 40);
    const run = runWorker(name, { backend, concurrency: 4, signal: ctl.signal });
    await done;
    ctl.abort();
    await run;
    expect(peak).toBe(4);
  });

  it("startWorker fans out N loops and resolves after shutdown with in-flight jobs finished", async () => {
    const { backend, name, queue, ctl } = setup();
    const release = gate();
    let running = 0;
    let finished = 0;
    define(`${name}-t`, name, async () => {
      running += 1;
      await release.promise;
      finished += 1;
    });
    await queue.addBulk(Array.from({ length: 3 }, () => ({ task: `${name}-t` })));
    const run = startWorker(name, 3, backend, { signal: ctl.signal });
    await until(() => running === 3, 2000, "3 jobs running");
    ctl.abort();
    let resolved = false;
    void run.then(() => {
      resolved = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(resolved).toBe(false); // it waits for in-flight jobs
    release.open();
    await run;
    expect(finished).toBe(3);
    expect((await queue.getJobCounts()).completed).toBe(3);
  });

  it("past the grace, in-flight jobs are aborted and handed back unstarted, nothing lost", async () => {
    const { backend, name, queue, ctl } = setup();
    const started = gate();
    let reason: unknown;
    define(`${name}-t`, name, async (_d, ctx) => {
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      reason = ctx.signal.reason;
    });
    const id = await queue.add(`${name}-t`);
    const run = runWorker(name, { backend, signal: ctl.signal, shutdownGrace: 30 });
    await started.promise;
    ctl.abort();
    await run;
    expect(reason).toBeInstanceOf(JobCancelledError);
    const job = await queue.getJob(id);
    expect(job?.state).toBe("waiting");
    expect(job?.attempts).toBe(0);
  });

  it("rateLimit 0 processes nothing, yet shuts down promptly", async () => {
    const { backend, name, queue, ctl } = setup();
    let runs = 0;
    define(`${name}-t`, name, () => {
      runs += 1;
    });
    await queue.add(`${name}-t`);
    const run = runWorker(name, { backend, rateLimit: 0, signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    ctl.abort();
    await run;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(runs).toBe(0);
    expect((await queue.getJobCounts()).waiting).toBe(1);
  });

  it("rateLimit bounds starts per interval", async () => {
    const { backend, name, queue, ctl } = setup();
    const starts: number[] = [];
    define(`${name}-t`, name, () => {
      starts.push(Date.now());
    });
    await queue.addBulk(Array.from({ length: 6 }, () => ({ task: `${name}-t` })));
    const done = nextEvents("job:completed", name, 6);
    const t0 = Date.now();
    const run = runWorker(name, {
      backend,
      concurrency: 10,
      rateLimit: 3,
      rateInterval: 150,
      signal: ctl.signal,
    });
    await done;
    ctl.abort();
    await run;
    // A burst of 3, then 3 more at 50 ms each: the 6th starts ~150 ms in, not before, nor much after.
    expect((starts[5] as number) - t0).toBeGreaterThanOrEqual(120);
    expect((starts[5] as number) - t0).toBeLessThan(1000);
  });

  it("rejects bad concurrency, durations and cron before starting anything", async () => {
    const { backend, name } = setup();
    await expect(runWorker(name, { backend, concurrency: -1 })).rejects.toThrow(ValidationError);
    await expect(runWorker(name, { backend, concurrency: 1.5 })).rejects.toThrow(/integer/);
    await expect(runWorker(name, { backend, scanInterval: "soon" })).rejects.toThrow(/scanInterval/);
    await expect(
      runWorker(name, { backend, repeatables: [{ task: "x", cron: "not a cron" }] }),
    ).rejects.toThrow(ValidationError);
    await expect(startWorker(name, 0, backend)).rejects.toThrow(ValidationError);
    // A queue-wide bucket below one token would never start a job: refused, with the equivalent.
    await expect(runWorker(name, { backend, rateLimit: 0.5, rateScope: "queue" })).rejects.toThrow(
      'rateScope "queue" needs rateLimit >= 1, got 0.5: for one job every 2000 ms use rateLimit: 1, rateInterval: 2000',
    );
  });

  it("on a closed backend, rejects only once every loop stopped (no scanner left running)", async () => {
    const { backend, name } = setup();
    await backend.close();
    let scannerEnded = false;
    const scanner = async ({ signal }: { signal: AbortSignal }) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      scannerEnded = true;
    };
    await expect(runWorker(name, { backend, scanners: [scanner] })).rejects.toThrow(BackendError);
    expect(scannerEnded).toBe(true);
  });
});

describe("delayed jobs, repeatables and scanners", () => {
  it("a delayed job waits, then starts close to its time", async () => {
    const { backend, name, queue, ctl } = setup();
    let startedAt = 0;
    define(`${name}-t`, name, () => {
      startedAt = Date.now();
    });
    const run = runWorker(name, { backend, signal: ctl.signal });
    const id = await queue.add(`${name}-t`, {}, { delay: 80 });
    const job = await queue.getJob(id);
    expect(job?.state).toBe("delayed");
    await nextEvents("job:completed", name);
    ctl.abort();
    await run;
    const runAt = job?.runAt as number;
    expect(startedAt).toBeGreaterThanOrEqual(runAt);
    expect(startedAt - runAt).toBeLessThan(200); // default scanInterval is 1 s: the scanner sleeps to the due time
  });

  it("in-process repeatables still fire when the backend failed the scheduler's first read", async () => {
    const { backend, name, ctl } = setup();
    define(`${name}-tick`, name, () => "tick");
    const store = backend.repeatables as NonNullable<typeof backend.repeatables>;
    const lastFired = store.lastFired.bind(store);
    let failures = 0;
    store.lastFired = async (queue, id) => {
      if (failures++ === 0) throw new Error("backend briefly down");
      return lastFired(queue, id);
    };
    setLogger({ debug() {}, info() {}, warn() {}, error() {} });
    const done = nextEvents("job:completed", name, 1);
    const run = runWorker(name, {
      backend,
      signal: ctl.signal,
      scanInterval: 20,
      repeatables: [{ task: `${name}-tick`, every: 20 }],
    });
    await done;
    ctl.abort();
    await run;
    setLogger(undefined);
    expect(failures).toBeGreaterThan(1);
  });

  it("schedules in-process repeatables and runs custom scanners until shutdown", async () => {
    const { backend, name, queue, ctl } = setup();
    define(`${name}-tick`, name, () => "tick");
    let scannerSawSignal = false;
    let scannerReturned = false;
    const scanner = async (ctx: { signal: AbortSignal; queue: string }) => {
      expect(ctx.queue).toBe(name);
      await new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r()));
      scannerSawSignal = true;
      await new Promise((r) => setTimeout(r, 10));
      scannerReturned = true;
    };
    const done = nextEvents("job:completed", name, 3);
    const run = runWorker(name, {
      backend,
      signal: ctl.signal,
      repeatables: [{ task: `${name}-tick`, every: 20 }],
      scanners: [scanner],
    });
    await done;
    ctl.abort();
    await run;
    expect(scannerSawSignal && scannerReturned).toBe(true);
    const jobs = await queue.getJobs(["completed"]);
    expect(jobs.length).toBeGreaterThanOrEqual(3);
  });
});
