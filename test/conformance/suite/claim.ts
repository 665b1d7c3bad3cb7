/**
 * Conformance, claim: priority then FIFO, limit, the lease and job:started, pause, ttl expiry, and claiming one job by id.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { parentFailedError } from "../../../src/backends/shared/rules.js";
import {
  add,
  claimById,
  claimOne,
  claimOpts,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function claimTests(fx: SuiteFixture): void {
  const { cleanups } = fx;
  describe("claim", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("takes waiting jobs by priority, then FIFO", async () => {
      const q = uniqueQueue("claim-order");
      const ids = (
        await b.enqueue(q, [
          newJob({ priority: 5 }),
          newJob({ priority: 1 }),
          newJob({ priority: 5 }),
          newJob({ priority: 3 }),
          newJob({ priority: 1 }),
          newJob({ priority: -2 }),
        ])
      ).map((r) => r.id);
      const claimed = await b.claim(q, claimOpts({ limit: 10 }));
      expect(claimed.map((j) => j.id)).toEqual([ids[5], ids[1], ids[4], ids[3], ids[0], ids[2]]);
    });

    describe("lifo", () => {
      /** Every waiting job's id, in claim order. */
      async function claimOrder(q: string): Promise<string[]> {
        return (await b.claim(q, claimOpts({ limit: 20 }))).map((j) => j.id);
      }

      it("a lifo job goes ahead of the waiting jobs, the newest lifo job first", async () => {
        const q = uniqueQueue("lifo-order");
        const [a, bb, c] = (await b.enqueue(q, [newJob(), newJob(), newJob()])).map((r) => r.id);
        const d = await add(b, q, { lifo: true });
        const e = await add(b, q, { lifo: true });
        expect(await claimOrder(q)).toEqual([e, d, a, bb, c]);
      });

      it("goes first only among the jobs of its priority", async () => {
        const q = uniqueQueue("lifo-priority");
        const a = await add(b, q, { priority: 5 });
        const hi = await add(b, q, { priority: 1 });
        const lifo5 = await add(b, q, { priority: 5, lifo: true });
        const lifo9 = await add(b, q, { priority: 9, lifo: true });
        expect(await claimOrder(q)).toEqual([hi, lifo5, a, lifo9]);
      });

      it("works within one addBulk: its lifo jobs go ahead, the later first", async () => {
        const q = uniqueQueue("lifo-bulk");
        const before = await add(b, q);
        const [a, x, bb, y] = (
          await b.enqueue(q, [newJob(), newJob({ lifo: true }), newJob(), newJob({ lifo: true })])
        ).map((r) => r.id);
        expect(await claimOrder(q)).toEqual([y, x, before, a, bb]);
      });

      it("a delayed lifo job goes to the front when promoted (the newer first); a delayed FIFO one to the tail", async () => {
        const q = uniqueQueue("lifo-delayed");
        const lifo = await add(b, q, { lifo: true, runAt: T0 + 100 });
        const fifo = await add(b, q, { runAt: T0 + 100 });
        const newer = await add(b, q, { lifo: true, runAt: T0 + 100 });
        const [a, bb] = (await b.enqueue(q, [newJob(), newJob()])).map((r) => r.id);
        expect((await b.promoteDelayed(q, T0 + 200, 10)).promoted).toBe(3);
        const other = await add(b, q, { lifo: true, runAt: T0 + 5000 });
        expect(await b.promoteJob(q, other, T0 + 300)).toBe(true);
        expect(await claimOrder(q)).toEqual([other, newer, lifo, a, bb, fifo]);
      });

      it("a lifo job put back after it ran (retry, retry after a backoff, release) goes to the tail", async () => {
        const q = uniqueQueue("lifo-again");
        const [now, later, released] = (
          await b.enqueue(q, [newJob({ lifo: true }), newJob({ lifo: true }), newJob({ lifo: true })])
        ).map((r) => r.id);
        const running = await b.claim(q, claimOpts({ limit: 3 }));
        const a = await add(b, q);
        const token = (id: string | undefined) => running.find((j) => j.id === id)?.token as string;
        const error = { name: "Error", message: "boom" };
        const items = [
          { kind: "retry" as const, jobId: now as string, token: token(now), error, runAt: T0 + 50 },
          { kind: "retry" as const, jobId: later as string, token: token(later), error, runAt: T0 + 100 },
          { kind: "released" as const, jobId: released as string, token: token(released) },
        ];
        expect(await b.finish(q, items, T0 + 50)).toEqual([true, true, true]);
        expect((await b.promoteDelayed(q, T0 + 200, 10)).promoted).toBe(1);
        expect(await claimOrder(q)).toEqual([a, now, released, later]);
      });

      it("a lifo job goes to the front when its parents are done, or after changeDelay; not after changePriority", async () => {
        const q = uniqueQueue("lifo-moves");
        const parent = await add(b, q, { priority: 0 });
        const running = await claimOne(b, q);
        const a = await add(b, q);
        const child = await add(b, q, { lifo: true, dependsOn: [parent] });
        const later = await add(b, q, { lifo: true, runAt: T0 + 5000 });
        const moved = await add(b, q, { lifo: true });
        expect(await b.changeDelay(q, later, T0 + 100)).toBe(true);
        expect(await b.changePriority(q, moved, 5)).toBe(true);
        const done = { kind: "completed" as const, jobId: parent, token: running.token, resultJson: "null" };
        expect(await b.finish(q, [done], T0 + 50)).toEqual([true]);
        expect((await b.promoteDelayed(q, T0 + 200, 10)).promoted).toBe(1);
        expect(await claimOrder(q)).toEqual([later, child, a, moved]);
      });
    });

    it("claims at most `limit` jobs per call", async () => {
      const q = uniqueQueue("claim-limit");
      await b.enqueue(q, [newJob(), newJob(), newJob(), newJob(), newJob()]);
      expect((await b.claim(q, claimOpts({ limit: 2 }))).map((j) => j.id)).toEqual(["1", "2"]);
      expect((await b.claim(q, claimOpts({ limit: 10 }))).map((j) => j.id)).toEqual(["3", "4", "5"]);
      expect(await b.claim(q, claimOpts({ limit: 10 }))).toEqual([]);
    });

    it("makes the job active with attempts + 1, a fresh token and a lease; emits job:started", async () => {
      const q = uniqueQueue("claim-fields");
      const seen = recordEvents(q, cleanups);
      await b.enqueue(q, [newJob({ task: "t-s" }), newJob()]);
      const jobs = await b.claim(q, { workerId: "w-1", limit: 2, leaseMs: 700, now: T0 + 50 });
      expect(jobs).toHaveLength(2);
      const [job, other] = jobs;
      expect(job).toMatchObject({
        id: "1",
        state: "active",
        attempts: 1,
        startedAt: T0 + 50,
        workerId: "w-1",
        leaseExpiresAt: T0 + 750,
        data: { n: 1 },
      });
      expect(typeof job?.token).toBe("string");
      expect(job?.token.length).toBeGreaterThanOrEqual(8);
      expect(job?.token).not.toBe(other?.token);
      expect(await mustGet(b, q, "1")).toMatchObject({ state: "active", attempts: 1, workerId: "w-1" });
      await eventually(() => eventsOf(seen, "job:started").length === 2);
      expect(eventsOf(seen, "job:started", "1")[0]).toMatchObject({
        queue: q,
        jobId: "1",
        task: "t-s",
        attempts: 1,
        workerId: "w-1",
      });
      const counts = await b.getJobCounts(q);
      expect([counts.active, counts.waiting]).toEqual([2, 0]);
    });

    it("hands out the stored job as it was added, whatever its text (every optional field set)", async () => {
      const q = uniqueQueue("claim-text");
      // Quotes, backslashes, slashes, control characters, non-ASCII and astral characters, and JSON
      // look-alikes inside strings: a claim's record must carry them unchanged (Redis returns it
      // as one JSON string a job).
      const text = 'q"uote \\ back/slash \u0001\n\t é ü 漢字 😀 \u2028 {"not":"json"} false null 1e400';
      const data = { text, list: [text, 0, -1.5, 12345678901234, true, null], nested: { [text]: text } };
      const id = await add(b, q, {
        task: `task ${text}`,
        dataJson: JSON.stringify(data),
        priority: 3,
        maxRetries: 2,
        backoff: { type: "exponential", delay: 100 },
        ttl: 3_600_000,
        timeout: 5_000,
        onParentFailure: "ignore",
        removeOnComplete: { age: 60_000, count: 5 },
        removeOnFail: false,
        traceContext: { traceparent: `00-${text}` },
      });
      const before = await mustGet(b, q, id);
      const [job] = await b.claim(q, claimOpts({ workerId: `w ${text}`, limit: 1 }));
      expect(job?.data).toEqual(data);
      expect(job).toEqual({
        ...before,
        state: "active",
        attempts: 1,
        startedAt: T0 + 10,
        workerId: `w ${text}`,
        leaseExpiresAt: T0 + 1010,
        token: job?.token,
      });
    });

    it("never claims delayed or waiting-children jobs", async () => {
      const q = uniqueQueue("claim-not-ready");
      await add(b, q, { id: "p", runAt: T0 + 10_000 });
      await add(b, q, { dependsOn: ["p"] });
      expect(await b.claim(q, claimOpts({ limit: 5, now: T0 + 20_000 }))).toEqual([]);
    });

    it("returns nothing while the queue is paused", async () => {
      const q = uniqueQueue("claim-paused");
      await add(b, q);
      await b.setPaused(q, true);
      expect(await b.claim(q, claimOpts())).toEqual([]);
      expect(await claimById(b, q, "1", { workerId: "w", leaseMs: 1000, now: T0 })).toBeNull();
      await b.setPaused(q, false);
      expect((await b.claim(q, claimOpts())).map((j) => j.id)).toEqual(["1"]);
    });

    it("expires a job whose ttl passed instead of returning it, and goes on to the next", async () => {
      const q = uniqueQueue("claim-ttl");
      const seen = recordEvents(q, cleanups);
      await b.enqueue(q, [newJob({ ttl: 100 }), newJob({ ttl: 101 }), newJob()]);
      const claimed = await b.claim(q, claimOpts({ limit: 1, now: T0 + 100 }));
      expect(claimed.map((j) => j.id)).toEqual(["2"]);
      expect(await mustGet(b, q, "1")).toMatchObject({
        state: "expired",
        finishedAt: T0 + 100,
        attempts: 0,
      });
      await eventually(() => eventsOf(seen, "job:expired", "1").length === 1);
      expect(eventsOf(seen, "job:expired", "1")[0]).toMatchObject({ queue: q, jobId: "1" });
      expect(eventsOf(seen, "job:started", "1")).toEqual([]);
    });

    it("claims one specific waiting job by id, else nothing", async () => {
      const q = uniqueQueue("claim-one");
      await b.enqueue(q, [newJob(), newJob(), newJob({ runAt: T0 + 1000 })]);
      const opts = { workerId: "w-2", leaseMs: 500, now: T0 + 10 };
      const job = await claimById(b, q, "2", opts);
      expect(job).toMatchObject({
        id: "2",
        state: "active",
        attempts: 1,
        workerId: "w-2",
        leaseExpiresAt: T0 + 510,
      });
      expect(typeof job?.token).toBe("string");
      expect(await claimById(b, q, "2", opts)).toBeNull();
      expect(await claimById(b, q, "3", opts)).toBeNull();
      expect(await claimById(b, q, "nope", opts)).toBeNull();
      expect((await b.claim(q, claimOpts({ limit: 5 }))).map((j) => j.id)).toEqual(["1"]);
    });

    it("a claim by id expires a job whose ttl passed and returns nothing", async () => {
      const q = uniqueQueue("claim-one-ttl");
      await add(b, q, { ttl: 50 });
      expect(await claimById(b, q, "1", { workerId: "w", leaseMs: 500, now: T0 + 50 })).toBeNull();
      expect((await mustGet(b, q, "1")).state).toBe("expired");
    });

    it("a job a claim finds expired settles its dependants as a failed parent does", async () => {
      const q = uniqueQueue("claim-ttl-deps");
      await add(b, q, { id: "p", ttl: 50 });
      await add(b, q, { id: "c", dependsOn: ["p"] });
      await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
      expect(await claimById(b, q, "p", { workerId: "w", leaseMs: 500, now: T0 + 50 })).toBeNull();
      expect(await mustGet(b, q, "c")).toMatchObject({
        state: "failed",
        finishedAt: T0 + 50,
        error: parentFailedError("p", "expired"),
      });
      expect((await mustGet(b, q, "ci")).state).toBe("waiting");
    });
  });
}
