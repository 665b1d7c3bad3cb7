/**
 * Conformance, notifications: onWake, subscribe and the exported events emitter, whatever listeners do.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { events } from "../../../src/events.js";
import { type Logger, setLogger } from "../../../src/logger.js";
import { add, claimOne, eventually, mustGet, recordSubscription, T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

/** Silences the warnings that deliberately throwing listeners cause. */
const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export function eventsTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("notifications", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("onWake calls listeners of that queue only, until unsubscribed", async () => {
      const q = uniqueQueue("wake");
      const other = uniqueQueue("wake-other");
      const reasons: string[] = [];
      const otherReasons: string[] = [];
      const stop = b.onWake(q, (r) => reasons.push(r));
      cleanups.push(stop);
      cleanups.push(b.onWake(other, (r) => otherReasons.push(r)));
      await add(b, q);
      await eventually(() => reasons.includes("job"));
      expect(otherReasons).toEqual([]);
      stop();
      const count = reasons.length;
      await add(b, q);
      await add(b, other);
      await eventually(() => otherReasons.includes("job"));
      expect(reasons.length).toBe(count);
    });

    it("subscribe delivers every event of the queue, in order, until unsubscribed", async () => {
      const q = uniqueQueue("sub");
      const other = uniqueQueue("sub-other");
      const got = recordSubscription(b, q, cleanups);
      const otherGot = recordSubscription(b, other, cleanups);
      await add(b, q, { task: "sub-task" });
      const job = await claimOne(b, q);
      await b.updateProgress(q, job.id, job.token, 7);
      await b.finish(q, [{ kind: "completed", jobId: job.id, token: job.token, resultJson: '"r"' }], T0 + 30);
      await b.setPaused(q, true);
      await eventually(() => got.length >= 5);
      expect(got.map((e) => e.name)).toEqual([
        "job:waiting",
        "job:started",
        "job:progress",
        "job:completed",
        "queue:paused",
      ]);
      expect(got[0]?.payload).toMatchObject({ queue: q, jobId: job.id, task: "sub-task" });
      expect(got[3]?.payload).toMatchObject({ queue: q, jobId: job.id, result: "r" });
      expect(otherGot).toEqual([]);

      setLogger(quietLogger);
      cleanups.push(() => setLogger(undefined));
      const stop = b.subscribe(q, () => {
        throw new Error("subscriber bug");
      });
      await add(b, q, { id: "still-works" });
      await eventually(() => got.some((e) => e.payload.jobId === "still-works"));
      stop();
    });

    it("listener exceptions never reach the backend caller", async () => {
      const q = uniqueQueue("throwing");
      setLogger(quietLogger);
      cleanups.push(() => setLogger(undefined));
      const boom = () => {
        throw new Error("listener bug");
      };
      events.on("job:waiting", boom);
      events.on("job:completed", boom);
      cleanups.push(() => events.off("job:waiting", boom).off("job:completed", boom));
      cleanups.push(b.onWake(q, boom));
      cleanups.push(b.subscribe(q, boom));
      const id = await add(b, q);
      await runTo(q, "completed");
      await b.setPaused(q, true);
      await b.setPaused(q, false);
      expect((await mustGet(b, q, id)).state).toBe("completed");
    });

    it("emits through the exported events emitter with queue and jobId", async () => {
      const q = uniqueQueue("emitter");
      const got: unknown[] = [];
      const listener = (payload: { queue: string; jobId?: string }) => {
        if (payload.queue === q) got.push(payload);
      };
      events.on("job:completed", listener);
      cleanups.push(() => events.off("job:completed", listener));
      const id = await add(b, q, { task: "emit-task" });
      await runTo(q, "completed");
      await eventually(() => got.length === 1);
      expect(got[0]).toMatchObject({ queue: q, jobId: id, task: "emit-task", result: "ok" });
    });
  });
}
