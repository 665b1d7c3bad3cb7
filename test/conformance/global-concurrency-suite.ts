/**
 * Runtime conformance, global concurrency: `queue.setGlobalConcurrency(n)` caps the jobs running at
 * once across several Workers, and a freed slot is used at once, not after an idle sleep (each
 * runtime-*.test.ts registers it). Where the engine is shared storage, every Worker has its own
 * backend instance, as separate processes would: the cap and the wake-ups travel through the engine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, nextEvents, uniqueQueue, until } from "../helpers.js";

// The idle fallback (scanInterval) is far longer than the tests take: only wake-ups move them on.
const quiet = { scanInterval: "30s", leaseDuration: "10s", shutdownGrace: 50 } as const;

export function globalConcurrencyConformance(
  name: string,
  makeBackend: () => Promise<Backend> | Backend,
): void {
  describe(`global concurrency runtime: ${name}`, () => {
    /** One instance per Worker (and one for the Queue) where the engine is shared; else one for all. */
    const backends: Backend[] = [];
    const tasks: string[] = [];
    const workers: Worker[] = [];
    beforeAll(async () => {
      const first = await makeBackend();
      backends.push(first);
      for (let i = 0; i < 3; i++)
        backends.push(first.capabilities.multiProcess ? await makeBackend() : first);
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop()));
      for (const t of tasks.splice(0)) unregisterTask(t);
    });
    afterAll(async () => {
      for (const b of new Set(backends)) await b.close();
    });

    /** Starts three Workers of concurrency 5 on `q`, each on its own backend instance. */
    async function startWorkers(q: string): Promise<void> {
      for (let i = 1; i <= 3; i++) {
        const worker = new Worker(q, { backend: backends[i], concurrency: 5, ...quiet });
        workers.push(worker);
        await worker.start();
      }
    }

    it("3 workers of concurrency 5 under setGlobalConcurrency(2): never more than 2 handlers at once, and no idle waits", async () => {
      const q = uniqueQueue("gc-run");
      const queue = new Queue(q, { backend: backends[0] });
      await queue.setGlobalConcurrency(2);
      expect(await queue.getGlobalConcurrency()).toBe(2);
      let running = 0;
      let most = 0;
      tasks.push(`${q}-work`);
      task(`${q}-work`, { queue: q }, async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
      });
      await startWorkers(q);
      // 15 rounds of 20 ms at best; waiting out an idle sleep (30 s here) even once would time out.
      const completed = nextEvents("job:completed", q, 30, 8000);
      await queue.addBulk(Array.from({ length: 30 }, () => ({ task: `${q}-work` })));
      await completed;
      expect(most).toBe(2);
      expect((await queue.getJobCounts()).completed).toBe(30);
    });

    it("removeGlobalConcurrency lets running workers use their own concurrency at once; bad limits are refused", async () => {
      const q = uniqueQueue("gc-lift");
      const queue = new Queue(q, { backend: backends[0] });
      for (const bad of [0, 2.5, -3, Number.NaN, null]) {
        await expect(queue.setGlobalConcurrency(bad as number)).rejects.toThrow(ValidationError);
      }
      expect(await queue.getGlobalConcurrency()).toBeNull();
      await queue.setGlobalConcurrency(1);
      const release = gate();
      let running = 0;
      tasks.push(`${q}-held`);
      task(`${q}-held`, { queue: q }, async () => {
        running++;
        await release.promise;
        running--;
      });
      await startWorkers(q);
      await queue.addBulk(Array.from({ length: 6 }, () => ({ task: `${q}-held` })));
      await until(() => running === 1, 5000, "the one allowed job to start");
      expect((await queue.getJobCounts()).active).toBe(1);
      await queue.removeGlobalConcurrency();
      expect(await queue.getGlobalConcurrency()).toBeNull();
      await until(() => running === 6, 5000, "every job to start once the limit is lifted");
      release.open();
      await until(async () => (await queue.getJobCounts()).completed === 6, 5000, "all done");
    });
  });
}
