/**
 * Runtime conformance, flows across queues: real workers on two queues, a job of one waiting on
 * jobs of the other (dependsOn { queue, id }), reading their results (ctx.childrenValues) after
 * they were removed on completion, and the "continue" policy (ctx.childrenFailures). Run by
 * runtime-suite.ts on every backend.
 */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { Queue } from "../../src/queue.js";
import { runWorker } from "../../src/worker/runners.js";
import { nextEvents, uniqueQueue } from "../helpers.js";
import { fast, type RuntimeFixture } from "./runtime-fixture.js";

/** An idle claim loop sleeps this long between claims: a job started sooner was woken. */
const LONG_IDLE = 20_000;

export function flowTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define } = fx;

  /** Starts a worker on `queue`; returns its stop function (awaits the end of its run). */
  function start(queue: string, scanInterval: number): () => Promise<void> {
    const ctl = new AbortController();
    const run = runWorker(queue, { backend, signal: ctl.signal, ...fast, scanInterval });
    return async () => {
      ctl.abort();
      await run;
    };
  }

  it.runIf(fx.crossQueueFlows)(
    "a job waiting on jobs of another queue is woken in its own queue and reads their results after they were removed",
    async () => {
      const qa = uniqueQueue("flow-kids");
      const qb = uniqueQueue("flow-sum");
      const kids = new Queue<{ n: number }>(qa, { backend });
      const sums = new Queue(qb, { backend });
      define<{ n: number }>(`${qa}-double`, qa, async (data) => ({ doubled: data.n * 2 }));
      let values: Record<string, unknown> | undefined;
      define(`${qb}-sum`, qb, async (_data, ctx) => {
        values = await ctx.childrenValues();
        return Object.values(values).reduce((s: number, v) => s + (v as { doubled: number }).doubled, 0);
      });
      // The waiting job's worker idles first: only a wake-up from the other queue starts it soon.
      const stopSums = start(qb, LONG_IDLE);
      try {
        const a = await kids.add(`${qa}-double`, { n: 1 }, { removeOnComplete: true });
        const b = await kids.add(`${qa}-double`, { n: 2 }, { removeOnComplete: true });
        const id = await sums.add(`${qb}-sum`, null, {
          dependsOn: [
            { queue: qa, id: a },
            { queue: qa, id: b },
          ],
        });
        expect(await sums.getJob(id)).toMatchObject({
          state: "waiting-children",
          parents: [
            { queue: qa, id: a },
            { queue: qa, id: b },
          ],
        });
        expect(await kids.getDependants(a)).toEqual([`${qb}:${id}`]);
        const done = nextEvents("job:completed", qb, 1, 8000);
        const startedAt = Date.now();
        const stopKids = start(qa, fast.scanInterval);
        try {
          await done;
        } finally {
          await stopKids();
        }
        expect(Date.now() - startedAt).toBeLessThan(LONG_IDLE / 4);
        expect(await kids.getJob(a)).toBeNull();
        expect(values).toEqual({ [`${qa}:${a}`]: { doubled: 2 }, [`${qa}:${b}`]: { doubled: 4 } });
        expect(await sums.getJob(id)).toMatchObject({ state: "completed", result: 6 });
        expect(await sums.getChildrenValues(id)).toEqual(values);
      } finally {
        await stopSums();
      }
    },
  );

  it.runIf(fx.crossQueueFlows)(
    'onParentFailure "continue": a failing job of another queue starts the waiting job at once, which reads the failure',
    async () => {
      const qa = uniqueQueue("flow-bad");
      const qb = uniqueQueue("flow-cont");
      const kids = new Queue(qa, { backend });
      const waiting = new Queue(qb, { backend });
      define(`${qa}-boom`, qa, async () => {
        throw new Error("kid exploded");
      });
      let failures: Record<string, string> | undefined;
      define(`${qb}-go`, qb, async (_data, ctx) => {
        failures = await ctx.childrenFailures();
        return Object.keys(await ctx.childrenValues()).length;
      });
      const bad = await kids.add(`${qa}-boom`, null);
      // Never run: no worker serves this task's queue, yet the waiting job does not wait for it.
      const qn = uniqueQueue("flow-never");
      const never = await new Queue(qn, { backend }).add("nobody", null);
      const id = await waiting.add(`${qb}-go`, null, {
        dependsOn: [
          { queue: qa, id: bad },
          { queue: qn, id: never },
        ],
        onParentFailure: "continue",
      });
      const done = nextEvents("job:completed", qb, 1, 8000);
      const stopWaiting = start(qb, LONG_IDLE);
      const stopKids = start(qa, fast.scanInterval);
      try {
        await done;
      } finally {
        await stopKids();
        await stopWaiting();
      }
      expect(failures).toEqual({ [`${qa}:${bad}`]: "kid exploded" });
      expect(await waiting.getJob(id)).toMatchObject({ state: "completed", result: 0 });
      expect(await waiting.getChildrenFailures(id)).toEqual(failures);
    },
  );
}
