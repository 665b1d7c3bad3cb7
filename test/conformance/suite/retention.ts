/**
 * Conformance, retention: removeOnComplete / removeOnFail as applied when a job finishes.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import {
  add,
  claimOpts,
  completions,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function retentionTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("retention", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("removeOnComplete: true deletes the job at once, the event still fires", async () => {
      const q = uniqueQueue("ret-true");
      const seen = recordEvents(q, cleanups);
      const id = await add(b, q, { removeOnComplete: true });
      await b.addLog(q, id, "line");
      await runTo(q, "completed");
      expect(await b.getJob(q, id)).toBeNull();
      expect(await b.getLogs(q, id)).toEqual([]);
      expect((await b.getJobCounts(q)).completed).toBe(0);
      await eventually(() => eventsOf(seen, "job:completed", id).length === 1);
    });

    it("removeOnComplete: true in a batch: the job leaves every list and frees its dedup key; its neighbours stay", async () => {
      const q = uniqueQueue("ret-true-batch");
      const seen = recordEvents(q, cleanups);
      const gone = await add(b, q, { removeOnComplete: true, dedup: { key: "k", ttl: 60_000 } });
      const kept = await add(b, q);
      const claimed = await b.claim(q, claimOpts({ limit: 2 }));
      expect(claimed.map((j) => j.id)).toEqual([gone, kept]);
      const held = await b.finish(q, completions(claimed, '"r"'), T0 + 1);
      expect(held).toEqual([true, true]);
      expect(await b.getJob(q, gone)).toBeNull();
      const listed = await b.getJobs(q, ["completed", "active"], { start: 0, end: -1, asc: true });
      expect(listed.map((j) => j.id)).toEqual([kept]);
      expect(await b.getJobCounts(q)).toMatchObject({ completed: 1, active: 0 });
      expect(await b.getDeduplicationJobId(q, "k")).toBeNull();
      const [again] = await b.enqueue(q, [newJob({ dedup: { key: "k", ttl: 60_000 } })]);
      expect(again?.duplicate).toBe(false);
      await eventually(() => eventsOf(seen, "job:completed", gone).length === 1);
      expect(eventsOf(seen, "job:completed", gone)[0]).toMatchObject({ result: "r" });
    });

    it("removeOnFail: true deletes failed and expired jobs at once", async () => {
      const q = uniqueQueue("ret-fail-true");
      const seen = recordEvents(q, cleanups);
      const failed = await add(b, q, { removeOnFail: true });
      await runTo(q, "failed");
      expect(await b.getJob(q, failed)).toBeNull();
      const expired = await add(b, q, { removeOnFail: true, ttl: 5 });
      expect(await b.claim(q, claimOpts({ now: T0 + 5 }))).toEqual([]);
      expect(await b.getJob(q, expired)).toBeNull();
      const counts = await b.getJobCounts(q);
      expect([counts.failed, counts.expired]).toEqual([0, 0]);
      await eventually(() => eventsOf(seen, "job:failed", failed).length === 1);
      await eventually(() => eventsOf(seen, "job:expired", expired).length === 1);
    });

    it("removeOnComplete: false and absent keep the job", async () => {
      const q = uniqueQueue("ret-false");
      const id = await add(b, q, { removeOnComplete: false });
      await runTo(q, "completed");
      expect((await mustGet(b, q, id)).state).toBe("completed");
    });

    it("{ count } keeps the N most recently finished jobs of that state", async () => {
      const q = uniqueQueue("ret-count");
      await b.enqueue(q, [
        newJob({ removeOnComplete: { count: 2 } }),
        newJob({ removeOnComplete: { count: 2 } }),
        newJob({ removeOnComplete: { count: 2 } }),
        newJob({ removeOnFail: { count: 1 } }),
        newJob({ removeOnFail: { count: 1 } }),
      ]);
      await runTo(q, "completed", T0 + 20);
      await runTo(q, "completed", T0 + 21);
      expect((await b.getJobCounts(q)).completed).toBe(2);
      await runTo(q, "completed", T0 + 22);
      expect(await b.getJob(q, "1")).toBeNull();
      expect((await mustGet(b, q, "2")).state).toBe("completed");
      expect((await mustGet(b, q, "3")).state).toBe("completed");
      await runTo(q, "failed", T0 + 23);
      await runTo(q, "failed", T0 + 24);
      expect(await b.getJob(q, "4")).toBeNull();
      expect((await mustGet(b, q, "5")).state).toBe("failed");
      const counts = await b.getJobCounts(q);
      expect([counts.completed, counts.failed]).toEqual([2, 1]);
    });

    it("{ age } sets a removal time that removeExpiredFinished honours", async () => {
      const q = uniqueQueue("ret-age");
      expect(await b.removeExpiredFinished(q, T0 + 100_000, 10)).toBe(0);
      await b.enqueue(q, [
        newJob({ removeOnComplete: { age: 1000 } }),
        newJob({ removeOnComplete: { age: 1000 } }),
        newJob({ removeOnFail: { age: 500 } }),
      ]);
      await runTo(q, "completed", T0 + 100);
      await runTo(q, "completed", T0 + 200);
      await runTo(q, "failed", T0 + 300);
      expect(await b.removeExpiredFinished(q, T0 + 799, 10)).toBe(0);
      expect(await b.removeExpiredFinished(q, T0 + 800, 10)).toBe(1);
      expect(await b.getJob(q, "3")).toBeNull();
      expect(await b.removeExpiredFinished(q, T0 + 1099, 10)).toBe(0);
      expect(await b.removeExpiredFinished(q, T0 + 5000, 1)).toBe(1);
      expect(await b.getJob(q, "1")).toBeNull();
      expect((await mustGet(b, q, "2")).state).toBe("completed");
      expect(await b.removeExpiredFinished(q, T0 + 5000, 1)).toBe(1);
      expect(await b.removeExpiredFinished(q, T0 + 100_000, 10)).toBe(0);
      expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
    });

    it("a job removed or retried before its age passes is not counted by removeExpiredFinished", async () => {
      const q = uniqueQueue("ret-age-stale");
      await b.enqueue(q, [newJob({ removeOnFail: { age: 100 } }), newJob({ removeOnFail: { age: 100 } })]);
      await runTo(q, "failed", T0 + 20);
      await runTo(q, "failed", T0 + 30);
      expect(await b.removeJob(q, "1", T0 + 100)).toBe(true);
      expect(await b.retryJob(q, "2")).toBe(true);
      expect(await b.removeExpiredFinished(q, T0 + 10_000, 10)).toBe(0);
      expect((await mustGet(b, q, "2")).state).toBe("waiting");
    });

    it("count and age may be given together", async () => {
      const q = uniqueQueue("ret-both");
      const spec = { count: 1, age: 1000 };
      await b.enqueue(q, [newJob({ removeOnComplete: spec }), newJob({ removeOnComplete: spec })]);
      await runTo(q, "completed", T0 + 20);
      await runTo(q, "completed", T0 + 30);
      expect(await b.getJob(q, "1")).toBeNull();
      expect(await b.removeExpiredFinished(q, T0 + 1030, 10)).toBe(1);
      expect(await b.getJob(q, "2")).toBeNull();
    });
  });
}
