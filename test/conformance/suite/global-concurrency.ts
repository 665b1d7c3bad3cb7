/**
 * Conformance, global concurrency: the queue-wide cap on active jobs (`setGlobalConcurrency`),
 * obeyed by every claimer, in every process, at once; and the wake-up a freed slot raises.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, ClaimOptions, Finish, WakeReason } from "../../../src/backends/backend.js";
import { ValidationError } from "../../../src/errors.js";
import type { ClaimedJob } from "../../../src/job.js";
import {
  claimById,
  claimOne,
  claimOpts,
  eventually,
  newJob,
  recordWakes,
  T0,
  uniqueQueue,
} from "../helpers.js";
import { ERR, type SuiteFixture } from "./fixture.js";

/** A finish item that completes `job`. */
const done = (job: ClaimedJob): Finish => ({
  kind: "completed",
  jobId: job.id,
  token: job.token,
  resultJson: "1",
});

export function globalConcurrencyTests(fx: SuiteFixture): void {
  const { cleanups } = fx;
  describe("global concurrency", () => {
    let b: Backend;
    /** A second instance on the same storage where the engine is shared by processes, else `b`. */
    let other: Backend;
    beforeEach(async () => {
      b = fx.backend();
      other = b.capabilities.multiProcess ? await fx.makeBackend() : b;
      if (other !== b) cleanups.push(() => void other.close());
    });

    /**
     * Returns once every wake-up of `q` raised before the call reached `wakes` (its own "resume"
     * arrived), with what had arrived, and empties `wakes`. Repeats its "resume" until then: a new
     * subscription in another instance may not be live yet.
     */
    async function barrier(q: string, wakes: WakeReason[]): Promise<WakeReason[]> {
      const deadline = Date.now() + 5000;
      while (!wakes.includes("resume")) {
        if (Date.now() > deadline) throw new Error(`no wake-up of ${q} arrived`);
        await b.setPaused(q, false);
        const wait = Date.now() + 100;
        while (!wakes.includes("resume") && Date.now() < wait) await new Promise((r) => setTimeout(r, 5));
      }
      return wakes.splice(0);
    }

    /** `claimers` claims at once, alternating between the two instances, each its own worker. */
    async function race(
      q: string,
      claimers: number,
      over: Partial<ClaimOptions> = {},
    ): Promise<ClaimedJob[]> {
      const calls = Array.from({ length: claimers }, (_, i) =>
        (i % 2 === 0 ? b : other).claim(q, claimOpts({ workerId: `w-${i}`, limit: 2, ...over })),
      );
      return (await Promise.all(calls)).flat();
    }

    it("is null until set, then the limit for every instance, and null again once removed or obliterated", async () => {
      const q = uniqueQueue("gc-get");
      expect(await b.getGlobalConcurrency(q)).toBeNull();
      await b.setGlobalConcurrency(q, 4);
      expect(await other.getGlobalConcurrency(q)).toBe(4);
      await other.setGlobalConcurrency(q, 2);
      expect(await b.getGlobalConcurrency(q)).toBe(2);
      await b.setGlobalConcurrency(q, null);
      expect(await other.getGlobalConcurrency(q)).toBeNull();
      await b.setGlobalConcurrency(q, 3);
      await b.obliterate(q, false);
      expect(await b.getGlobalConcurrency(q)).toBeNull();
    });

    it("refuses a limit that is not an integer >= 1 with ValidationError and keeps the one stored", async () => {
      const q = uniqueQueue("gc-invalid");
      await b.setGlobalConcurrency(q, 2);
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, "3", undefined]) {
        const call = b.setGlobalConcurrency(q, bad as number);
        await expect(call, String(bad)).rejects.toThrow(ValidationError);
        await expect(call).rejects.toThrow(/global concurrency must be an integer from 1 to 2147483647/);
      }
      expect(await b.getGlobalConcurrency(q)).toBe(2);
    });

    it("never lets more jobs be active than the limit, however many workers of several instances claim at once", async () => {
      const q = uniqueQueue("gc-race");
      await b.setGlobalConcurrency(q, 3);
      await b.enqueue(
        q,
        Array.from({ length: 20 }, () => newJob()),
      );
      const first = await race(q, 12);
      expect(first).toHaveLength(3);
      expect((await b.getJobCounts(q)).active).toBe(3);
      // Full: no claim takes more, not even one job by id.
      expect(await race(q, 4)).toEqual([]);
      expect(await claimById(other, q, "20", claimOpts())).toBeNull();

      // Two slots open: exactly two jobs more, whoever races for them.
      expect(
        await b.finish(q, [done(first[0] as ClaimedJob), done(first[1] as ClaimedJob)], T0 + 20),
      ).toEqual([true, true]);
      expect(await race(q, 12, { now: T0 + 30 })).toHaveLength(2);
      expect((await other.getJobCounts(q)).active).toBe(3);

      // A raised limit takes effect at the next claim; a removed one lets every waiting job go.
      await other.setGlobalConcurrency(q, 5);
      expect(await race(q, 12, { now: T0 + 40 })).toHaveLength(2);
      await b.setGlobalConcurrency(q, null);
      expect(await b.claim(q, claimOpts({ limit: 50, now: T0 + 50 }))).toHaveLength(13);
      expect((await b.getJobCounts(q)).active).toBe(18);
    });

    it("a limit lowered below the active jobs lets none start until enough of them end", async () => {
      const q = uniqueQueue("gc-lowered");
      await b.enqueue(
        q,
        Array.from({ length: 6 }, () => newJob()),
      );
      const running = await b.claim(q, claimOpts({ limit: 4 }));
      expect(running).toHaveLength(4);
      await other.setGlobalConcurrency(q, 2);
      expect(await b.claim(q, claimOpts({ limit: 4 }))).toEqual([]);
      await b.finish(q, running.slice(0, 2).map(done), T0 + 20);
      expect(await other.claim(q, claimOpts({ limit: 4 }))).toEqual([]);
      await b.finish(q, running.slice(2, 3).map(done), T0 + 20);
      expect((await other.claim(q, claimOpts({ limit: 4 }))).map((j) => j.id)).toEqual(["5"]);
    });

    // Every way an active job ends. On a limited queue each opens a slot, so it wakes "job" (in the
    // other instance too): workers that found no room claim again at once. Without a limit, none of
    // these makes work available.
    const endings: Array<[string, (q: string, job: ClaimedJob) => Promise<unknown>]> = [
      ["completed", (q, job) => b.finish(q, [done(job)], T0 + 20)],
      [
        "failed",
        (q, job) => b.finish(q, [{ kind: "failed", jobId: job.id, token: job.token, error: ERR }], T0 + 20),
      ],
      [
        "retried later",
        (q, job) =>
          b.finish(
            q,
            [{ kind: "retry", jobId: job.id, token: job.token, error: ERR, runAt: T0 + 9000 }],
            T0 + 20,
          ),
      ],
      ["expired", (q, job) => b.finish(q, [{ kind: "expired", jobId: job.id, token: job.token }], T0 + 20)],
      ["cancelled", (q, job) => b.cancelJob(q, job.id, T0 + 20)],
      ["removed", (q, job) => b.removeJob(q, job.id, T0 + 20)],
      ["failed by the stall rule", (q) => b.recoverStalled(q, T0 + 5000, 0)],
    ];
    for (const [ending, end] of endings) {
      it(`an active job ${ending}: wakes "job" on a limited queue only`, async () => {
        for (const limited of [true, false]) {
          const q = uniqueQueue("gc-wake");
          if (limited) await b.setGlobalConcurrency(q, 1);
          await b.enqueue(q, [newJob({ maxRetries: 1 }), newJob()]);
          const job = await claimOne(b, q);
          // Listening from here on: the wake-ups above were raised before and never arrive.
          const wakes = recordWakes(other, q, cleanups);
          await barrier(q, wakes);
          await end(q, job);
          await eventually(() => !limited || wakes.includes("job"), 5000);
          expect((await barrier(q, wakes)).includes("job"), `limited: ${limited}`).toBe(limited);
        }
      });
    }

    it("setting or removing the limit wakes workers", async () => {
      const q = uniqueQueue("gc-set-wake");
      const wakes = recordWakes(other, q, cleanups);
      await barrier(q, wakes);
      await b.setGlobalConcurrency(q, 1);
      await eventually(() => wakes.includes("resume"), 5000);
      wakes.length = 0;
      await b.setGlobalConcurrency(q, null);
      await eventually(() => wakes.includes("resume"), 5000);
    });
  });
}
