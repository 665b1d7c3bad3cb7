/**
 * Conformance, leases, progress and logs: the writes a worker makes while it holds a job.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import {
  add,
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

export function leasesTests(fx: SuiteFixture): void {
  const { cleanups } = fx;
  describe("leases, progress and logs", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("extendLeases renews held leases and returns the ids it lost", async () => {
      const q = uniqueQueue("lease-extend");
      await b.enqueue(q, [newJob(), newJob(), newJob(), newJob()]);
      const jobs = await b.claim(q, claimOpts({ limit: 4, now: T0, leaseMs: 100 }));
      const [held, cancelled, removed, wrong] = jobs;
      if (!held || !cancelled || !removed || !wrong) throw new Error("expected four jobs");
      await b.cancelJob(q, cancelled.id, T0 + 1);
      await b.removeJob(q, removed.id, T0 + 100);
      const lost = await b.extendLeases(
        q,
        [
          { jobId: held.id, token: held.token },
          { jobId: cancelled.id, token: cancelled.token },
          { jobId: removed.id, token: removed.token },
          { jobId: wrong.id, token: "not-the-token" },
          { jobId: "nope", token: held.token },
        ],
        5000,
        T0 + 50,
      );
      expect(lost.sort()).toEqual([cancelled.id, removed.id, wrong.id, "nope"].sort());
      expect((await mustGet(b, q, held.id)).leaseExpiresAt).toBe(T0 + 5050);
      expect((await mustGet(b, q, wrong.id)).leaseExpiresAt).toBe(T0 + 100);
      expect((await b.recoverStalled(q, T0 + 200, 5)).stalled).toEqual([wrong.id]);
    });

    it("recoverStalled says when the next lease lapses: the earliest expiry of the jobs still active, null when none", async () => {
      const q = uniqueQueue("lease-next");
      expect(await b.recoverStalled(q, T0, 5)).toEqual({ stalled: [], failed: [], nextLeaseExpiry: null });
      await b.enqueue(q, [newJob(), newJob(), newJob()]);
      const [first] = await b.claim(q, claimOpts({ limit: 1, now: T0, leaseMs: 100 }));
      const later = await b.claim(q, claimOpts({ limit: 2, now: T0 + 10, leaseMs: 1000 }));
      if (!first || later.length !== 2) throw new Error("expected three jobs");
      // None lapsed: nothing changes, and the next look is due at the first lease's end.
      expect(await b.recoverStalled(q, T0 + 50, 5)).toEqual({
        stalled: [],
        failed: [],
        nextLeaseExpiry: T0 + 100,
      });
      // A renewal moves it later.
      expect(await b.extendLeases(q, [{ jobId: first.id, token: first.token }], 5000, T0 + 60)).toEqual([]);
      expect((await b.recoverStalled(q, T0 + 70, 5)).nextLeaseExpiry).toBe(T0 + 1010);
      // After a sweep that recovers some, the earliest of those left.
      const swept = await b.recoverStalled(q, T0 + 2000, 5);
      expect(swept.stalled.sort()).toEqual(later.map((j) => j.id).sort());
      expect(swept.nextLeaseExpiry).toBe(T0 + 5060);
      await b.finish(
        q,
        [{ kind: "completed", jobId: first.id, token: first.token, resultJson: "null" }],
        T0 + 2100,
      );
      expect((await b.recoverStalled(q, T0 + 2200, 5)).nextLeaseExpiry).toBeNull();
    });

    it("updateProgress is fenced, stores progress and emits job:progress", async () => {
      const q = uniqueQueue("progress");
      const seen = recordEvents(q, cleanups);
      await add(b, q);
      const job = await claimOne(b, q);
      expect(await b.updateProgress(q, job.id, job.token, 40)).toBe(true);
      expect((await mustGet(b, q, job.id)).progress).toBe(40);
      const value = { step: "b", done: 2 };
      expect(await b.updateProgress(q, job.id, job.token, value)).toBe(true);
      value.done = 3;
      expect((await mustGet(b, q, job.id)).progress).toEqual({ step: "b", done: 2 });
      expect(await b.updateProgress(q, job.id, "wrong", 99)).toBe(false);
      expect(await b.updateProgress(q, "missing", job.token, 99)).toBe(false);
      expect((await mustGet(b, q, job.id)).progress).toEqual({ step: "b", done: 2 });
      await eventually(() => eventsOf(seen, "job:progress").length === 2);
      expect(eventsOf(seen, "job:progress").map((p) => p.progress)).toEqual([40, { step: "b", done: 2 }]);
      expect(eventsOf(seen, "job:progress")[0]).toMatchObject({ queue: q, jobId: job.id });
    });

    it("keeps logs per job in order and drops them with the job", async () => {
      const q = uniqueQueue("logs");
      await b.enqueue(q, [newJob(), newJob()]);
      await b.addLog(q, "1", "first");
      await b.addLog(q, "2", "other");
      await b.addLog(q, "1", "second");
      await b.addLog(q, "missing", "ignored");
      expect(await b.getLogs(q, "1")).toEqual(["first", "second"]);
      expect(await b.getLogs(q, "2")).toEqual(["other"]);
      expect(await b.getLogs(q, "missing")).toEqual([]);
      expect(await b.getJob(q, "missing")).toBeNull();
      await b.removeJob(q, "1", T0 + 100);
      expect(await b.getLogs(q, "1")).toEqual([]);
    });
  });
}
