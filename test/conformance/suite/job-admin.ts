/**
 * Conformance, job admin in bulk and job changes: retryJob of a completed job, retryJobs,
 * promoteJobs, updateData, changePriority, changeDelay and getLogs pages.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, Finish } from "../../../src/backends/backend.js";
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

/** The ids `claim` hands out, all of them, in order. */
async function claimAll(b: Backend, q: string, now: number): Promise<string[]> {
  return (await b.claim(q, claimOpts({ limit: 100, now }))).map((j) => j.id);
}

export function jobAdminTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("job admin: bulk and changes", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    /** Claims every waiting job of `q` and ends each as `kind` at `now`, in the order of `ids`. */
    async function finishAll(q: string, kind: "completed" | "failed", now: number, ids?: string[]) {
      const claimed = await b.claim(q, claimOpts({ limit: 100, now: now - 1 }));
      const order = ids ?? claimed.map((j) => j.id);
      const items = order.map((id): Finish => {
        const token = claimed.find((j) => j.id === id)?.token as string;
        return kind === "completed"
          ? { kind, jobId: id, token, resultJson: '"ok"' }
          : { kind, jobId: id, token, error: ERR };
      });
      expect(await b.finish(q, items, now)).toEqual(items.map(() => true));
    }

    it("retryJob sends a completed job back to waiting: result cleared, attempts reset", async () => {
      const q = uniqueQueue("retry-completed");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "done" });
      await runTo(q, "completed");
      expect(await b.retryJob(q, "done")).toBe(true);
      const rec = await mustGet(b, q, "done");
      expect(rec).toMatchObject({ state: "waiting", attempts: 0 });
      expect(absentKeys(rec, ["result", "finishedAt", "error"])).toEqual([]);
      expect((await b.getJobCounts(q)).completed).toBe(0);
      await eventually(() => eventsOf(seen, "job:waiting", "done").length === 2);
      expect((await claimOne(b, q, { now: T0 + 30 })).id).toBe("done");
    });

    it("retryJobs retries finished jobs of one state older than a time, oldest finished first, within limit", async () => {
      const q = uniqueQueue("retry-jobs");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      // Five failures at four times; 3, 4 and 5 in one batch at T0 + 300, finished in the order 5, 3, 4.
      await add(b, q);
      await finishAll(q, "failed", T0 + 200);
      await add(b, q);
      await finishAll(q, "failed", T0 + 100);
      await b.enqueue(q, [newJob(), newJob(), newJob()]);
      await finishAll(q, "failed", T0 + 300, ["5", "3", "4"]);
      await add(b, q, { id: "ok" });
      await runTo(q, "completed", T0 + 50);
      wakes.length = 0;

      expect(await b.retryJobs(q, "failed", T0 + 200, 10)).toBe(1); // only "2" finished before T0 + 200
      expect(await b.retryJobs(q, "failed", T0 + 1000, 1)).toBe(1); // the oldest left: "1"
      for (const id of ["1", "2"]) {
        const rec = await mustGet(b, q, id);
        expect(rec).toMatchObject({ state: "waiting", attempts: 0 });
        expect(absentKeys(rec, ["error", "finishedAt"])).toEqual([]);
      }
      // Equal finish times: in creation order.
      expect(await b.retryJobs(q, "failed", T0 + 1000, 10)).toBe(3);
      expect(await b.retryJobs(q, "failed", T0 + 1000, 10)).toBe(0);
      expect(await b.getJobCounts(q)).toMatchObject({ failed: 0, waiting: 5, completed: 1 });
      await eventually(() => eventsOf(seen, "job:waiting").length === 11 && wakes.includes("job"));
      expect(await claimAll(b, q, T0 + 400)).toEqual(["2", "1", "3", "4", "5"]);

      expect(await b.retryJobs(q, "completed", T0 + 1000, 10)).toBe(1);
      expect((await mustGet(b, q, "ok")).state).toBe("waiting");
      // Not a finished state, or no such queue: nothing.
      expect(await b.retryJobs(q, "waiting", T0 + 1000, 10)).toBe(0);
      expect(await b.retryJobs(uniqueQueue("retry-none"), "failed", T0 + 1000, 10)).toBe(0);
      expect((await mustGet(b, q, "ok")).state).toBe("waiting");
    });

    it("retryJobs takes expired and cancelled jobs by their state", async () => {
      const q = uniqueQueue("retry-jobs-dead");
      await add(b, q, { id: "x", ttl: 10 });
      await b.expireDue(q, T0 + 10, 10);
      await add(b, q, { id: "c" });
      await b.cancelJob(q, "c", T0 + 20);
      expect(await b.retryJobs(q, "cancelled", T0 + 100, 10)).toBe(1);
      expect((await mustGet(b, q, "x")).state).toBe("expired");
      expect(await b.retryJobs(q, "expired", T0 + 100, 10)).toBe(1);
      expect(await b.getJobCounts(q)).toMatchObject({ waiting: 2, expired: 0, cancelled: 0 });
    });

    it("promoteJobs runs delayed jobs now, soonest due first, within limit, with job:waiting and a wake", async () => {
      const q = uniqueQueue("promote-jobs");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { id: "w" });
      await add(b, q, { id: "late", runAt: T0 + 300 });
      await add(b, q, { id: "soon", runAt: T0 + 100 });
      await add(b, q, { id: "due", runAt: T0 + 5 });
      await add(b, q, { id: "mid", runAt: T0 + 200 });
      wakes.length = 0;
      expect(await b.promoteJobs(q, 3, T0 + 10)).toBe(3);
      // Promoted early: runAt becomes now; one already due keeps its runAt.
      expect(await mustGet(b, q, "due")).toMatchObject({ state: "waiting", runAt: T0 + 5 });
      expect(await mustGet(b, q, "soon")).toMatchObject({ state: "waiting", runAt: T0 + 10 });
      expect(await mustGet(b, q, "late")).toMatchObject({ state: "delayed", runAt: T0 + 300 });
      await eventually(() => eventsOf(seen, "job:waiting").length === 4 && wakes.includes("job"));
      expect(eventsOf(seen, "job:waiting").map((p) => p.jobId)).toEqual(["w", "due", "soon", "mid"]);
      expect(await b.promoteDelayed(q, T0 + 299, 10)).toEqual({ promoted: 0, nextDueAt: T0 + 300 });
      expect(await claimAll(b, q, T0 + 20)).toEqual(["w", "due", "soon", "mid"]);
      expect(await b.promoteJobs(q, 10, T0 + 30)).toBe(1);
      expect(await b.promoteJobs(q, 10, T0 + 30)).toBe(0);
      expect(await b.promoteJobs(uniqueQueue("promote-none"), 10, T0)).toBe(0);
    });

    it("updateData replaces the data of a job in any state; false for a missing one", async () => {
      const q = uniqueQueue("update-data");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "act" });
      const claimed = await claimOne(b, q);
      await add(b, q, { id: "wait" });
      await add(b, q, { id: "del", runAt: T0 + 1000 });
      await add(b, q, { id: "done" });
      await b.cancelJob(q, "done", T0 + 5);
      for (const id of ["wait", "act", "del", "done"]) {
        expect(await b.updateData(q, id, JSON.stringify({ id, n: [2] }))).toBe(true);
        expect((await mustGet(b, q, id)).data).toEqual({ id, n: [2] });
      }
      expect(await b.updateData(q, "nope", "1")).toBe(false);
      expect(await b.getJob(q, "nope")).toBeNull();
      // Nothing else changed: states, and the active job's lease still holds.
      expect(await b.getJobCounts(q)).toMatchObject({ active: 1, waiting: 1, delayed: 1, cancelled: 1 });
      expect(await b.extendLeases(q, [{ jobId: "act", token: claimed.token }], 1000, T0 + 20)).toEqual([]);
      expect((await claimOne(b, q, { now: T0 + 20 })).data).toEqual({ id: "wait", n: [2] });
      await eventually(() => eventsOf(seen, "job:started").length === 2);
      const names = seen.map((e) => e.name).filter((n) => n !== "job:waiting" && n !== "job:delayed");
      expect(names).toEqual(["job:started", "job:cancelled", "job:started"]);
    });

    it("changePriority sets the priority of a job in any state; a waiting job goes to the tail of its new priority", async () => {
      const q = uniqueQueue("change-priority");
      await b.enqueue(q, [newJob({ id: "a" }), newJob({ id: "b" }), newJob({ id: "c" })]);
      await add(b, q, { id: "del", runAt: T0 + 100 });
      expect(await b.changePriority(q, "a", 5)).toBe(true); // same priority: behind b and c now
      expect(await b.changePriority(q, "c", 1)).toBe(true);
      expect(await b.changePriority(q, "del", 0)).toBe(true);
      expect(await b.changePriority(q, "nope", 1)).toBe(false);
      expect(await mustGet(b, q, "c")).toMatchObject({ state: "waiting", priority: 1 });
      expect(await mustGet(b, q, "del")).toMatchObject({ state: "delayed", priority: 0 });
      await b.promoteDelayed(q, T0 + 100, 10);
      expect(await claimAll(b, q, T0 + 101)).toEqual(["del", "c", "b", "a"]);
      // An active job keeps running; its record (and any retry) has the new priority.
      expect(await b.changePriority(q, "b", -7)).toBe(true);
      expect(await mustGet(b, q, "b")).toMatchObject({ state: "active", priority: -7 });
    });

    it("changeDelay moves a delayed job's runAt, behind the jobs due then, with job:delayed and a wake", async () => {
      const q = uniqueQueue("change-delay");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      await add(b, q, { id: "x", runAt: T0 + 1000 });
      await add(b, q, { id: "y", runAt: T0 + 200 });
      await add(b, q, { id: "w" });
      wakes.length = 0;
      expect(await b.changeDelay(q, "x", T0 + 200)).toBe(true);
      expect(await mustGet(b, q, "x")).toMatchObject({ state: "delayed", runAt: T0 + 200 });
      await eventually(() => eventsOf(seen, "job:delayed", "x").length === 2 && wakes.includes("delayed"));
      expect(eventsOf(seen, "job:delayed", "x")[1]).toMatchObject({ queue: q, jobId: "x", runAt: T0 + 200 });
      expect(await b.promoteDelayed(q, T0 + 199, 10)).toEqual({ promoted: 0, nextDueAt: T0 + 200 });
      // Later, then earlier again: only the last runAt counts.
      expect(await b.changeDelay(q, "y", T0 + 5000)).toBe(true);
      expect(await b.changeDelay(q, "y", T0 + 200)).toBe(true);
      for (const id of ["w", "nope"]) expect(await b.changeDelay(q, id, T0 + 50)).toBe(false);
      expect((await mustGet(b, q, "w")).state).toBe("waiting");
      expect(await b.promoteDelayed(q, T0 + 200, 10)).toEqual({ promoted: 2, nextDueAt: null });
      expect(await claimAll(b, q, T0 + 201)).toEqual(["w", "x", "y"]);
    });

    it("getLogs returns a page of a job's log lines by inclusive indexes", async () => {
      const q = uniqueQueue("logs-page");
      await add(b, q, { id: "j" });
      for (let i = 0; i < 5; i++) await b.addLog(q, "j", `line ${i}`);
      const lines = (start: number, end: number) => b.getLogs(q, "j", { start, end });
      expect(await b.getLogs(q, "j")).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
      expect(await lines(0, -1)).toEqual(await b.getLogs(q, "j"));
      expect(await lines(1, 2)).toEqual(["line 1", "line 2"]);
      expect(await lines(3, -1)).toEqual(["line 3", "line 4"]);
      expect(await lines(4, 10)).toEqual(["line 4"]);
      expect(await lines(5, 10)).toEqual([]);
      expect(await lines(2, 1)).toEqual([]);
      expect(await b.getLogs(q, "nope", { start: 0, end: -1 })).toEqual([]);
    });
  });
}
