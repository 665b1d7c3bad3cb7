/**
 * Conformance, admin: getJobs, getJobCounts, cancelJob, retryJob, promoteJob, removeJob, drain, clean, obliterate, setPaused, listQueues.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { activeJobsBlockObliterate } from "../../../src/backends/shared/rules.js";
import { ValidationError } from "../../../src/errors.js";
import { JOB_STATES, type JobState } from "../../../src/job.js";
import {
  absentKeys,
  add,
  claimOne,
  claimOpts,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  rateLimitsOf,
  recordEvents,
  recordWakes,
  repeatablesOf,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function adminTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("admin", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("getJobs orders by creation, newest first or ascending, filters states and pages inclusively", async () => {
      const q = uniqueQueue("get-jobs");
      await b.enqueue(q, [newJob(), newJob(), newJob({ id: "zz" }), newJob(), newJob({ id: "aa" })]);
      // Creation order: 1, 2, zz, 3, aa.
      const ids = async (states: JobState[], start: number, end: number, asc: boolean) =>
        (await b.getJobs(q, states, { start, end, asc })).map((j) => j.id);
      expect(await ids([], 0, -1, false)).toEqual(["aa", "3", "zz", "2", "1"]);
      expect(await ids([], 0, -1, true)).toEqual(["1", "2", "zz", "3", "aa"]);
      expect(await ids([], 1, 2, false)).toEqual(["3", "zz"]);
      expect(await ids([], 0, 0, true)).toEqual(["1"]);
      expect(await ids([], 3, -1, true)).toEqual(["3", "aa"]);
      expect(await ids([], 10, 20, true)).toEqual([]);
      await runTo(q, "completed");
      await runTo(q, "completed");
      expect(await ids(["completed"], 0, -1, false)).toEqual(["2", "1"]);
      expect(await ids(["waiting", "completed"], 0, -1, true)).toEqual(["1", "2", "zz", "3", "aa"]);
      expect(await ids(["waiting"], 1, 1, false)).toEqual(["3"]);
      expect(await ids(["failed"], 0, -1, false)).toEqual([]);
      const [job] = await b.getJobs(q, ["completed"], { start: 0, end: 0, asc: true });
      expect(job).toMatchObject({ id: "1", state: "completed", result: "ok", data: { n: 1 } });
      // An active job (SQLite lists these from another index) takes its place among the others.
      expect((await claimOne(b, q)).id).toBe("zz");
      expect(await ids([], 0, -1, false)).toEqual(["aa", "3", "zz", "2", "1"]);
      expect(await ids([], 1, 2, false)).toEqual(["3", "zz"]);
      expect(await ids(["active", "waiting"], 0, 0, true)).toEqual(["zz"]);
      expect(await ids(["active", "completed"], 1, -1, true)).toEqual(["2", "zz"]);
      expect(await ids(["active"], 0, -1, false)).toEqual(["zz"]);
      expect(await b.getJobCounts(q)).toMatchObject({ active: 1, waiting: 2, completed: 2 });
    });

    it("getJobCounts has a number for every state, zero included", async () => {
      const q = uniqueQueue("counts");
      const empty = await b.getJobCounts(q);
      expect(Object.keys(empty).sort()).toEqual([...JOB_STATES].sort());
      expect(Object.values(empty)).toEqual(JOB_STATES.map(() => 0));
      await b.enqueue(q, [newJob(), newJob(), newJob(), newJob({ runAt: T0 + 100 })]);
      await add(b, q, { id: "c", dependsOn: ["1"] });
      expect((await b.getJobCounts(q))["waiting-children"]).toBe(1);
      await runTo(q, "completed");
      await claimOne(b, q);
      await b.cancelJob(q, "3", T0 + 30);
      expect(await b.getJobCounts(q)).toEqual({
        waiting: 1,
        delayed: 1,
        active: 1,
        completed: 1,
        failed: 0,
        expired: 0,
        cancelled: 1,
        "waiting-children": 0,
      });
    });

    it("cancelJob cancels waiting, delayed and waiting-children jobs; they never run", async () => {
      const q = uniqueQueue("cancel-queued");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "w" });
      await add(b, q, { id: "d", runAt: T0 + 100 });
      await add(b, q, { id: "p" });
      await add(b, q, { id: "wc", dependsOn: ["p"], onParentFailure: "ignore" });
      for (const id of ["w", "d", "wc"]) {
        expect(await b.cancelJob(q, id, T0 + 5)).toBe(true);
        expect(await mustGet(b, q, id)).toMatchObject({ state: "cancelled", finishedAt: T0 + 5 });
      }
      await eventually(() => eventsOf(seen, "job:cancelled").length === 3);
      expect(eventsOf(seen, "job:cancelled", "w")[0]).toMatchObject({ queue: q, jobId: "w" });
      expect(await b.promoteDelayed(q, T0 + 1000, 10)).toEqual({ promoted: 0, nextDueAt: null });
      await runTo(q, "completed", T0 + 20);
      expect((await mustGet(b, q, "wc")).state).toBe("cancelled");
      expect(await b.claim(q, claimOpts({ limit: 10, now: T0 + 2000 }))).toEqual([]);
    });

    it("cancelJob on an active job revokes its lease: the worker's writes are fenced out", async () => {
      const q = uniqueQueue("cancel-active");
      await add(b, q);
      const job = await claimOne(b, q);
      expect(await b.cancelJob(q, job.id, T0 + 30)).toBe(true);
      const rec = await mustGet(b, q, job.id);
      expect(rec).toMatchObject({ state: "cancelled", finishedAt: T0 + 30 });
      expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
      expect(
        await b.finish(
          q,
          [
            { kind: "completed", jobId: job.id, token: job.token, resultJson: "1" },
            { kind: "released", jobId: job.id, token: job.token },
          ],
          T0 + 40,
        ),
      ).toEqual([false, false]);
      expect(await b.updateProgress(q, job.id, job.token, 1)).toBe(false);
      expect(await b.extendLeases(q, [{ jobId: job.id, token: job.token }], 100, T0 + 40)).toEqual([job.id]);
      expect((await b.recoverStalled(q, T0 + 1_000_000, 1)).stalled).toEqual([]);
      expect((await mustGet(b, q, job.id)).state).toBe("cancelled");
    });

    it("cancelJob returns false for finished or unknown jobs", async () => {
      const q = uniqueQueue("cancel-false");
      await add(b, q);
      await runTo(q, "completed");
      expect(await b.cancelJob(q, "1", T0 + 50)).toBe(false);
      expect(await b.cancelJob(q, "nope", T0 + 50)).toBe(false);
      expect((await mustGet(b, q, "1")).state).toBe("completed");
    });

    it("retryJob sends failed, expired and cancelled jobs back to waiting, reset", async () => {
      const q = uniqueQueue("retry-job");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { id: "f" });
      await runTo(q, "failed");
      await add(b, q, { id: "x", ttl: 50 });
      await b.expireDue(q, T0 + 50, 10);
      await add(b, q, { id: "c" });
      await b.cancelJob(q, "c", T0 + 60);
      wakes.length = 0;
      for (const id of ["f", "x", "c"]) {
        expect(await b.retryJob(q, id)).toBe(true);
        const rec = await mustGet(b, q, id);
        expect(rec).toMatchObject({ state: "waiting", attempts: 0, stalledCount: 0 });
        expect(absentKeys(rec, ["error", "result", "finishedAt"])).toEqual([]);
      }
      await eventually(
        () =>
          ["f", "x", "c"].every((id) => eventsOf(seen, "job:waiting", id).length === 2) &&
          wakes.includes("job"),
      );
      expect((await claimOne(b, q, { now: T0 + 80 })).id).toBe("f");
    });

    it("retryJob returns false for jobs that are not finished", async () => {
      const q = uniqueQueue("retry-false");
      await b.enqueue(q, [newJob({ id: "act" }), newJob({ id: "wait" })]);
      await add(b, q, { id: "del", runAt: T0 + 1000 });
      await claimOne(b, q);
      for (const id of ["act", "wait", "del", "nope"]) expect(await b.retryJob(q, id)).toBe(false);
      expect((await mustGet(b, q, "act")).attempts).toBe(1);
      expect(await b.getJobCounts(q)).toMatchObject({ active: 1, waiting: 1, delayed: 1 });
    });

    it("promoteJob makes a delayed job waiting now, behind the waiting ones, with job:waiting and a wake", async () => {
      const q = uniqueQueue("promote-job");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { id: "w" });
      await add(b, q, { id: "d", runAt: T0 + 60_000 });
      wakes.length = 0;
      expect(await b.promoteJob(q, "d", T0 + 10)).toBe(true);
      expect(await mustGet(b, q, "d")).toMatchObject({ state: "waiting", runAt: T0 + 10 });
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 2, delayed: 0 });
      await eventually(() => eventsOf(seen, "job:waiting", "d").length === 1 && wakes.includes("job"));
      // The delayed index no longer holds it: promotion later finds nothing.
      expect((await b.promoteDelayed(q, T0 + 120_000, 10)).promoted).toBe(0);
      expect((await claimOne(b, q, { now: T0 + 20 })).id).toBe("w");
      expect((await claimOne(b, q, { now: T0 + 20 })).id).toBe("d");
    });

    it("promoteJob returns false and changes nothing for a job that is not delayed", async () => {
      const q = uniqueQueue("promote-false");
      await add(b, q, { id: "done" });
      await runTo(q, "completed");
      await add(b, q, { id: "wait2" });
      for (const id of ["wait2", "done", "nope"]) expect(await b.promoteJob(q, id, T0 + 5)).toBe(false);
      expect((await mustGet(b, q, "done")).state).toBe("completed");
      expect((await mustGet(b, q, "wait2")).state).toBe("waiting");
    });

    it("removeJob deletes a job in any state, fences its worker and frees its dedup key", async () => {
      const q = uniqueQueue("remove");
      await add(b, q, { id: "a", dedup: { key: "k" } });
      await add(b, q, { id: "w" });
      const job = await claimOne(b, q);
      expect(job.id).toBe("a");
      expect(await b.removeJob(q, "a", T0 + 100)).toBe(true);
      expect(await b.getJob(q, "a")).toBeNull();
      expect(
        await b.finish(q, [{ kind: "completed", jobId: "a", token: job.token, resultJson: "1" }], T0 + 20),
      ).toEqual([false]);
      expect(await b.getJob(q, "a")).toBeNull();
      expect(await b.removeJob(q, "a", T0 + 100)).toBe(false);
      const [fresh] = await b.enqueue(q, [newJob({ dedup: { key: "k" } })]);
      expect(fresh?.duplicate).toBe(false);
      expect(await b.removeJob(q, "w", T0 + 100)).toBe(true);
      expect(await b.getJobCounts(q)).toMatchObject({ active: 0, waiting: 1 });
    });

    it("drain removes waiting jobs, and delayed ones when asked", async () => {
      const q = uniqueQueue("drain");
      await b.enqueue(q, [
        newJob(),
        newJob(),
        newJob(),
        newJob({ runAt: T0 + 100 }),
        newJob({ runAt: T0 + 5000 }),
      ]);
      await claimOne(b, q);
      expect(await b.drain(q, false, T0 + 100)).toBe(2);
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 0, delayed: 2, active: 1 });
      // The delayed jobs that stayed still come due.
      expect(await b.promoteDelayed(q, T0 + 100, 10)).toEqual({ promoted: 1, nextDueAt: T0 + 5000 });
      expect(await b.drain(q, true, T0 + 100)).toBe(2);
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 0, delayed: 0, active: 1 });
      expect(await b.promoteDelayed(q, T0 + 1000, 10)).toMatchObject({ promoted: 0 });
      expect(await b.claim(q, claimOpts({ limit: 5 }))).toEqual([]);
      const id = await add(b, q, { id: "after" });
      expect((await claimOne(b, q)).id).toBe(id);
    });

    it("clean removes up to limit jobs of a state older than a time, never active ones", async () => {
      const q = uniqueQueue("clean");
      await b.enqueue(q, [newJob(), newJob(), newJob()]);
      await runTo(q, "completed", T0 + 100);
      await runTo(q, "completed", T0 + 200);
      await runTo(q, "completed", T0 + 300);
      expect(await b.clean(q, "completed", T0 + 250, 1, T0 + 100)).toHaveLength(1);
      expect((await b.clean(q, "completed", T0 + 250, 10, T0 + 100)).length).toBe(1);
      expect((await b.getJobs(q, ["completed"], { start: 0, end: -1, asc: true })).map((j) => j.id)).toEqual([
        "3",
      ]);
      await add(b, q, { id: "old", createdAt: T0 - 1000 });
      await add(b, q, { id: "new", createdAt: T0 + 1000 });
      await add(b, q, { id: "old-delayed", createdAt: T0 - 1000, runAt: T0 + 1e9 });
      await add(b, q, { id: "new-delayed", createdAt: T0 + 1000, runAt: T0 + 1e9 });
      expect(await b.clean(q, "waiting", T0, 10, T0 + 100)).toEqual(["old"]);
      expect(await b.clean(q, "delayed", T0, 10, T0 + 100)).toEqual(["old-delayed"]);
      expect((await mustGet(b, q, "new-delayed")).state).toBe("delayed");
      await claimOne(b, q);
      expect(await b.clean(q, "active", Number.MAX_SAFE_INTEGER, 10, T0 + 100)).toEqual([]);
      expect((await mustGet(b, q, "new")).state).toBe("active");
    });

    it("obliterate refuses while jobs are active unless forced", async () => {
      const q = uniqueQueue("oblit-active");
      await b.enqueue(q, [newJob(), newJob()]);
      const job = await claimOne(b, q);
      await expect(b.obliterate(q, false)).rejects.toBeInstanceOf(ValidationError);
      await expect(b.obliterate(q, false)).rejects.toThrow(activeJobsBlockObliterate(q, 1).message);
      expect((await b.getJobCounts(q)).waiting).toBe(1);
      await b.obliterate(q, true);
      expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
      expect(
        await b.finish(q, [{ kind: "completed", jobId: job.id, token: job.token, resultJson: "1" }], T0 + 20),
      ).toEqual([false]);
    });

    it("obliterate deletes every job, log, repeatable, slot, dedup key, rate bucket and the pause flag", async () => {
      const q = uniqueQueue("oblit-all");
      await add(b, q, { id: "a", dedup: { key: "k" } });
      await add(b, q, { id: "d", runAt: T0 + 100 });
      await add(b, q);
      await runTo(q, "completed");
      await b.addLog(q, "a", "line");
      await repeatablesOf(b).upsert(q, {
        id: "r",
        def: { task: "t", every: 10 },
        nextRun: T0,
        paused: false,
      });
      await repeatablesOf(b).fire(q, {
        repeatId: "mem",
        slot: T0,
        job: newJob(),
        nextRun: T0 + 10,
      });
      expect(await rateLimitsOf(b).take(q, 1, 1000, T0)).toBe(0);
      expect(await rateLimitsOf(b).take(q, 1, 1000, T0)).toBeGreaterThan(0);
      await b.setPaused(q, true);
      expect(await b.listQueues()).toContain(q);

      await b.obliterate(q, false);
      expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
      expect(await b.getJob(q, "a")).toBeNull();
      expect(await b.getLogs(q, "a")).toEqual([]);
      expect(await repeatablesOf(b).list(q)).toEqual([]);
      expect(await repeatablesOf(b).lastFired(q, "mem")).toBeNull();
      expect(await b.isPaused(q)).toBe(false);
      expect(await b.listQueues()).not.toContain(q);
      expect(await rateLimitsOf(b).take(q, 1, 1000, T0)).toBe(0);
      const [fresh] = await b.enqueue(q, [newJob({ dedup: { key: "k" } })]);
      expect(fresh?.duplicate).toBe(false);
    });

    it("setPaused emits queue:paused / queue:resumed and resuming wakes 'resume'", async () => {
      const q = uniqueQueue("pause");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      expect(await b.isPaused(q)).toBe(false);
      await b.setPaused(q, true);
      expect(await b.isPaused(q)).toBe(true);
      await eventually(() => seen.some((e) => e.name === "queue:paused"));
      expect(seen.find((e) => e.name === "queue:paused")?.payload).toEqual({ queue: q });
      expect(wakes).not.toContain("resume");
      await b.setPaused(q, false);
      expect(await b.isPaused(q)).toBe(false);
      await eventually(() => seen.some((e) => e.name === "queue:resumed") && wakes.includes("resume"));
      expect(seen.find((e) => e.name === "queue:resumed")?.payload).toEqual({ queue: q });
    });

    it("listQueues lists queues with a job, a repeatable or a pause flag, sorted", async () => {
      const base = uniqueQueue("lq");
      const [withJob, withRep, paused, empty] = ["c", "a", "b", "d"].map((s) => `${base}-${s}`) as [
        string,
        string,
        string,
        string,
      ];
      await add(b, withJob);
      await repeatablesOf(b).upsert(withRep, {
        id: "r",
        def: { task: "t", every: 10 },
        nextRun: T0,
        paused: false,
      });
      await b.setPaused(paused, true);
      await b.getJobCounts(empty);
      await b.isPaused(empty);
      const mine = (await b.listQueues()).filter((name) => name.startsWith(base));
      expect(mine).toEqual([withRep, paused, withJob]);
      const all = await b.listQueues();
      expect([...all].sort()).toEqual(all);
      await b.removeJob(withJob, "1", T0 + 100);
      await b.setPaused(paused, false);
      await repeatablesOf(b).remove(withRep, "r");
      expect((await b.listQueues()).filter((name) => name.startsWith(base))).toEqual([]);
    });
  });
}
