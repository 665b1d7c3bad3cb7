/**
 * Conformance, repeatables: the optional repeatable store and firing one slot exactly once.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, NewJob, RepeatableFire } from "../../../src/backends/backend.js";
import {
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  repeatablesOf,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function repeatablesTests(fx: SuiteFixture): void {
  const { cleanups } = fx;
  describe("repeatables", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    const info = (id: string, nextRun: number, paused = false) => ({
      id,
      def: { task: "tick", every: 1000, data: { x: [1] } },
      nextRun,
      paused,
    });
    const fire = (repeatId: string, slot: number, over: Partial<NewJob> = {}): RepeatableFire => ({
      repeatId,
      slot,
      job: newJob({ task: "tick", createdAt: slot, ...over }),
      nextRun: slot + 1000,
    });

    it("upserts, lists, pauses and removes definitions", async () => {
      const q = uniqueQueue("rep-crud");
      expect(await repeatablesOf(b).upsert(q, info("r1", T0 + 1000))).toEqual(info("r1", T0 + 1000));
      await repeatablesOf(b).upsert(q, info("r2", T0 + 2000));
      await repeatablesOf(b).upsert(q, { ...info("r1", T0 + 5000, true), def: { task: "tock", every: 5 } });
      const listed = (await repeatablesOf(b).list(q)).sort((x, y) => x.id.localeCompare(y.id));
      expect(listed).toEqual([
        { id: "r1", def: { task: "tock", every: 5 }, nextRun: T0 + 5000, paused: true, runs: 0 },
        { ...info("r2", T0 + 2000), runs: 0 },
      ]);
      expect(await repeatablesOf(b).setPaused(q, "r2", true)).toBe(true);
      expect((await repeatablesOf(b).list(q)).find((r) => r.id === "r2")).toMatchObject({
        paused: true,
        nextRun: T0 + 2000,
      });
      expect(await repeatablesOf(b).setPaused(q, "r2", false, T0 + 9000)).toBe(true);
      expect((await repeatablesOf(b).list(q)).find((r) => r.id === "r2")).toMatchObject({
        paused: false,
        nextRun: T0 + 9000,
      });
      expect(await repeatablesOf(b).setPaused(q, "ghost", true)).toBe(false);
      expect(await repeatablesOf(b).remove(q, "r1")).toBe(true);
      expect(await repeatablesOf(b).remove(q, "r1")).toBe(false);
      expect((await repeatablesOf(b).list(q)).map((r) => r.id)).toEqual(["r2"]);
    });

    it("fireRepeatable enqueues once per slot, records the slot and the definition's nextRun", async () => {
      const q = uniqueQueue("rep-fire");
      const seen = recordEvents(q, cleanups);
      await repeatablesOf(b).upsert(q, info("r", T0));
      expect(await repeatablesOf(b).lastFired(q, "r")).toBeNull();
      const id = await repeatablesOf(b).fire(q, fire("r", T0));
      expect(typeof id).toBe("string");
      expect(await mustGet(b, q, id as string)).toMatchObject({ task: "tick", state: "waiting" });
      expect(await repeatablesOf(b).lastFired(q, "r")).toEqual({ slot: T0, runs: 1 });
      expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0 + 1000);
      await eventually(() => eventsOf(seen, "job:waiting", id as string).length === 1);
      expect(await repeatablesOf(b).fire(q, fire("r", T0))).toBeNull();
      expect(await repeatablesOf(b).fire(q, fire("r", T0 - 1000))).toBeNull();
      expect((await b.getJobCounts(q)).waiting).toBe(1);
      expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0 + 1000);
      const next = await repeatablesOf(b).fire(q, fire("r", T0 + 1000));
      expect(next).not.toBeNull();
      expect(next).not.toBe(id);
      expect(await repeatablesOf(b).lastFired(q, "r")).toEqual({ slot: T0 + 1000, runs: 2 });
      expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0 + 2000);
    });

    it("fires exactly once when two schedulers race for the same slot", async () => {
      const q = uniqueQueue("rep-race");
      await repeatablesOf(b).upsert(q, info("r", T0));
      const results = await Promise.all([
        repeatablesOf(b).fire(q, fire("r", T0)),
        repeatablesOf(b).fire(q, fire("r", T0)),
        repeatablesOf(b).fire(q, fire("r", T0)),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await b.getJobCounts(q)).waiting).toBe(1);
      // Also without a stored definition (an in-process one).
      const both = await Promise.all([
        repeatablesOf(b).fire(q, fire("mem", T0)),
        repeatablesOf(b).fire(q, fire("mem", T0)),
      ]);
      expect(both.filter((r) => r !== null)).toHaveLength(1);
      expect((await b.getJobCounts(q)).waiting).toBe(2);
    });

    it("a paused definition fires nothing", async () => {
      const q = uniqueQueue("rep-paused");
      await repeatablesOf(b).upsert(q, info("r", T0, true));
      expect(await repeatablesOf(b).fire(q, fire("r", T0))).toBeNull();
      expect(await repeatablesOf(b).lastFired(q, "r")).toBeNull();
      expect((await b.getJobCounts(q)).waiting).toBe(0);
      expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0);
      await repeatablesOf(b).setPaused(q, "r", false);
      expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
    });

    it("fire with a limit enqueues at most limit slots per id, counted in the engine, also when schedulers race", async () => {
      const q = uniqueQueue("rep-limit");
      await repeatablesOf(b).upsert(q, info("r", T0));
      const limited = (id: string, slot: number) => ({ ...fire(id, slot), limit: 3 });
      expect(await repeatablesOf(b).fire(q, limited("r", T0))).not.toBeNull();
      expect(await repeatablesOf(b).fire(q, limited("r", T0 + 1000))).not.toBeNull();
      expect((await repeatablesOf(b).list(q))[0]?.runs).toBe(2);
      // Three schedulers, each on another (later) slot: only one run is left.
      const raced = await Promise.all(
        [2000, 3000, 4000].map((d) => repeatablesOf(b).fire(q, limited("r", T0 + d))),
      );
      expect(raced.filter((r) => r !== null)).toHaveLength(1);
      expect((await repeatablesOf(b).lastFired(q, "r"))?.runs).toBe(3);
      expect(await repeatablesOf(b).fire(q, limited("r", T0 + 9000))).toBeNull();
      expect((await b.getJobCounts(q)).waiting).toBe(3);
      expect((await repeatablesOf(b).list(q))[0]).toMatchObject({ id: "r", runs: 3 });
      // Without a stored definition (an in-process one) the count is kept all the same.
      expect(await repeatablesOf(b).fire(q, { ...fire("mem", T0), limit: 1 })).not.toBeNull();
      expect(await repeatablesOf(b).fire(q, { ...fire("mem", T0 + 1000), limit: 1 })).toBeNull();
      expect(await repeatablesOf(b).lastFired(q, "mem")).toEqual({ slot: T0, runs: 1 });
      // A job with a dedup key takes another path on some engines (a transaction): the same rule.
      const deduped = (slot: number) => ({ ...fire("dd", slot, { dedup: { key: `k${slot}` } }), limit: 1 });
      expect(await repeatablesOf(b).fire(q, deduped(T0))).not.toBeNull();
      expect(await repeatablesOf(b).fire(q, deduped(T0 + 1000))).toBeNull();
      expect(await repeatablesOf(b).lastFired(q, "dd")).toEqual({ slot: T0, runs: 1 });
      // Removing a definition forgets its runs: it may fire again.
      await repeatablesOf(b).remove(q, "r");
      expect(await repeatablesOf(b).fire(q, limited("r", T0 + 10_000))).not.toBeNull();
      expect(await repeatablesOf(b).lastFired(q, "r")).toEqual({ slot: T0 + 10_000, runs: 1 });
    });

    it("removeRepeatable forgets the last slot too", async () => {
      const q = uniqueQueue("rep-remove");
      await repeatablesOf(b).upsert(q, info("r", T0));
      expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
      expect(await repeatablesOf(b).remove(q, "r")).toBe(true);
      expect(await repeatablesOf(b).lastFired(q, "r")).toBeNull();
      expect(await repeatablesOf(b).list(q)).toEqual([]);
      expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
    });
  });
}
