/**
 * Conformance, maintenance: recoverStalled, promoteDelayed and expireDue.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { stallLimitError } from "../../../src/backends/shared/rules.js";
import {
  absentKeys,
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
import { ERR, type SuiteFixture } from "./fixture.js";

export function maintenanceTests(fx: SuiteFixture): void {
  const { cleanups } = fx;
  describe("maintenance", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("recoverStalled returns jobs whose lease expired to waiting (attempts - 1, job:stalled, wake)", async () => {
      const q = uniqueQueue("stall-back");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await b.enqueue(q, [newJob(), newJob()]);
      const [a, c] = await b.claim(q, claimOpts({ limit: 2, now: T0, leaseMs: 100 }));
      if (!a || !c) throw new Error("expected two jobs");
      await b.extendLeases(q, [{ jobId: c.id, token: c.token }], 100, T0 + 50);
      wakes.length = 0;
      // Strictly before `now`: a lease expiring exactly now is still held.
      expect(await b.recoverStalled(q, T0 + 100, 1)).toMatchObject({ stalled: [], failed: [] });
      expect(await b.recoverStalled(q, T0 + 101, 1)).toMatchObject({ stalled: [a.id], failed: [] });
      const rec = await mustGet(b, q, a.id);
      expect(rec).toMatchObject({ state: "waiting", stalledCount: 1, attempts: 0 });
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
      expect((await mustGet(b, q, c.id)).state).toBe("active");
      await eventually(() => eventsOf(seen, "job:stalled", a.id).length === 1 && wakes.includes("job"));
      expect(eventsOf(seen, "job:stalled", a.id)[0]).toMatchObject({ queue: q, jobId: a.id });
      expect(await claimOne(b, q, { now: T0 + 200 })).toMatchObject({
        id: a.id,
        attempts: 1,
        stalledCount: 1,
      });
    });

    it("recoverStalled fails a job past maxStalledCount with JobStalledError", async () => {
      const q = uniqueQueue("stall-fail");
      const seen = recordEvents(q, cleanups);
      await add(b, q);
      await claimOne(b, q, { now: T0, leaseMs: 10 });
      expect((await b.recoverStalled(q, T0 + 11, 1)).stalled).toEqual(["1"]);
      await claimOne(b, q, { now: T0 + 20, leaseMs: 10 });
      expect(await b.recoverStalled(q, T0 + 31, 1)).toMatchObject({ stalled: [], failed: ["1"] });
      const rec = await mustGet(b, q, "1");
      expect(rec).toMatchObject({ state: "failed", stalledCount: 2, finishedAt: T0 + 31 });
      // One wording on every engine: the rule's text, stalled twice against a limit of 1.
      expect(rec.error).toEqual(stallLimitError("1", 2, 2, 1));
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
      await eventually(() => eventsOf(seen, "job:failed", "1").length === 1);
      expect(eventsOf(seen, "job:failed", "1")[0]?.error?.name).toBe("JobStalledError");

      const q0 = uniqueQueue("stall-zero");
      await add(b, q0);
      await claimOne(b, q0, { now: T0, leaseMs: 10 });
      expect(await b.recoverStalled(q0, T0 + 11, 0)).toMatchObject({ stalled: [], failed: ["1"] });
    });

    it("recoverStalled applies dependants and removeOnFail to a stalled-out job", async () => {
      const q = uniqueQueue("stall-deps");
      await add(b, q, { id: "p", removeOnFail: true });
      await add(b, q, { id: "c", dependsOn: ["p"] });
      await claimOne(b, q, { now: T0, leaseMs: 10 });
      expect((await b.recoverStalled(q, T0 + 11, 0)).failed).toEqual(["p"]);
      expect(await b.getJob(q, "p")).toBeNull();
      expect((await mustGet(b, q, "c")).error?.message).toBe("parent job p failed");
    });

    it("promoteDelayed moves due jobs to waiting by runAt, within limit, and reports nextDueAt", async () => {
      const q = uniqueQueue("promote");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      expect(await b.promoteDelayed(q, T0, 10)).toEqual({ promoted: 0, nextDueAt: null });
      await b.enqueue(q, [
        newJob({ runAt: T0 + 300 }),
        newJob({ runAt: T0 + 100 }),
        newJob({ runAt: T0 + 200 }),
        newJob({ runAt: T0 + 1000 }),
      ]);
      expect(await b.promoteDelayed(q, T0 + 50, 10)).toEqual({ promoted: 0, nextDueAt: T0 + 100 });
      wakes.length = 0;
      expect(await b.promoteDelayed(q, T0 + 300, 1)).toEqual({ promoted: 1, nextDueAt: T0 + 200 });
      expect(await b.promoteDelayed(q, T0 + 300, 10)).toEqual({ promoted: 2, nextDueAt: T0 + 1000 });
      await eventually(() => eventsOf(seen, "job:waiting").length === 3 && wakes.includes("job"));
      expect(eventsOf(seen, "job:waiting").map((p) => p.jobId)).toEqual(["2", "3", "1"]);
      expect((await b.claim(q, claimOpts({ limit: 10, now: T0 + 301 }))).map((j) => j.id)).toEqual([
        "2",
        "3",
        "1",
      ]);
      expect((await b.getJobCounts(q)).delayed).toBe(1);
    });

    it("promoteDelayed keeps jobs due at the same runAt in insertion order, across batches", async () => {
      const q = uniqueQueue("promote-ties");
      const seen = recordEvents(q, cleanups);
      // Ids "1".."12" sort differently as text ("10" before "2") than by insertion.
      const ids = (
        await b.enqueue(
          q,
          Array.from({ length: 12 }, () => newJob({ runAt: T0 + 100 })),
        )
      ).map((r) => r.id);
      let promoted = 0;
      for (let n = -1; n !== 0; promoted += n) n = (await b.promoteDelayed(q, T0 + 100, 5)).promoted;
      expect(promoted).toBe(12);
      await eventually(() => eventsOf(seen, "job:waiting").length === 12);
      expect(eventsOf(seen, "job:waiting").map((p) => p.jobId)).toEqual(ids);
      const claimed = await b.claim(q, claimOpts({ limit: 12, now: T0 + 101 }));
      expect(claimed.map((j) => j.id)).toEqual(ids);
    });

    it("promoteDelayed orders jobs due at the same runAt by when they became delayed", async () => {
      const q = uniqueQueue("promote-retry-ties");
      await b.enqueue(q, [newJob({ maxRetries: 1 }), newJob({ maxRetries: 1 })]);
      const [first, second] = await b.claim(q, claimOpts({ limit: 2, now: T0 }));
      if (!first || !second) throw new Error("expected two jobs");
      // The second job is retried (and so delayed) before the first, both to the same runAt.
      for (const j of [second, first]) {
        const retry = { kind: "retry" as const, jobId: j.id, token: j.token, error: ERR, runAt: T0 + 100 };
        expect(await b.finish(q, [retry], T0 + 10)).toEqual([true]);
      }
      expect(await b.promoteDelayed(q, T0 + 100, 10)).toEqual({ promoted: 2, nextDueAt: null });
      const claimed = await b.claim(q, claimOpts({ limit: 2, now: T0 + 101 }));
      expect(claimed.map((j) => j.id)).toEqual([second.id, first.id]);
    });

    it("promoteDelayed called concurrently promotes one due batch in order, each job once", async () => {
      const q = uniqueQueue("promote-race");
      // Promoters that start together, in batches smaller than the due set: a batch committed in
      // parts, or numbered while another promoter numbers its own, shows up as a claim order that is
      // not the insertion order. A race is timing, so many short rounds: on the Postgres code that
      // let it happen, a quarter of such rounds misordered.
      const promoter = async (now: number) => {
        let total = 0;
        for (let n = -1; n !== 0; total += n) n = (await b.promoteDelayed(q, now, 20)).promoted;
        return total;
      };
      for (let round = 1; round <= 24; round++) {
        const now = T0 + round;
        const ids = (
          await b.enqueue(
            q,
            Array.from({ length: 40 }, () => newJob({ runAt: now })),
          )
        ).map((r) => r.id);
        const totals = await Promise.all(Array.from({ length: 8 }, () => promoter(now)));
        expect(totals.reduce((sum, n) => sum + n, 0)).toBe(40);
        const claimed = await b.claim(q, claimOpts({ limit: 40, now }));
        expect(claimed.map((j) => j.id)).toEqual(ids);
      }
    });

    it("expireDue expires unstarted jobs (waiting, delayed, waiting-children) whose ttl passed", async () => {
      const q = uniqueQueue("expire-due");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "act", ttl: 100 });
      await claimOne(b, q, { now: T0 + 10 });
      await add(b, q, { id: "wait", ttl: 100 });
      await add(b, q, { id: "del", ttl: 100, runAt: T0 + 50_000 });
      await add(b, q, { id: "par" });
      await add(b, q, { id: "kid", ttl: 100, dependsOn: ["par"] });
      await add(b, q, { id: "forever" });
      await add(b, q, { id: "longer", ttl: 5000 });
      expect(await b.expireDue(q, T0 + 99, 10)).toBe(0);
      expect(await b.expireDue(q, T0 + 100, 10)).toBe(3);
      for (const id of ["wait", "del", "kid"]) {
        expect(await mustGet(b, q, id)).toMatchObject({ state: "expired", finishedAt: T0 + 100 });
      }
      for (const [id, state] of [
        ["act", "active"],
        ["par", "waiting"],
        ["forever", "waiting"],
        ["longer", "waiting"],
      ]) {
        expect((await mustGet(b, q, id as string)).state).toBe(state);
      }
      await eventually(() => eventsOf(seen, "job:expired").length === 3);
    });

    it("expireDue honours its limit", async () => {
      const q = uniqueQueue("expire-limit");
      await b.enqueue(q, [newJob({ ttl: 10 }), newJob({ ttl: 10 }), newJob({ ttl: 10 })]);
      expect(await b.expireDue(q, T0 + 10, 2)).toBe(2);
      expect(await b.expireDue(q, T0 + 10, 2)).toBe(1);
      expect(await b.expireDue(q, T0 + 10, 2)).toBe(0);
      expect((await b.getJobCounts(q)).expired).toBe(3);
    });
  });
}
