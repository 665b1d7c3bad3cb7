/**
 * Conformance, flows across queues: a job waiting on jobs of other queues (`dependsOn` entries
 * `"<queue>:<id>"`), the results and failures it keeps of its dependencies (getDependencyResults),
 * and the onParentFailure policies "fail" / "ignore" / "continue" with a dependency in another queue.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { ValidationError } from "../../../src/errors.js";
import {
  add,
  claimOne,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  recordWakes,
  T0,
  uniqueQueue,
} from "../helpers.js";
import { ERR, type SuiteFixture } from "./fixture.js";

export function crossQueueTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("dependsOn across queues", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    /** Claims the only waiting job of `queue` and completes it with `result`. */
    async function complete(queue: string, result: unknown, now = T0 + 20): Promise<string> {
      const job = await claimOne(b, queue, { now: now - 5 });
      const resultJson = JSON.stringify(result);
      expect(
        await b.finish(queue, [{ kind: "completed", jobId: job.id, token: job.token, resultJson }], now),
      ).toEqual([true]);
      return job.id;
    }

    it("a job of another queue readies the waiting job in its own queue: job:ready, waiting and a wake there", async () => {
      const qa = uniqueQueue("xq-a");
      const qb = uniqueQueue("xq-b");
      const seen = recordEvents(qb, cleanups);
      const wakes = recordWakes(b, qb, cleanups);
      await add(b, qa, { id: "p" });
      await add(b, qb, { id: "own" });
      const [child] = await b.enqueue(qb, [newJob({ id: "c", dependsOn: [`${qa}:p`, "own"] })]);
      expect(child).toEqual({ id: "c", state: "waiting-children", duplicate: false });
      const record = await mustGet(b, qb, "c");
      expect(record.dependsOn).toEqual(["own"]);
      expect(record.parents).toEqual([
        { queue: qa, id: "p" },
        { queue: qb, id: "own" },
      ]);
      expect(await b.getDependants(qa, "p")).toEqual([`${qb}:c`]);
      expect(await b.getDependants(qb, "own")).toEqual(["c"]);

      await runTo(qb, "completed");
      expect((await mustGet(b, qb, "c")).state).toBe("waiting-children");
      wakes.length = 0;
      await runTo(qa, "completed", T0 + 30);
      expect((await mustGet(b, qb, "c")).state).toBe("waiting");
      expect(await b.getDependants(qa, "p")).toEqual([]);
      await eventually(() => eventsOf(seen, "job:ready", "c").length === 1 && wakes.includes("job"));
      expect(eventsOf(seen, "job:ready", "c")[0]).toMatchObject({ queue: qb, jobId: "c" });
      expect((await claimOne(b, qb, { now: T0 + 40 })).id).toBe("c");
    });

    it("a missing job of another queue is refused, and nothing of the batch is written", async () => {
      const qa = uniqueQueue("xq-miss-a");
      const qb = uniqueQueue("xq-miss-b");
      await add(b, qa, { id: "real" });
      const batch = [newJob({ id: "first" }), newJob({ id: "c", dependsOn: [`${qa}:real`, `${qa}:ghost`] })];
      const refused = b.enqueue(qb, batch);
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(b.enqueue(qb, batch)).rejects.toThrow(`job "ghost" does not exist in queue "${qa}"`);
      expect(await b.getJob(qb, "first")).toBeNull();
      expect(Object.values(await b.getJobCounts(qb)).every((n) => n === 0)).toBe(true);
      expect(await b.getDependants(qa, "real")).toEqual([]);
    });

    it("keeps the results of its dependencies even when they are removed on completion", async () => {
      const qa = uniqueQueue("xq-keep-a");
      const qb = uniqueQueue("xq-keep-b");
      await add(b, qa, { id: "p1", removeOnComplete: true });
      await add(b, qb, { id: "p2", removeOnComplete: true });
      await add(b, qb, { id: "c", dependsOn: [`${qa}:p1`, "p2"] });
      await complete(qa, { from: "a" });
      expect(await b.getJob(qa, "p1")).toBeNull();
      expect(await b.getDependencyResults(qb, "c")).toEqual({
        values: { [`${qa}:p1`]: { from: "a" } },
        failures: {},
      });
      await complete(qb, [1, 2]);
      expect(await b.getJob(qb, "p2")).toBeNull();
      expect((await mustGet(b, qb, "c")).state).toBe("waiting");
      expect(await b.getDependencyResults(qb, "c")).toEqual({
        values: { [`${qa}:p1`]: { from: "a" }, [`${qb}:p2`]: [1, 2] },
        failures: {},
      });
      expect(await b.getDependencyResults(qb, "nope")).toEqual({ values: {}, failures: {} });
    });

    it("a dependency finished before the job was added: its result is copied at enqueue and outlives it", async () => {
      const qa = uniqueQueue("xq-early-a");
      const qb = uniqueQueue("xq-early-b");
      await add(b, qa, { id: "p" });
      await complete(qa, 42);
      await add(b, qb, { id: "c", dependsOn: [`${qa}:p`] });
      expect((await mustGet(b, qb, "c")).state).toBe("waiting");
      expect(await b.removeJob(qa, "p", T0 + 30)).toBe(true);
      expect(await b.getDependencyResults(qb, "c")).toEqual({ values: { [`${qa}:p`]: 42 }, failures: {} });
    });

    it("removing the waiting job removes what it kept", async () => {
      const qa = uniqueQueue("xq-rm-a");
      const qb = uniqueQueue("xq-rm-b");
      await add(b, qa, { id: "p" });
      await add(b, qb, { id: "c", dependsOn: [`${qa}:p`] });
      await complete(qa, "kept");
      expect((await b.getDependencyResults(qb, "c")).values).toEqual({ [`${qa}:p`]: "kept" });
      expect(await b.removeJob(qb, "c", T0 + 30)).toBe(true);
      // A new job under the same id starts with nothing kept.
      await add(b, qb, { id: "c" });
      expect(await b.getDependencyResults(qb, "c")).toEqual({ values: {}, failures: {} });
      // Also when the waiting job goes by retention.
      await add(b, qa, { id: "p2" });
      await add(b, qb, { id: "d", dependsOn: [`${qa}:p2`], removeOnComplete: true });
      await complete(qa, "x", T0 + 40);
      const d = await claimOne(b, qb, { now: T0 + 45 });
      expect(d.id).toBe("c");
      const d2 = await claimOne(b, qb, { now: T0 + 45 });
      expect(d2.id).toBe("d");
      await b.finish(qb, [{ kind: "completed", jobId: "d", token: d2.token, resultJson: "1" }], T0 + 50);
      await add(b, qb, { id: "d" });
      expect(await b.getDependencyResults(qb, "d")).toEqual({ values: {}, failures: {} });
    });

    it('onParentFailure "fail": a failed or cancelled job of another queue fails the waiting job', async () => {
      const qa = uniqueQueue("xq-fail-a");
      const qb = uniqueQueue("xq-fail-b");
      const seen = recordEvents(qb, cleanups);
      await add(b, qa, { id: "p" });
      await add(b, qa, { id: "p2" });
      await add(b, qb, { id: "c", dependsOn: [`${qa}:p`] });
      await add(b, qb, { id: "g", dependsOn: ["c"] });
      await add(b, qb, { id: "c2", dependsOn: [`${qa}:p2`] });
      await runTo(qa, "failed", T0 + 50);
      expect(await mustGet(b, qb, "c")).toMatchObject({
        state: "failed",
        finishedAt: T0 + 50,
        error: { name: "ParentFailedError", message: `parent job ${qa}:p failed` },
      });
      expect((await mustGet(b, qb, "g")).error?.message).toBe("parent job c failed");
      await eventually(() => eventsOf(seen, "job:failed").length === 2);
      expect(eventsOf(seen, "job:failed").map((p) => [p.queue, p.jobId])).toEqual([
        [qb, "c"],
        [qb, "g"],
      ]);
      expect(await b.cancelJob(qa, "p2", T0 + 60)).toBe(true);
      expect((await mustGet(b, qb, "c2")).error?.message).toBe(`parent job ${qa}:p2 cancelled`);
    });

    it('onParentFailure "ignore": the failure is kept, the job runs once the others complete', async () => {
      const qa = uniqueQueue("xq-ign-a");
      const qb = uniqueQueue("xq-ign-b");
      await add(b, qa, { id: "bad" });
      await add(b, qb, { id: "ok" });
      await add(b, qb, { id: "c", dependsOn: [`${qa}:bad`, "ok"], onParentFailure: "ignore" });
      await runTo(qa, "failed");
      expect((await mustGet(b, qb, "c")).state).toBe("waiting-children");
      await complete(qb, "fine");
      expect((await mustGet(b, qb, "c")).state).toBe("waiting");
      expect(await b.getDependencyResults(qb, "c")).toEqual({
        values: { [`${qb}:ok`]: "fine" },
        failures: { [`${qa}:bad`]: ERR.message },
      });
      // Already failed at enqueue: kept as well.
      await add(b, qb, { id: "late", dependsOn: [`${qa}:bad`], onParentFailure: "ignore" });
      expect((await mustGet(b, qb, "late")).state).toBe("waiting");
      expect((await b.getDependencyResults(qb, "late")).failures).toEqual({ [`${qa}:bad`]: ERR.message });
    });

    it('onParentFailure "continue": the job starts at once and stops waiting for the others', async () => {
      const qa = uniqueQueue("xq-cont-a");
      const qb = uniqueQueue("xq-cont-b");
      const seen = recordEvents(qb, cleanups);
      const wakes = recordWakes(b, qb, cleanups);
      await add(b, qa, { id: "bad" });
      await add(b, qa, { id: "slow", createdAt: T0 + 1 });
      await add(b, qb, { id: "c", dependsOn: [`${qa}:bad`, `${qa}:slow`], onParentFailure: "continue" });
      const bad = await claimOne(b, qa, { now: T0 + 10 });
      expect(bad.id).toBe("bad");
      await b.finish(qa, [{ kind: "failed", jobId: "bad", token: bad.token, error: ERR }], T0 + 20);
      expect((await mustGet(b, qb, "c")).state).toBe("waiting");
      await eventually(() => eventsOf(seen, "job:ready", "c").length === 1 && wakes.includes("job"));
      expect(await b.getDependants(qa, "slow")).toEqual([]);
      expect(await b.getDependencyResults(qb, "c")).toEqual({
        values: {},
        failures: { [`${qa}:bad`]: ERR.message },
      });
      // It runs and completes; the dependency it no longer waits for changes nothing later.
      await complete(qb, "done", T0 + 30);
      await complete(qa, "slow result", T0 + 40);
      expect(await mustGet(b, qb, "c")).toMatchObject({ state: "completed", result: "done" });
      expect(eventsOf(seen, "job:ready", "c")).toHaveLength(1);
      // Already dead at enqueue: starts at once.
      await add(b, qa, { id: "pending" });
      const [late] = await b.enqueue(qb, [
        newJob({ id: "late", dependsOn: [`${qa}:bad`, `${qa}:pending`], onParentFailure: "continue" }),
      ]);
      expect(late?.state).toBe("waiting");
      expect(await b.getDependants(qa, "pending")).toEqual([]);
    });

    it("obliterating a queue settles the jobs of other queues waiting on its jobs as for a removed parent", async () => {
      const qa = uniqueQueue("xq-obl-a");
      const qb = uniqueQueue("xq-obl-b");
      const seen = recordEvents(qb, cleanups);
      const wakes = recordWakes(b, qb, cleanups);
      await add(b, qa, { id: "p" });
      await add(b, qa, { id: "own", dependsOn: ["p"] });
      await add(b, qb, { id: "cf", dependsOn: [`${qa}:p`] });
      await add(b, qb, { id: "ci", dependsOn: [`${qa}:p`], onParentFailure: "ignore" });
      await b.obliterate(qa, false, T0 + 50);
      expect(await b.getJob(qa, "own")).toBeNull();
      expect(await mustGet(b, qb, "cf")).toMatchObject({
        state: "failed",
        finishedAt: T0 + 50,
        error: { name: "ParentFailedError", message: `parent job ${qa}:p removed` },
      });
      expect((await mustGet(b, qb, "ci")).state).toBe("waiting");
      expect((await b.getDependencyResults(qb, "ci")).failures).toEqual({ [`${qa}:p`]: "job removed" });
      await eventually(() => eventsOf(seen, "job:ready", "ci").length === 1 && wakes.includes("job"));
      expect(eventsOf(seen, "job:failed", "cf")).toHaveLength(1);
      // Obliterating the waiting job's queue leaves the other queue's jobs as they are.
      const qc = uniqueQueue("xq-obl-c");
      await add(b, qc, { id: "p" });
      await add(b, qb, { id: "w", dependsOn: [`${qc}:p`] });
      await b.obliterate(qb, true, T0 + 60);
      expect(await b.getJob(qb, "w")).toBeNull();
      expect(await b.getDependants(qc, "p")).toEqual([]);
      await runTo(qc, "completed", T0 + 70);
      expect(await b.getJobCounts(qb)).toMatchObject({ waiting: 0, "waiting-children": 0 });
    });

    it("a step job waits for a job of another queue (waiting-children finish)", async () => {
      const qa = uniqueQueue("xq-step-a");
      const qb = uniqueQueue("xq-step-b");
      await add(b, qb, { id: "s" });
      const s = await claimOne(b, qb, { now: T0 + 5 });
      await add(b, qa, { id: "k" });
      const finished = await b.finish(
        qb,
        [{ kind: "waiting-children", jobId: "s", token: s.token, childIds: [`${qa}:k`] }],
        T0 + 10,
      );
      expect(finished).toEqual([true]);
      expect(await mustGet(b, qb, "s")).toMatchObject({
        state: "waiting-children",
        parents: [{ queue: qa, id: "k" }],
      });
      expect((await mustGet(b, qb, "s")).dependsOn).toBeUndefined();
      await complete(qa, "child says hi", T0 + 20);
      expect((await mustGet(b, qb, "s")).state).toBe("waiting");
      expect((await b.getDependencyResults(qb, "s")).values).toEqual({ [`${qa}:k`]: "child says hi" });
    });
  });
}

/** For a backend that keeps each queue apart (Redis Cluster, a hash tag per queue): flows across queues are refused. */
export function crossQueueRefusedTests(fx: SuiteFixture): void {
  describe("dependsOn across queues (refused)", () => {
    it("a job depending on a job of another queue is refused with a ValidationError, and nothing is written", async () => {
      const b = fx.backend();
      const qa = uniqueQueue("xq-no-a");
      const qb = uniqueQueue("xq-no-b");
      await add(b, qa, { id: "p" });
      const batch = [newJob({ id: "first" }), newJob({ id: "c", dependsOn: [`${qa}:p`] })];
      await expect(b.enqueue(qb, batch)).rejects.toBeInstanceOf(ValidationError);
      expect(await b.getJob(qb, "first")).toBeNull();
      expect(await b.getDependants(qa, "p")).toEqual([]);
    });

    it("a step job waiting for a job of another queue is refused, and stays active", async () => {
      const b = fx.backend();
      const qa = uniqueQueue("xq-no-step-a");
      const qb = uniqueQueue("xq-no-step-b");
      await add(b, qb, { id: "s" });
      const s = await claimOne(b, qb, { now: T0 + 5 });
      await add(b, qa, { id: "k" });
      const finish = b.finish(
        qb,
        [{ kind: "waiting-children", jobId: "s", token: s.token, childIds: [`${qa}:k`] }],
        T0 + 10,
      );
      await expect(finish).rejects.toBeInstanceOf(ValidationError);
      expect((await mustGet(b, qb, "s")).state).toBe("active");
    });
  });
}
