/**
 * Runtime conformance, awaiting a job's outcome: `queue.waitFor` and `task.enqueueAndWait` on any
 * backend (each runtime-*.test.ts registers it). The waiting Queue has its own backend instance where
 * the engine is shared storage, so results travel as they do between processes; test/e2e/
 * multiprocess.test.ts waits on jobs run by real worker processes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { AsyncMQError, JobFailedError, JobNotFoundError, WaitTimeoutError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue } from "../helpers.js";

const fast = { scanInterval: 20, leaseDuration: 2000, shutdownGrace: 50 } as const;

/**
 * `makeBackend` opens the engine; `makeObserver` (default: the same instance) opens a second
 * connection to the same storage for the waiting side.
 */
export function queueApiConformance(
  name: string,
  makeBackend: () => Promise<Backend> | Backend,
  makeObserver?: () => Promise<Backend> | Backend,
): void {
  describe(`waitFor conformance: ${name}`, () => {
    let backend: Backend;
    let observer: Backend;
    let worker: Worker | undefined;
    const tasks: string[] = [];
    beforeAll(async () => {
      backend = await makeBackend();
      observer = makeObserver ? await makeObserver() : backend;
    });
    afterAll(async () => {
      if (observer !== backend) await observer.close();
      await backend.close();
    });
    afterEach(async () => {
      await worker?.stop();
      worker = undefined;
      for (const t of tasks.splice(0)) unregisterTask(t);
    });

    /** Registers task `<queue>-<suffix>` and starts a worker on `queue` (on the worker's backend). */
    async function serve<D>(q: string, suffix: string, handler: (data: D) => unknown, retries = 0) {
      const name = `${q}-${suffix}`;
      tasks.push(name);
      const t = task<D, unknown>(name, { queue: q, retries, backoff: { type: "fixed", delay: 10 } }, handler);
      if (!worker) {
        worker = new Worker(q, { backend, concurrency: 4, ...fast });
        await worker.start();
      }
      return t;
    }

    it("resolves with the result, also for a job that finished before the wait began", async () => {
      const q = uniqueQueue("wait-ok");
      const queue = new Queue<{ n: number }, number>(q, { backend: observer });
      await serve<{ n: number }>(q, "double", (d) => d.n * 2);
      const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => queue.add(`${q}-double`, { n })));
      const results = await Promise.all(ids.map((id) => queue.waitFor(id, { timeout: "10s" })));
      expect(results).toEqual(Array.from({ length: 20 }, (_, n) => n * 2));
      // Finished long ago: the first read settles it.
      expect(await queue.waitFor(ids[3] as string)).toBe(6);
    });

    it("rejects with the job's error once its retries are used up, not at a retry", async () => {
      const q = uniqueQueue("wait-fail");
      const queue = new Queue(q, { backend: observer });
      let runs = 0;
      await serve(
        q,
        "flaky",
        () => {
          runs++;
          throw new TypeError(`boom ${runs}`);
        },
        2,
      );
      const id = await queue.add(`${q}-flaky`, {});
      const err = await queue.waitFor(id, { timeout: "10s" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JobFailedError);
      expect(err).toMatchObject({ jobId: id, state: "failed", message: "boom 3" });
      expect((err as JobFailedError).jobError).toMatchObject({ name: "TypeError", message: "boom 3" });
      expect(runs).toBe(3);
    });

    it("rejects for an expired or cancelled job, an unknown id, and after its timeout", async () => {
      const q = uniqueQueue("wait-ends");
      const queue = new Queue(q, { backend: observer });
      const expiring = await queue.add(`${q}-never`, {}, { ttl: 30 });
      const cancelled = await queue.add(`${q}-never`, {}, { delay: "1h" });
      const waitingExpiry = queue.waitFor(expiring, { timeout: "10s" }).catch((e: unknown) => e);
      const waitingCancel = queue.waitFor(cancelled, { timeout: "10s" }).catch((e: unknown) => e);
      await queue.cancelJob(cancelled);
      // Its ttl passes before any worker runs the queue; the first one's claim or housekeeper expires it.
      await new Promise((r) => setTimeout(r, 60));
      await serve(q, "never", () => "unused");
      expect(await waitingExpiry).toMatchObject({ name: "JobFailedError", state: "expired" });
      expect(await waitingCancel).toMatchObject({ name: "JobFailedError", state: "cancelled" });
      await expect(queue.waitFor("no-such-job")).rejects.toBeInstanceOf(JobNotFoundError);

      const slow = gate();
      await serve(q, "slow", async () => {
        await slow.promise;
        return "late";
      });
      const id = await queue.add(`${q}-slow`, {});
      const started = Date.now();
      const timedOut = await queue.waitFor(id, { timeout: 150 }).catch((e: unknown) => e);
      expect(timedOut).toBeInstanceOf(WaitTimeoutError);
      expect(String((timedOut as Error).message)).toMatch(
        /did not finish within 150 ms \(it is (active|waiting)\)/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
      slow.open();
      expect(await queue.waitFor(id, { timeout: "10s" })).toBe("late"); // the job went on
      await expect(queue.waitFor(id, { timeout: "soon" })).rejects.toThrow(/timeout/);
    });

    it("enqueueAndWait returns the result of a job removed on completion", async () => {
      const q = uniqueQueue("wait-task");
      const double = await serve<number>(q, "double", (n) => n * 2);
      const results = await Promise.all(
        [1, 2, 3].map((n) =>
          double.enqueueAndWait(n, { backend: observer, removeOnComplete: true }, { timeout: "10s" }),
        ),
      );
      expect(results).toEqual([2, 4, 6]);
      expect((await new Queue(q, { backend: observer }).getJobCounts()).completed).toBe(0);
    });

    it("getJobs takes negative indexes as counted from the end, as BullMQ does", async () => {
      const q = uniqueQueue("ranges");
      const queue = new Queue(q, { backend: observer });
      const ids = await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ task: `${q}-t`, data: i })));
      const page = async (range: { start?: number; end?: number }) =>
        (await queue.getJobs(["waiting"], { ...range, asc: true })).map((j) => j.id);
      expect(await page({ start: -2 })).toEqual(ids.slice(-2));
      expect(await page({ start: 1, end: -2 })).toEqual(ids.slice(1, -1));
      expect(await page({ start: -3, end: -2 })).toEqual(ids.slice(3, 5));
      expect(await page({ start: -100, end: 1 })).toEqual(ids.slice(0, 2));
      expect(await page({ start: -1, end: -2 })).toEqual([]);
      expect(await page({ end: -7 })).toEqual([]);
      // Newest first: the last two of that order are the two oldest.
      expect((await queue.getJobs([], { start: -2 })).map((j) => j.id)).toEqual([ids[1], ids[0]]);
      await expect(queue.getJobs([], { start: 1.5 })).rejects.toThrow(/range.start must be an integer/);
    });

    it("retryJob leaves a completed job alone unless asked ({ completed: true })", async () => {
      const q = uniqueQueue("retry-completed");
      const queue = new Queue(q, { backend: observer });
      await serve(q, "ok", () => "done");
      const id = await queue.add(`${q}-ok`, {});
      expect(await queue.waitFor(id, { timeout: "10s" })).toBe("done");
      expect(await queue.retryJob(id)).toBe(false);
      expect((await queue.getJob(id))?.state).toBe("completed");
      expect(await queue.retryJob(id, { completed: true })).toBe(true);
      expect(await queue.waitFor(id, { timeout: "10s" })).toBe("done"); // it ran again
      expect(await queue.retryJob("no-such-job", { completed: true })).toBe(false);
    });

    it("removeDeduplicationKey lets the next add with the id make a new job; getDeduplicationJobId names its holder", async () => {
      const q = uniqueQueue("dedup-key");
      const queue = new Queue(q, { backend: observer });
      const opts = { deduplication: { id: "order-7" } };
      const first = await queue.add(`${q}-t`, 1, opts);
      expect(await queue.add(`${q}-t`, 2, opts)).toBe(first);
      expect(await queue.getDeduplicationJobId("order-7")).toBe(first);
      expect(await queue.removeDeduplicationKey("order-7")).toBe(true);
      const second = await queue.add(`${q}-t`, 3, opts);
      expect(second).not.toBe(first);
      expect(await queue.getDeduplicationJobId("order-7")).toBe(second);
      expect((await queue.getJob(first))?.state).toBe("waiting");
      await expect(queue.removeDeduplicationKey("x".repeat(600))).rejects.toThrow(/deduplication id/);
      await expect(queue.getDeduplicationJobId(7 as unknown as string)).rejects.toThrow(
        /deduplication id must be a string/,
      );
    });

    it("deduplication replace with a delay keeps only the last add of a burst (debounce)", async () => {
      const q = uniqueQueue("dedup-debounce");
      const queue = new Queue(q, { backend: observer });
      const opts = { delay: "1h", deduplication: { id: "save", replace: true } };
      const ids = [];
      for (const n of [1, 2, 3]) ids.push(await queue.add(`${q}-t`, n, opts));
      expect(new Set(ids).size).toBe(3);
      const delayed = await queue.getJobs(["delayed"]);
      expect(delayed.map((j) => [j.id, j.data])).toEqual([[ids[2], 3]]);
      expect(await queue.getDeduplicationJobId("save")).toBe(ids[2]);
    });

    it("close() rejects the waits in progress", async () => {
      const q = uniqueQueue("wait-close");
      const queue = new Queue(q, { backend: observer });
      const id = await queue.add(`${q}-nobody`, {});
      const waiting = queue.waitFor(id).catch((e: unknown) => e);
      await queue.close();
      const err = await waiting;
      expect(err).toBeInstanceOf(AsyncMQError);
      expect(String((err as Error).message)).toMatch(/closed while waitFor\(\) was waiting/);
    });
  });
}
