/**
 * Conformance, finish: completing, retrying and failing claimed jobs, fenced by the lease token.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, Finish } from "../../../src/backends/backend.js";
import type { ClaimedJob } from "../../../src/job.js";
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

export function finishTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("finish", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    /** Two jobs added to `q`, the first claimed; events and (from now) wakes recorded. */
    async function firstOfTwo(q: string) {
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await b.enqueue(q, [newJob(), newJob()]);
      const job = await claimOne(b, q);
      expect(job.id).toBe("1");
      wakes.length = 0;
      return { seen, wakes, job };
    }

    it("completed: stores the result, clears the lease, emits job:completed", async () => {
      const q = uniqueQueue("fin-completed");
      const seen = recordEvents(q, cleanups);
      await add(b, q);
      const job = await claimOne(b, q);
      const ok = await b.finish(
        q,
        [{ kind: "completed", jobId: job.id, token: job.token, resultJson: '{"sum":3}' }],
        T0 + 40,
      );
      expect(ok).toEqual([true]);
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({
        state: "completed",
        result: { sum: 3 },
        finishedAt: T0 + 40,
        attempts: 1,
      });
      expect(absentKeys(rec, ["token", "workerId", "leaseExpiresAt"])).toEqual([]);
      await eventually(() => eventsOf(seen, "job:completed").length === 1);
      expect(eventsOf(seen, "job:completed")[0]).toMatchObject({
        queue: q,
        jobId: job.id,
        result: { sum: 3 },
      });
      expect((await b.getJobCounts(q)).completed).toBe(1);
    });

    it("fences every kind: a wrong token or a job that is not active changes nothing", async () => {
      const q = uniqueQueue("fin-fence");
      await add(b, q);
      const job = await claimOne(b, q);
      const wrong = `${job.token}-not`;
      const items: Finish[] = [
        { kind: "completed", jobId: job.id, token: wrong, resultJson: "1" },
        { kind: "retry", jobId: job.id, token: wrong, error: ERR, runAt: T0 },
        { kind: "failed", jobId: job.id, token: wrong, error: ERR },
        { kind: "expired", jobId: job.id, token: wrong },
        { kind: "released", jobId: job.id, token: wrong },
        { kind: "delayed", jobId: job.id, token: wrong, runAt: T0 + 900, dataJson: '{"n":9}' },
        { kind: "waiting-children", jobId: job.id, token: wrong, childIds: [] },
        { kind: "completed", jobId: "missing", token: job.token, resultJson: "1" },
      ];
      expect(await b.finish(q, items, T0 + 50)).toEqual(items.map(() => false));
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({ state: "active", attempts: 1, leaseExpiresAt: job.leaseExpiresAt });
      expect(rec.data).toEqual({ n: 1 });
      expect(absentKeys(rec, ["error", "result", "finishedAt"])).toEqual([]);
      // A real finish, then the same token again: the job is no longer active.
      expect(
        await b.finish(
          q,
          [
            { kind: "completed", jobId: job.id, token: job.token, resultJson: "2" },
            { kind: "failed", jobId: job.id, token: job.token, error: ERR },
          ],
          T0 + 60,
        ),
      ).toEqual([true, false]);
      expect(await mustGet(b, q, job.id)).toMatchObject({ state: "completed", result: 2 });
    });

    it("fences a stale token after the job was recovered and claimed again", async () => {
      const q = uniqueQueue("fin-stale");
      await add(b, q);
      const first = await claimOne(b, q, { now: T0, leaseMs: 100 });
      expect((await b.recoverStalled(q, T0 + 101, 5)).stalled).toEqual([first.id]);
      const second = await claimOne(b, q, { now: T0 + 200 });
      expect(second.token).not.toBe(first.token);
      for (const item of [
        { kind: "completed", jobId: first.id, token: first.token, resultJson: "1" },
        { kind: "retry", jobId: first.id, token: first.token, error: ERR, runAt: T0 },
        { kind: "failed", jobId: first.id, token: first.token, error: ERR },
        { kind: "expired", jobId: first.id, token: first.token },
        { kind: "released", jobId: first.id, token: first.token },
        { kind: "delayed", jobId: first.id, token: first.token, runAt: T0 + 900 },
        { kind: "waiting-children", jobId: first.id, token: first.token, childIds: [] },
      ] satisfies Finish[]) {
        expect(await b.finish(q, [item], T0 + 300)).toEqual([false]);
      }
      expect(await b.extendLeases(q, [{ jobId: first.id, token: first.token }], 1000, T0 + 300)).toEqual([
        first.id,
      ]);
      expect(await b.updateProgress(q, first.id, first.token, 50)).toBe(false);
      expect(
        await b.finish(
          q,
          [{ kind: "completed", jobId: second.id, token: second.token, resultJson: "3" }],
          T0 + 300,
        ),
      ).toEqual([true]);
    });

    it("retry with a future runAt: delayed, error kept, job:retrying, 'delayed' wake", async () => {
      const q = uniqueQueue("fin-retry-later");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { maxRetries: 3 });
      const job = await claimOne(b, q);
      const error = { name: "TypeError", message: "bad", stack: "at x" };
      expect(
        await b.finish(
          q,
          [{ kind: "retry", jobId: job.id, token: job.token, error, runAt: T0 + 5000 }],
          T0 + 30,
        ),
      ).toEqual([true]);
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({ state: "delayed", runAt: T0 + 5000, error, attempts: 1 });
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt", "finishedAt"])).toEqual([]);
      await eventually(() => eventsOf(seen, "job:retrying").length === 1 && wakes.includes("delayed"));
      expect(eventsOf(seen, "job:retrying")[0]).toMatchObject({
        queue: q,
        jobId: job.id,
        error: { name: "TypeError", message: "bad" },
        attempts: 1,
        runAt: T0 + 5000,
      });
      expect(await b.claim(q, claimOpts({ now: T0 + 4999 }))).toEqual([]);
      expect(await b.promoteDelayed(q, T0 + 5000, 10)).toEqual({ promoted: 1, nextDueAt: null });
      expect(await claimOne(b, q, { now: T0 + 5001 })).toMatchObject({ id: job.id, attempts: 2 });
    });

    it("retry with runAt <= now: waiting again at once, 'job' wake", async () => {
      const q = uniqueQueue("fin-retry-now");
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { maxRetries: 1 });
      const job = await claimOne(b, q);
      wakes.length = 0;
      expect(
        await b.finish(
          q,
          [{ kind: "retry", jobId: job.id, token: job.token, error: ERR, runAt: T0 + 30 }],
          T0 + 30,
        ),
      ).toEqual([true]);
      expect(await mustGet(b, q, job.id)).toMatchObject({ state: "waiting", error: ERR, attempts: 1 });
      await eventually(() => wakes.includes("job"));
      expect(await claimOne(b, q, { now: T0 + 31 })).toMatchObject({ id: job.id, attempts: 2 });
    });

    it("failed: dead-letter state with error and finishedAt, job:failed", async () => {
      const q = uniqueQueue("fin-failed");
      const seen = recordEvents(q, cleanups);
      await add(b, q);
      const job = await claimOne(b, q);
      expect(
        await b.finish(q, [{ kind: "failed", jobId: job.id, token: job.token, error: ERR }], T0 + 77),
      ).toEqual([true]);
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({ state: "failed", error: ERR, finishedAt: T0 + 77, attempts: 1 });
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
      await eventually(() => eventsOf(seen, "job:failed").length === 1);
      expect(eventsOf(seen, "job:failed")[0]).toMatchObject({
        queue: q,
        jobId: job.id,
        error: ERR,
        attempts: 1,
      });
    });

    it("expired: attempts - 1 (it never ran), finishedAt, job:expired", async () => {
      const q = uniqueQueue("fin-expired");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { ttl: 10 });
      const job = await claimOne(b, q, { now: T0 + 5 });
      expect(await b.finish(q, [{ kind: "expired", jobId: job.id, token: job.token }], T0 + 12)).toEqual([
        true,
      ]);
      expect(await mustGet(b, q, job.id)).toMatchObject({
        state: "expired",
        attempts: 0,
        finishedAt: T0 + 12,
      });
      await eventually(() => eventsOf(seen, "job:expired").length === 1);
    });

    it("released: back to the FIFO tail with attempts - 1, 'job' wake, no event", async () => {
      const q = uniqueQueue("fin-released");
      const { seen, wakes, job } = await firstOfTwo(q);
      const before = seen.length;
      expect(await b.finish(q, [{ kind: "released", jobId: job.id, token: job.token }], T0 + 30)).toEqual([
        true,
      ]);
      const rec = await mustGet(b, q, "1");
      expect(rec).toMatchObject({ state: "waiting", attempts: 0 });
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt", "finishedAt"])).toEqual([]);
      await eventually(() => wakes.includes("job"));
      // A later, observable event proves that nothing was emitted for the release in between.
      await add(b, q, { id: "marker" });
      await eventually(() => eventsOf(seen, "job:waiting", "marker").length === 1);
      expect(seen.slice(before).map((e) => e.name)).toEqual(["job:waiting"]);
      expect((await b.claim(q, claimOpts({ limit: 3, now: T0 + 40 }))).map((j) => j.id)).toEqual([
        "2",
        "1",
        "marker",
      ]);
    });

    it("delayed (a step job): delayed until runAt, attempts - 1, new data, job:delayed, 'delayed' wake", async () => {
      const q = uniqueQueue("fin-step-later");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { dataJson: '{"step":1}' });
      const job = await claimOne(b, q);
      wakes.length = 0;
      const item: Finish = {
        kind: "delayed",
        jobId: job.id,
        token: job.token,
        runAt: T0 + 5000,
        dataJson: '{"step":2}',
      };
      expect(await b.finish(q, [item], T0 + 30)).toEqual([true]);
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({ state: "delayed", runAt: T0 + 5000, attempts: 0, data: { step: 2 } });
      expect(absentKeys(rec, ["error", "workerId", "leaseExpiresAt", "finishedAt"])).toEqual([]);
      await eventually(() => eventsOf(seen, "job:delayed").length === 1 && wakes.includes("delayed"));
      expect(eventsOf(seen, "job:delayed")[0]).toMatchObject({ queue: q, jobId: job.id, runAt: T0 + 5000 });
      expect(eventsOf(seen, "job:retrying")).toEqual([]);
      expect(await b.claim(q, claimOpts({ now: T0 + 4999 }))).toEqual([]);
      expect(await b.promoteDelayed(q, T0 + 5000, 10)).toEqual({ promoted: 1, nextDueAt: null });
      expect(await claimOne(b, q, { now: T0 + 5001 })).toMatchObject({
        id: job.id,
        attempts: 1,
        data: { step: 2 },
      });
    });

    it("delayed with runAt <= now and no data: waiting at the FIFO tail, data kept, job:waiting", async () => {
      const q = uniqueQueue("fin-step-now");
      const { seen, wakes, job } = await firstOfTwo(q);
      const item: Finish = { kind: "delayed", jobId: job.id, token: job.token, runAt: T0 + 30 };
      expect(await b.finish(q, [item], T0 + 30)).toEqual([true]);
      expect(await mustGet(b, q, "1")).toMatchObject({ state: "waiting", attempts: 0, data: { n: 1 } });
      await eventually(() => eventsOf(seen, "job:waiting", "1").length === 2 && wakes.includes("job"));
      expect(eventsOf(seen, "job:delayed")).toEqual([]);
      expect(
        (await b.claim(q, claimOpts({ limit: 2, now: T0 + 40 }))).map((j) => [j.id, j.attempts]),
      ).toEqual([
        ["2", 1],
        ["1", 1],
      ]);
    });

    it("waiting-children (a step job): waits for the unfinished jobs given, attempts - 1; their completion readies it", async () => {
      const q = uniqueQueue("fin-step-children");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "s" });
      const job = await claimOne(b, q);
      await b.enqueue(q, [newJob({ id: "c1" }), newJob({ id: "c2" }), newJob({ id: "c3" })]);
      expect(await runTo(q, "completed")).toBe("c1");
      // A completed child and one gone (removed by its retention) count as done; ids repeat harmlessly.
      const childIds = ["c1", "c2", "c3", "c2", "gone"];
      const item: Finish = { kind: "waiting-children", jobId: job.id, token: job.token, childIds };
      expect(await b.finish(q, [item], T0 + 30)).toEqual([true]);
      const rec = await mustGet(b, q, "s");
      expect(rec).toMatchObject({
        state: "waiting-children",
        attempts: 0,
        dependsOn: ["c1", "c2", "c3", "gone"],
      });
      expect(absentKeys(rec, ["error", "workerId", "leaseExpiresAt", "finishedAt"])).toEqual([]);
      expect(await b.getDependants(q, "c2")).toEqual(["s"]);
      expect(await b.getDependants(q, "c1")).toEqual([]);
      expect(await runTo(q, "completed")).toBe("c2");
      expect((await mustGet(b, q, "s")).state).toBe("waiting-children");
      expect(await runTo(q, "completed")).toBe("c3");
      expect((await mustGet(b, q, "s")).state).toBe("waiting");
      await eventually(() => eventsOf(seen, "job:ready", "s").length === 1);
      expect(await claimOne(b, q, { now: T0 + 40 })).toMatchObject({ id: "s", attempts: 1 });
    });

    it("waiting-children: waiting at once when every job given completed; failed when one failed, unless it ignores that", async () => {
      const q = uniqueQueue("fin-step-settled");
      const seen = recordEvents(q, cleanups);
      await b.enqueue(q, [newJob({ id: "done" }), newJob({ id: "dead" })]);
      expect(await runTo(q, "completed")).toBe("done");
      expect(await runTo(q, "failed")).toBe("dead");
      await b.enqueue(q, [
        newJob({ id: "a" }),
        newJob({ id: "f" }),
        newJob({ id: "i", onParentFailure: "ignore" }),
      ]);
      const claimed = await b.claim(q, claimOpts({ limit: 3, now: T0 + 20 }));
      expect(claimed.map((j) => j.id)).toEqual(["a", "f", "i"]);
      const [a, f, i] = claimed as [ClaimedJob, ClaimedJob, ClaimedJob];
      const items: Finish[] = [
        { kind: "waiting-children", jobId: a.id, token: a.token, childIds: ["done"] },
        { kind: "waiting-children", jobId: f.id, token: f.token, childIds: ["done", "dead"] },
        { kind: "waiting-children", jobId: i.id, token: i.token, childIds: ["dead"] },
      ];
      expect(await b.finish(q, items, T0 + 30)).toEqual([true, true, true]);
      expect(await mustGet(b, q, "a")).toMatchObject({ state: "waiting", attempts: 0 });
      expect(await mustGet(b, q, "i")).toMatchObject({ state: "waiting", attempts: 0 });
      expect(await mustGet(b, q, "f")).toMatchObject({
        state: "failed",
        attempts: 0,
        finishedAt: T0 + 30,
        error: { name: "ParentFailedError", message: "parent job dead failed" },
      });
      await eventually(() => eventsOf(seen, "job:failed", "f").length === 1);
      expect(eventsOf(seen, "job:waiting", "a")).toHaveLength(2);
      expect((await b.claim(q, claimOpts({ limit: 3, now: T0 + 40 }))).map((j) => j.id)).toEqual(["a", "i"]);
    });

    it("waiting-children in a batch with other kinds: the job it waits for completes in the same batch", async () => {
      const q = uniqueQueue("fin-step-mixed");
      await b.enqueue(q, [newJob({ id: "s" }), newJob({ id: "c" }), newJob({ id: "x" })]);
      const [s, c, x] = (await b.claim(q, claimOpts({ limit: 3 }))) as [ClaimedJob, ClaimedJob, ClaimedJob];
      const items: Finish[] = [
        { kind: "completed", jobId: c.id, token: c.token, resultJson: "7" },
        { kind: "waiting-children", jobId: s.id, token: s.token, childIds: ["c"] },
        { kind: "waiting-children", jobId: x.id, token: "stale", childIds: ["c"] },
        { kind: "failed", jobId: x.id, token: x.token, error: ERR },
      ];
      expect(await b.finish(q, items, T0 + 30)).toEqual([true, true, false, true]);
      expect(await mustGet(b, q, "s")).toMatchObject({ state: "waiting", attempts: 0, dependsOn: ["c"] });
      expect(await mustGet(b, q, "x")).toMatchObject({ state: "failed", attempts: 1 });
      expect(await mustGet(b, q, "c")).toMatchObject({ state: "completed", result: 7 });
    });

    it("finishes a batch item by item", async () => {
      const q = uniqueQueue("fin-batch");
      await b.enqueue(q, [newJob(), newJob()]);
      const [one, two] = await b.claim(q, claimOpts({ limit: 2 }));
      if (!one || !two) throw new Error("expected two jobs");
      expect(
        await b.finish(
          q,
          [
            { kind: "completed", jobId: one.id, token: one.token, resultJson: "null" },
            { kind: "completed", jobId: two.id, token: one.token, resultJson: "null" },
            { kind: "failed", jobId: two.id, token: two.token, error: ERR },
          ],
          T0 + 30,
        ),
      ).toEqual([true, false, true]);
      expect((await mustGet(b, q, one.id)).state).toBe("completed");
      expect((await mustGet(b, q, two.id)).state).toBe("failed");
    });

    describe("finishAndClaim", () => {
      /** The backend's finishAndClaim (every engine backend has one). */
      function both(): NonNullable<Backend["finishAndClaim"]> {
        const call = b.finishAndClaim;
        if (call === undefined) throw new Error("this backend has no finishAndClaim");
        return call.bind(b);
      }

      it("ends the items, then claims the next jobs: results, states and events of both", async () => {
        const q = uniqueQueue("fac-both");
        const seen = recordEvents(q, cleanups);
        await b.enqueue(q, [newJob(), newJob(), newJob()]);
        const [one, two] = await b.claim(q, claimOpts({ limit: 2 }));
        if (!one || !two) throw new Error("expected two jobs");
        const { held, claimed } = await both()(
          q,
          [
            { kind: "completed", jobId: one.id, token: one.token, resultJson: "1" },
            { kind: "completed", jobId: two.id, token: "stale", resultJson: "2" },
          ],
          T0 + 30,
          claimOpts({ limit: 2, now: T0 + 30, workerId: "w-next", concurrency: 2 }),
        );
        expect(held).toEqual([true, false]);
        expect(claimed.map((job) => job.id)).toEqual(["3"]);
        expect(claimed[0]).toMatchObject({ state: "active", attempts: 1, workerId: "w-next" });
        expect(claimed[0]?.token).toEqual(expect.any(String));
        expect(await mustGet(b, q, one.id)).toMatchObject({ state: "completed", result: 1 });
        expect((await mustGet(b, q, two.id)).state).toBe("active"); // its token did not hold
        await eventually(() => eventsOf(seen, "job:started", "3").length === 1);
        expect(eventsOf(seen, "job:completed", one.id)).toHaveLength(1);
        // The claimed job is an ordinary claim: its own token ends it.
        const last = claimed[0] as ClaimedJob;
        expect(
          await b.finish(
            q,
            [{ kind: "completed", jobId: last.id, token: last.token, resultJson: "3" }],
            T0 + 40,
          ),
        ).toEqual([true]);
      });

      it("under a global concurrency, the claim counts the slots the finish freed", async () => {
        const q = uniqueQueue("fac-global");
        await b.setGlobalConcurrency(q, 1);
        await b.enqueue(q, [newJob(), newJob()]);
        const first = await claimOne(b, q);
        expect(await b.claim(q, claimOpts({ limit: 1 }))).toEqual([]); // the one slot is taken
        const { held, claimed } = await both()(
          q,
          [{ kind: "completed", jobId: first.id, token: first.token, resultJson: "null" }],
          T0 + 30,
          claimOpts({ limit: 1, now: T0 + 30 }),
        );
        expect(held).toEqual([true]);
        expect(claimed.map((job) => job.id)).toEqual(["2"]);
      });

      it("claims nothing from a paused queue, and still ends the items", async () => {
        const q = uniqueQueue("fac-paused");
        await b.enqueue(q, [newJob(), newJob()]);
        const first = await claimOne(b, q);
        await b.setPaused(q, true);
        const { held, claimed } = await both()(
          q,
          [{ kind: "failed", jobId: first.id, token: first.token, error: ERR }],
          T0 + 30,
          claimOpts({ limit: 1, now: T0 + 30 }),
        );
        expect(held).toEqual([true]);
        expect(claimed).toEqual([]);
        expect((await mustGet(b, q, first.id)).state).toBe("failed");
        expect((await mustGet(b, q, "2")).state).toBe("waiting");
      });
    });
  });
}
