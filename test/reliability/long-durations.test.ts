/**
 * Issue 10, item 2: durations of 2^31 ms (~24.9 days) or more. Node's timers hold at most 2^31-1 ms
 * and fire after 1 ms beyond that, so every timer the runtime sets from a user duration must still
 * wait the whole duration: a job timeout, the shutdown grace, lease renewal, the scan interval, the
 * rate interval.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { RateLimiter } from "../../src/worker/rate-limiter.js";
import { runWorker } from "../../src/worker/runners.js";
import { setLongTimeout } from "../../src/worker/timer.js";
import { sleep } from "../../src/worker/wait.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue, until } from "../helpers.js";
import { stopPostgres } from "../support/postgres-server.js";
import { BACKENDS, counting, type MadeBackend } from "./backends.js";

const DAY = 86_400_000;

describe("timers past 2^31 ms (fake clock)", () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("sleep(25 days) waits 25 days, not 1 ms", async () => {
    vi.useFakeTimers();
    let done = false;
    void sleep(25 * DAY).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(DAY);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(24 * DAY - 10);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(20);
    expect(done).toBe(true);
  });

  it("a timer of 100 years (the longest duration validation accepts) fires once, at its time", async () => {
    vi.useFakeTimers();
    const ms = 36_525 * DAY;
    let fired = 0;
    setLongTimeout(() => {
      fired++;
    }, ms);
    await vi.advanceTimersByTimeAsync(ms - 1);
    expect(fired).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(fired).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("sleep past 2^31 ms still ends at once when its signal aborts", async () => {
    vi.useFakeTimers();
    const ctl = new AbortController();
    let done = false;
    void sleep(40 * DAY, ctl.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(30 * DAY);
    expect(done).toBe(false);
    ctl.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a rate limit of 1 per "30d" lets the next job start after 30 days, without spinning', async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    // The bucket refills by performance.now(): let it follow the fake clock.
    vi.spyOn(performance, "now").mockImplementation(() => Date.now());
    const limiter = new RateLimiter(1, "30d");
    await limiter.acquire();
    let second = false;
    void limiter.acquire().then(() => {
      second = true;
    });
    await vi.advanceTimersByTimeAsync(29 * DAY);
    expect(second).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(DAY + 10);
    expect(second).toBe(true);
  });
});

for (const [name, make] of Object.entries(BACKENDS)) {
  describe(`durations past 2^31 ms on ${name}`, () => {
    let made: MadeBackend;
    const tasks: string[] = [];
    beforeAll(async () => {
      made = await make();
    });
    afterAll(async () => {
      await made.dispose();
      if (name === "postgres") stopPostgres();
    });
    afterEach(() => {
      for (const t of tasks.splice(0)) unregisterTask(t);
    });
    function define(q: string, handler: () => unknown): string {
      const taskName = `${q}-t`;
      tasks.push(taskName);
      task(taskName, { queue: q }, handler);
      return taskName;
    }

    it('timeout: "25d" lets a 50 ms job complete', async () => {
      const q = uniqueQueue("timeout");
      const backend = made.backend;
      const queue = new Queue(q, { backend });
      const t = define(q, async () => {
        await new Promise((r) => setTimeout(r, 50));
        return "ok";
      });
      const id = await queue.add(t, {}, { timeout: "25d" });
      const worker = new Worker(q, { backend, scanInterval: 50 });
      await worker.start();
      const job = await until(async () => {
        const j = await queue.getJob(id);
        return j?.state === "completed" || j?.state === "failed" ? j : null;
      });
      await worker.stop();
      expect(job?.error?.message).toBeUndefined();
      expect(job?.state).toBe("completed");
      expect(job?.result).toBe("ok");
    });

    it('shutdownGrace: "30d": stop() waits for the running job to finish', async () => {
      const q = uniqueQueue("grace");
      const backend = made.backend;
      const queue = new Queue(q, { backend });
      const started = gate();
      const release = gate();
      const t = define(q, async () => {
        started.open();
        await release.promise;
        return "finished";
      });
      const id = await queue.add(t);
      const worker = new Worker(q, { backend, scanInterval: 50, shutdownGrace: "30d" });
      await worker.start();
      await started.promise;
      let stopped = false;
      const stopping = worker.stop().then(() => {
        stopped = true;
      });
      await new Promise((r) => setTimeout(r, 150));
      expect(stopped).toBe(false); // still inside its 30-day grace
      release.open();
      await stopping;
      const job = await queue.getJob(id);
      expect(job?.state).toBe("completed");
      expect(job?.result).toBe("finished");
    });

    it('leaseDuration: "100d" does not renew leases in a loop', async () => {
      const q = uniqueQueue("lease");
      const { backend, calls } = counting(made.backend, ["extendLeases"]);
      const queue = new Queue(q, { backend });
      const t = define(q, () => new Promise((r) => setTimeout(() => r("held"), 300)));
      const id = await queue.add(t);
      const worker = new Worker(q, { backend, scanInterval: 50, leaseDuration: "100d" });
      await worker.start();
      await until(async () => (await queue.getJob(id))?.state === "completed");
      await worker.stop();
      expect(calls.extendLeases).toBeLessThanOrEqual(1);
    });

    it('scanInterval: "30d": the maintenance loops sleep instead of spinning, and stop promptly', async () => {
      const q = uniqueQueue("scan");
      const { backend, calls } = counting(made.backend, [
        "promoteDelayed",
        "removeExpiredFinished",
        "recoverStalled",
      ]);
      const ctl = new AbortController();
      const run = runWorker(q, { backend, signal: ctl.signal, scanInterval: "30d", leaseDuration: "60d" });
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      ctl.abort();
      await run;
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(calls.promoteDelayed).toBeLessThanOrEqual(3);
      expect(calls.removeExpiredFinished).toBeLessThanOrEqual(2);
      expect(calls.recoverStalled).toBeLessThanOrEqual(2);
    });
  });
}
