/**
 * Runtime conformance, step jobs (ctx.moveToDelayed, ctx.moveToWaitingChildren): run by
 * runtime-suite.ts on every backend.
 */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { DelayedError } from "../../src/step-errors.js";
import { runWorker } from "../../src/worker/runners.js";
import { nextEvents, uniqueQueue, until } from "../helpers.js";
import { collect, fast, type RuntimeFixture } from "./runtime-fixture.js";

type Step = { step: number };

export function stepJobTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define, stops } = fx;

  it("a step job: ctx.moveToDelayed holds it until runAt with its new data, and no step uses an attempt", async () => {
    const q = uniqueQueue("steps-delayed");
    const queue = new Queue<Step>(q, { backend });
    const runs: Array<{ step: number; attempts: number; at: number }> = [];
    const refused: unknown[] = [];
    let movedAt = 0;
    define<Step>(`${q}-t`, q, async (data, ctx) => {
      runs.push({ step: data.step, attempts: ctx.job.attempts, at: Date.now() });
      if (data.step === 1) {
        // Bad input is refused at the call, before anything is written.
        for (const bad of [Number.NaN, "soon", new Date("nope")]) {
          try {
            ctx.moveToDelayed(bad as number);
          } catch (err) {
            refused.push(err);
          }
        }
        movedAt = Date.now();
        ctx.moveToDelayed(movedAt + 50, { step: 2 });
      }
      if (data.step === 2) {
        await ctx.updateData({ step: 3 });
        ctx.moveToDelayed(new Date(Date.now() - 1)); // already due: straight back to waiting
      }
      return { done: data.step };
    });
    const delayed = collect("job:delayed", q);
    const retrying = collect("job:retrying", q);
    stops.push(delayed.stop, retrying.stop);
    const completed = nextEvents("job:completed", q, 1, 8000);
    const id = await queue.add(`${q}-t`, { step: 1 });
    const ctl = new AbortController();
    const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
    await completed;
    ctl.abort();
    await run;

    expect(refused.map((e) => e instanceof ValidationError && !(e instanceof DelayedError))).toEqual([
      true,
      true,
      true,
    ]);
    expect(runs.map((r) => [r.step, r.attempts])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    // Step 2 waited for its runAt (the move was delayed, not retried at once).
    expect((runs[1]?.at as number) - movedAt).toBeGreaterThanOrEqual(45);
    expect(delayed.seen.map((e) => [e.jobId, e.runAt])).toEqual([[id, movedAt + 50]]);
    expect(retrying.seen).toEqual([]);
    expect(await queue.getJob(id)).toMatchObject({
      state: "completed",
      attempts: 1,
      data: { step: 3 },
      result: { done: 3 },
    });
  });

  it("a 3-step job: delayed, then waits for the 2 children it adds, then completes with their results", async () => {
    const q = uniqueQueue("steps-children");
    const queue = new Queue(q, { backend });
    type Parent = { step: number; children?: string[] };
    const runs: Array<{ step: number; attempts: number; at: number }> = [];
    const refused: unknown[] = [];
    let movedAt = 0;
    define<{ n: number }>(`${q}-child`, q, (data) => data.n * 10);
    define<Parent>(`${q}-parent`, q, async (data, ctx) => {
      runs.push({ step: data.step, attempts: ctx.job.attempts, at: Date.now() });
      if (data.step === 1) {
        movedAt = Date.now();
        ctx.moveToDelayed(movedAt + 50, { step: 2 });
      }
      if (data.step === 2) {
        // Bad input is refused before anything is written: the job is still running step 2.
        for (const bad of [[], [ctx.job.id], ["no-such-job"]]) {
          await ctx.moveToWaitingChildren(bad).catch((err: unknown) => refused.push(err));
        }
        const children = await queue.addBulk([
          { task: `${q}-child`, data: { n: 1 } },
          { task: `${q}-child`, data: { n: 2 } },
        ]);
        await ctx.updateData({ step: 3, children });
        await ctx.moveToWaitingChildren(children);
      }
      const results = await Promise.all((data.children ?? []).map((id) => queue.getJob(id)));
      return results.map((job) => job?.result);
    });
    const completed = collect("job:completed", q);
    stops.push(completed.stop);
    const id = await queue.add(`${q}-parent`, { step: 1 });
    const ctl = new AbortController();
    const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
    await until(() => completed.seen.some((e) => e.jobId === id), 8000, "the parent's completion");
    ctl.abort();
    await run;

    expect(refused.map((e) => e instanceof ValidationError)).toEqual([true, true, true]);
    expect(runs.map((r) => [r.step, r.attempts])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect((runs[1]?.at as number) - movedAt).toBeGreaterThanOrEqual(45);
    // Step 3 ran only after both children completed.
    expect(completed.seen.map((e) => e.jobId).indexOf(id)).toBe(2);
    const parent = await queue.getJob(id);
    expect(parent).toMatchObject({ state: "completed", attempts: 1, result: [10, 20] });
    const children = (parent?.data as Parent | undefined)?.children;
    expect(children).toHaveLength(2);
    expect(parent?.dependsOn).toEqual(children);
  });
}
