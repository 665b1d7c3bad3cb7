/**
 * Conformance, dependsOn (flows): parents, children waiting on them, and what a parent's failure or removal does.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { ValidationError } from "../../../src/errors.js";
import {
  add,
  claimOne,
  claimOpts,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  recordWakes,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function flowsTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("dependsOn", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("getDependants lists the children still waiting on a job, in creation order", async () => {
      const q = uniqueQueue("dep-list");
      await b.enqueue(q, [newJob({ id: "p" }), newJob({ id: "other" })]);
      await b.enqueue(q, [
        newJob({ id: "c2", dependsOn: ["p"] }),
        newJob({ id: "c1", dependsOn: ["p", "other"] }),
      ]);
      expect(await b.getDependants(q, "p")).toEqual(["c2", "c1"]);
      expect(await b.getDependants(q, "other")).toEqual(["c1"]);
      expect(await b.getDependants(q, "c1")).toEqual([]);
      expect(await b.getDependants(q, "nope")).toEqual([]);
      expect(await runTo(q, "completed")).toBe("p");
      // p completed: nothing waits on it any more; c1 still waits on other.
      expect(await b.getDependants(q, "p")).toEqual([]);
      expect(await b.getDependants(q, "other")).toEqual(["c1"]);
    });

    it("waits in waiting-children until every parent completed, then job:ready, waiting and a wake", async () => {
      const q = uniqueQueue("dep-ready");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await b.enqueue(q, [newJob({ id: "p1" }), newJob({ id: "p2" })]);
      const [child] = await b.enqueue(q, [newJob({ id: "c", dependsOn: ["p1", "p2"] })]);
      expect(child).toEqual({ id: "c", state: "waiting-children", duplicate: false });
      expect((await b.getJobCounts(q))["waiting-children"]).toBe(1);
      await runTo(q, "completed");
      expect((await mustGet(b, q, "c")).state).toBe("waiting-children");
      wakes.length = 0;
      await runTo(q, "completed");
      expect((await mustGet(b, q, "c")).state).toBe("waiting");
      await eventually(() => eventsOf(seen, "job:ready", "c").length === 1 && wakes.includes("job"));
      expect(eventsOf(seen, "job:ready", "c")[0]).toMatchObject({ queue: q, jobId: "c" });
      expect((await claimOne(b, q, { now: T0 + 40 })).id).toBe("c");
    });

    it("a ready child whose runAt is still ahead becomes delayed", async () => {
      const q = uniqueQueue("dep-delayed");
      await add(b, q, { id: "p" });
      await add(b, q, { id: "c", dependsOn: ["p"], runAt: T0 + 10_000 });
      expect((await mustGet(b, q, "c")).state).toBe("waiting-children");
      await runTo(q, "completed", T0 + 20);
      expect(await mustGet(b, q, "c")).toMatchObject({ state: "delayed", runAt: T0 + 10_000 });
      expect(await b.promoteDelayed(q, T0 + 10_000, 10)).toEqual({ promoted: 1, nextDueAt: null });
    });

    it("a failed parent fails its children with ParentFailedError, cascading", async () => {
      const q = uniqueQueue("dep-cascade");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "p" });
      await add(b, q, { id: "c", dependsOn: ["p"] });
      await add(b, q, { id: "g", dependsOn: ["c"] });
      await runTo(q, "failed", T0 + 50);
      expect(await mustGet(b, q, "c")).toMatchObject({
        state: "failed",
        finishedAt: T0 + 50,
        error: { name: "ParentFailedError", message: "parent job p failed" },
      });
      expect(await mustGet(b, q, "g")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job c failed" },
      });
      await eventually(() => eventsOf(seen, "job:failed").length === 3);
      expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["p", "c", "g"]);
      expect(await b.claim(q, claimOpts({ limit: 5, now: T0 + 60 }))).toEqual([]);
    });

    it("onParentFailure 'ignore' treats a failed parent as done", async () => {
      const q = uniqueQueue("dep-ignore");
      await add(b, q, { id: "p" });
      await add(b, q, { id: "c", dependsOn: ["p"], onParentFailure: "ignore" });
      await runTo(q, "failed");
      expect((await mustGet(b, q, "c")).state).toBe("waiting");
    });

    it("parents already finished at enqueue: completed counts as done; failed/expired/cancelled fail or are ignored", async () => {
      const q = uniqueQueue("dep-finished");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "done" });
      await runTo(q, "completed");
      await add(b, q, { id: "bad" });
      await runTo(q, "failed");
      await add(b, q, { id: "late", ttl: 1 });
      expect(await b.expireDue(q, T0 + 1, 10)).toBe(1);
      await add(b, q, { id: "gone" });
      expect(await b.cancelJob(q, "gone", T0 + 2)).toBe(true);

      const results = await b.enqueue(q, [
        newJob({ id: "c-done", dependsOn: ["done"] }),
        newJob({ id: "c-bad", dependsOn: ["done", "bad"] }),
        newJob({ id: "c-late", dependsOn: ["late"], onParentFailure: "fail" }),
        newJob({ id: "c-gone", dependsOn: ["gone"] }),
        newJob({ id: "c-ignore", dependsOn: ["bad", "late", "gone"], onParentFailure: "ignore" }),
      ]);
      expect(results.map((r) => r.state)).toEqual(["waiting", "failed", "failed", "failed", "waiting"]);
      expect((await mustGet(b, q, "c-bad")).error).toEqual({
        name: "ParentFailedError",
        message: "parent job bad failed",
      });
      expect((await mustGet(b, q, "c-late")).error?.message).toBe("parent job late expired");
      expect((await mustGet(b, q, "c-gone")).error?.message).toBe("parent job gone cancelled");
      await eventually(() => eventsOf(seen, "job:failed", "c-bad").length === 1);
      expect(eventsOf(seen, "job:waiting", "c-bad")).toEqual([]);
    });

    it("a parent that expires or is cancelled fails its waiting children", async () => {
      const q = uniqueQueue("dep-expire-cancel");
      await add(b, q, { id: "p1", ttl: 10 });
      await add(b, q, { id: "p2" });
      await add(b, q, { id: "c1", dependsOn: ["p1"] });
      await add(b, q, { id: "c2", dependsOn: ["p2"] });
      expect(await b.expireDue(q, T0 + 10, 10)).toBe(1);
      expect((await mustGet(b, q, "c1")).error?.message).toBe("parent job p1 expired");
      expect(await b.cancelJob(q, "p2", T0 + 11)).toBe(true);
      expect(await mustGet(b, q, "c2")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job p2 cancelled" },
      });
    });

    it("an unknown parent is a ValidationError", async () => {
      const q = uniqueQueue("dep-unknown");
      await add(b, q, { id: "real" });
      await expect(b.enqueue(q, [newJob({ dependsOn: ["real", "ghost"] })])).rejects.toBeInstanceOf(
        ValidationError,
      );
      expect((await b.getJobCounts(q)).waiting).toBe(1);
    });

    it("removeJob of an unfinished parent fails its 'fail' children and releases its 'ignore' children", async () => {
      const q = uniqueQueue("dep-remove");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { id: "p" });
      await add(b, q, { id: "other" });
      await add(b, q, { id: "cf", dependsOn: ["p"] });
      await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
      await add(b, q, { id: "both", dependsOn: ["p", "other"], onParentFailure: "ignore" });
      wakes.length = 0;
      expect(await b.removeJob(q, "p", T0 + 100)).toBe(true);
      expect(await b.getJob(q, "p")).toBeNull();
      expect(await mustGet(b, q, "cf")).toMatchObject({
        state: "failed",
        finishedAt: T0 + 100,
        error: { name: "ParentFailedError", message: "parent job p removed" },
      });
      expect((await mustGet(b, q, "ci")).state).toBe("waiting");
      // A child with another unfinished parent still waits for that one.
      expect((await mustGet(b, q, "both")).state).toBe("waiting-children");
      await eventually(
        () =>
          eventsOf(seen, "job:failed", "cf").length === 1 &&
          eventsOf(seen, "job:ready", "ci").length === 1 &&
          wakes.includes("job"),
      );
      expect(eventsOf(seen, "job:failed", "cf")[0]).toMatchObject({
        queue: q,
        jobId: "cf",
        error: { name: "ParentFailedError", message: "parent job p removed" },
      });
      expect(eventsOf(seen, "job:ready", "both")).toEqual([]);
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 2, failed: 1, "waiting-children": 1 });
      await runTo(q, "completed", T0 + 30);
      expect((await mustGet(b, q, "both")).state).toBe("waiting");
      expect((await claimOne(b, q, { now: T0 + 40 })).id).toBe("ci");
    });

    it("removing an active parent cascades: grandchildren fail too, removeOnFail applies", async () => {
      const q = uniqueQueue("dep-remove-cascade");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "p" });
      await add(b, q, { id: "c", dependsOn: ["p"], removeOnFail: true });
      await add(b, q, { id: "g", dependsOn: ["c"] });
      await add(b, q, { id: "gi", dependsOn: ["c"], onParentFailure: "ignore" });
      const job = await claimOne(b, q);
      expect(job.id).toBe("p");
      expect(await b.removeJob(q, "p", T0 + 100)).toBe(true);
      expect(await b.getJob(q, "c")).toBeNull();
      expect(await mustGet(b, q, "g")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job c failed" },
      });
      expect((await mustGet(b, q, "gi")).state).toBe("waiting");
      await eventually(() => eventsOf(seen, "job:failed").length === 2);
      expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["c", "g"]);
      expect(eventsOf(seen, "job:failed", "c")[0]?.error).toEqual({
        name: "ParentFailedError",
        message: "parent job p removed",
      });
      expect(
        await b.finish(q, [{ kind: "completed", jobId: "p", token: job.token, resultJson: "1" }], T0 + 20),
      ).toEqual([false]);
      expect(await b.getJobCounts(q)).toMatchObject({
        active: 0,
        waiting: 1,
        failed: 1,
        "waiting-children": 0,
      });
    });

    it("drain settles the children of the parents it removes; released children are not drained", async () => {
      const q = uniqueQueue("dep-drain");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "p" });
      await add(b, q, { id: "d", runAt: T0 + 5000 });
      await add(b, q, { id: "cf", dependsOn: ["p"] });
      await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
      await add(b, q, { id: "cd", dependsOn: ["d"] });
      expect(await b.drain(q, false, T0 + 100)).toBe(1);
      expect(await b.getJob(q, "p")).toBeNull();
      expect(await mustGet(b, q, "cf")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job p removed" },
      });
      expect((await mustGet(b, q, "ci")).state).toBe("waiting");
      expect((await mustGet(b, q, "cd")).state).toBe("waiting-children");
      await eventually(
        () =>
          eventsOf(seen, "job:failed", "cf").length === 1 && eventsOf(seen, "job:ready", "ci").length === 1,
      );
      // The delayed parent goes when delayed jobs are drained too; the released child stays.
      expect(await b.drain(q, true, T0 + 100)).toBe(2);
      expect(await b.getJob(q, "ci")).toBeNull();
      expect(await mustGet(b, q, "cd")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job d removed" },
      });
      expect(await b.getJobCounts(q)).toMatchObject({
        waiting: 0,
        delayed: 0,
        failed: 2,
        "waiting-children": 0,
      });
    });

    it("clean of an unfinished state settles the children of the jobs it removes", async () => {
      const q = uniqueQueue("dep-clean");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "old", createdAt: T0 - 1000, runAt: T0 + 10_000 });
      await add(b, q, { id: "new", createdAt: T0 + 1000, runAt: T0 + 10_000 });
      await add(b, q, { id: "c-old", dependsOn: ["old"] });
      // removeJob, drain and clean take no clock: a runAt decades ahead is ahead of theirs too.
      const far = T0 + 1e12;
      await add(b, q, { id: "ci-old", dependsOn: ["old"], onParentFailure: "ignore", runAt: far });
      await add(b, q, { id: "c-new", dependsOn: ["new"] });
      expect(await b.clean(q, "delayed", T0, 10, T0 + 100)).toEqual(["old"]);
      expect(await mustGet(b, q, "c-old")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job old removed" },
      });
      // Released with its runAt still ahead: delayed.
      expect(await mustGet(b, q, "ci-old")).toMatchObject({ state: "delayed", runAt: far });
      expect((await mustGet(b, q, "c-new")).state).toBe("waiting-children");
      await eventually(
        () =>
          eventsOf(seen, "job:failed", "c-old").length === 1 &&
          eventsOf(seen, "job:ready", "ci-old").length === 1,
      );
      // Cleaning finished jobs settles nothing more.
      expect(await b.clean(q, "failed", Number.MAX_SAFE_INTEGER, 10, T0 + 100)).toEqual(["c-old"]);
      expect((await mustGet(b, q, "c-new")).state).toBe("waiting-children");
    });

    it("a job removed with its parent in one call is not settled; its own children see it removed", async () => {
      const q = uniqueQueue("dep-clean-chain");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "r" });
      await add(b, q, { id: "p", dependsOn: ["r"], createdAt: T0 - 100 });
      await add(b, q, { id: "c", dependsOn: ["p"], createdAt: T0 - 50 });
      await add(b, q, { id: "g", dependsOn: ["c"], createdAt: T0 + 100 });
      expect(await b.clean(q, "waiting-children", T0, 10, T0 + 100)).toEqual(["p", "c"]);
      expect(await mustGet(b, q, "g")).toMatchObject({
        state: "failed",
        error: { name: "ParentFailedError", message: "parent job c removed" },
      });
      await eventually(() => eventsOf(seen, "job:failed", "g").length === 1);
      expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["g"]);
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 1, failed: 1, "waiting-children": 0 });
    });

    it("obliterate deletes parents and children alike and settles nothing", async () => {
      const q = uniqueQueue("dep-oblit");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "p" });
      await add(b, q, { id: "c", dependsOn: ["p"] });
      await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
      await b.obliterate(q, false);
      expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
      expect(await b.getJob(q, "c")).toBeNull();
      expect(eventsOf(seen, "job:failed")).toEqual([]);
      expect(eventsOf(seen, "job:ready")).toEqual([]);
    });
  });
}
