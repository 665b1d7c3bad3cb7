/**
 * Conformance, stalls: how recoverStalled charges a worker's death to the jobs it held (the rule of
 * docs/reliability.md, "Stalls and poison jobs"). A worker of concurrency C (given at claim) that
 * dies charges each job it held 1/max(C, held) of a stall; a job fails once its charge passes
 * maxStalledCount. So the bystanders of a crash survive, and a job that kills every worker that
 * runs it still fails within a bounded number of crashes. Registered by backend-suite.ts with the
 * shared fixture.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { stallLimitError } from "../../../src/backends/shared/rules.js";
import { add, claimOpts, mustGet, T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

/** The lease every claim here takes: a worker that claimed at `t` is found dead by a sweep after `t + LEASE`. */
const LEASE = 10;

export function stallsTests(fx: SuiteFixture): void {
  describe("stalls", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    /**
     * Worker `worker` (of `concurrency`, default: `limit`) claims up to `limit` jobs at `at` and
     * dies: returns their ids and the sweep's answer.
     */
    async function crash(
      queue: string,
      worker: string,
      limit: number,
      at: number,
      max: number,
      concurrency?: number,
    ) {
      const held = await b.claim(
        queue,
        claimOpts({ workerId: worker, limit, now: at, leaseMs: LEASE, concurrency }),
      );
      const swept = await b.recoverStalled(queue, at + LEASE + 1, max);
      return { held: held.map((j) => j.id), ...swept };
    }

    it("the jobs a dead worker held share its stall: each is charged 1/N and survives", async () => {
      const q = uniqueQueue("stall-share");
      for (const id of ["a", "b", "c"]) await add(b, q, { id });
      // Three workers die in turn, each holding all three jobs: 1/3 + 1/3 + 1/3 = 1, not past 1.
      for (let death = 1; death <= 3; death++) {
        const out = await crash(q, `w${death}`, 3, T0 + death * 100, 1);
        expect(out.held.sort()).toEqual(["a", "b", "c"]);
        expect(out.failed).toEqual([]);
        expect(out.stalled.sort()).toEqual(["a", "b", "c"]);
      }
      const rec = await mustGet(b, q, "a");
      expect(rec).toMatchObject({ state: "waiting", stalledCount: 3, attempts: 0 });
      expect(rec.stallCharge).toBeCloseTo(1, 9);
      // A fourth death together passes the limit for all three: they were in every death.
      const last = await crash(q, "w4", 3, T0 + 400, 1);
      expect(last.failed.sort()).toEqual(["a", "b", "c"]);
      const failed = await mustGet(b, q, "b");
      expect(failed).toMatchObject({ state: "failed", stalledCount: 4 });
      expect(failed.stallCharge).toBeCloseTo(4 / 3, 9);
      expect(failed.error).toEqual(stallLimitError("b", 4, failed.stallCharge as number, 1));
    });

    it("a poison job fails within maxStalledCount x N + 1 crashes; its bystanders do not", async () => {
      const q = uniqueQueue("stall-poison");
      // Priority 0 runs first, so every worker takes the poison job plus the two oldest bystanders.
      await add(b, q, { id: "poison", priority: 0 });
      const bystanders = Array.from({ length: 8 }, (_, i) => `by${i}`);
      for (const id of bystanders) await add(b, q, { id });
      const max = 1;
      const concurrency = 3;
      let crashes = 0;
      for (;;) {
        crashes++;
        const out = await crash(q, `crash${crashes}`, concurrency, T0 + crashes * 100, max);
        expect(out.held).toContain("poison");
        if (out.failed.length > 0) {
          expect(out.failed).toEqual(["poison"]);
          break;
        }
        expect(crashes).toBeLessThan(max * concurrency + 1);
      }
      expect(crashes).toBe(max * concurrency + 1);
      const poison = await mustGet(b, q, "poison");
      expect(poison).toMatchObject({ state: "failed", stalledCount: 4, error: { name: "JobStalledError" } });
      // Each bystander was in one crash beside the poison job: 1/3 of a stall, back to waiting.
      for (const id of bystanders) {
        const rec = await mustGet(b, q, id);
        expect(rec).toMatchObject({ state: "waiting", stalledCount: 1 });
        expect(rec.stallCharge).toBeCloseTo(1 / 3, 9);
      }
    });

    it("a job alone in its dead worker is charged a whole stall", async () => {
      const q = uniqueQueue("stall-alone");
      // Another worker's live job in the same queue does not dilute the dead worker's charge.
      await add(b, q, { id: "other" });
      await b.claim(q, claimOpts({ workerId: "alive", limit: 1, now: T0 + 100, leaseMs: 10_000 }));
      await add(b, q, { id: "solo" });
      expect((await crash(q, "dead1", 1, T0 + 100, 1)).stalled).toEqual(["solo"]);
      expect((await mustGet(b, q, "solo")).stallCharge).toBe(1);
      expect(await crash(q, "dead2", 1, T0 + 200, 1)).toMatchObject({ failed: ["solo"] });
      expect((await mustGet(b, q, "other")).state).toBe("active");
    });

    it("a worker's free slots do not make its jobs more suspect: each is charged 1/concurrency", async () => {
      // The tail of a crash storm: the survivors of a full worker's death are re-run when the queue
      // runs low, one or two to a worker. Charged 1/held there, a healthy job failed at its second
      // unlucky death (1/3 + 1 > 1); at 1/concurrency it has 1/3 + 1/3.
      const q = uniqueQueue("stall-free-slots");
      for (const id of ["a", "b", "c"]) await add(b, q, { id });
      expect((await crash(q, "full", 3, T0 + 100, 1, 3)).stalled.sort()).toEqual(["a", "b", "c"]);
      const tail = await crash(q, "tail", 1, T0 + 200, 1, 3);
      expect(tail).toMatchObject({ held: ["a"], stalled: ["a"], failed: [] });
      const a = await mustGet(b, q, "a");
      expect(a).toMatchObject({ state: "waiting", stalledCount: 2 });
      expect(a.stallCharge).toBeCloseTo(2 / 3, 9);
      // A poison job alone in such workers still fails: at its fourth crash (1/3 each, past 1).
      await add(b, q, { id: "poison", priority: 0 });
      const deaths: string[][] = [];
      for (let i = 1; i <= 4; i++) deaths.push((await crash(q, `p${i}`, 1, T0 + 300 + i * 100, 1, 3)).failed);
      expect(deaths).toEqual([[], [], [], ["poison"]]);
    });

    it("a dead worker's leases that lapse at different sweeps still count as one death", async () => {
      const q = uniqueQueue("stall-staggered");
      for (const id of ["early", "late"]) await add(b, q, { id });
      for (let death = 1; death <= 2; death++) {
        const t = T0 + death * 100;
        const w = `stagger${death}`;
        // Claimed 5 ms apart, never renewed: the first lease lapses one sweep before the second.
        await b.claim(q, claimOpts({ workerId: w, limit: 1, now: t, leaseMs: LEASE }));
        await b.claim(q, claimOpts({ workerId: w, limit: 1, now: t + 5, leaseMs: LEASE }));
        expect(await b.recoverStalled(q, t + LEASE + 1, 1)).toMatchObject({ stalled: ["early"], failed: [] });
        expect(await b.recoverStalled(q, t + LEASE + 6, 1)).toMatchObject({ stalled: ["late"], failed: [] });
      }
      // Two deaths, each holding both jobs: 1/2 + 1/2 each, so neither has failed.
      for (const id of ["early", "late"]) {
        const rec = await mustGet(b, q, id);
        expect(rec).toMatchObject({ state: "waiting", stalledCount: 2 });
        expect(rec.stallCharge).toBeCloseTo(1, 9);
      }
    });

    it("retryJob clears the charge with the stall count", async () => {
      const q = uniqueQueue("stall-retry");
      await add(b, q, { id: "r" });
      expect((await crash(q, "w", 1, T0 + 100, 0)).failed).toEqual(["r"]);
      expect(await mustGet(b, q, "r")).toMatchObject({ stalledCount: 1, stallCharge: 1 });
      expect(await b.retryJob(q, "r")).toBe(true);
      const rec = await mustGet(b, q, "r");
      expect(rec).toMatchObject({ state: "waiting", stalledCount: 0 });
      expect(rec.stallCharge).toBeUndefined();
    });
  });
}
