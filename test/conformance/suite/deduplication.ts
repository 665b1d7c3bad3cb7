/**
 * Conformance, deduplication extras: releasing and reading a dedup key, extend, replace.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { add, eventsOf, eventually, newJob, recordEvents, T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function deduplicationTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("deduplication", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("removeDeduplicationKey releases the key; the holder stays and the next add is a new job", async () => {
      const q = uniqueQueue("dedup-release");
      expect(await b.getDeduplicationJobId(q, "k")).toBeNull();
      expect(await b.removeDeduplicationKey(q, "k")).toBe(false);
      const holder = await add(b, q, { dedup: { key: "k" } });
      await add(b, q, { dedup: { key: "other" } });
      expect(await b.getDeduplicationJobId(q, "k")).toBe(holder);
      expect(await b.removeDeduplicationKey(q, "k")).toBe(true);
      expect(await b.removeDeduplicationKey(q, "k")).toBe(false);
      expect(await b.getDeduplicationJobId(q, "k")).toBeNull();
      expect(await b.getDeduplicationJobId(q, "other")).not.toBeNull();
      expect((await b.getJob(q, holder))?.state).toBe("waiting");

      const [fresh] = await b.enqueue(q, [newJob({ dedup: { key: "k" }, createdAt: T0 + 5 })]);
      expect(fresh).toMatchObject({ state: "waiting", duplicate: false });
      expect(fresh?.id).not.toBe(holder);
      expect(await b.getDeduplicationJobId(q, "k")).toBe(fresh?.id);
      // Deleting the old holder leaves the key with the job that holds it now.
      expect(await b.removeJob(q, holder, T0 + 6)).toBe(true);
      expect(await b.getDeduplicationJobId(q, "k")).toBe(fresh?.id);
    });

    it("getDeduplicationJobId names the holder in any state, and null once it is deleted", async () => {
      const q = uniqueQueue("dedup-get");
      const holder = await add(b, q, { dedup: { key: "k", ttl: 10 } });
      await runTo(q, "completed");
      // Past its ttl and finished: no longer deduplicating, still the key's job.
      expect(await b.getDeduplicationJobId(q, "k")).toBe(holder);
      expect(await b.removeJob(q, holder, T0 + 30)).toBe(true);
      expect(await b.getDeduplicationJobId(q, "k")).toBeNull();
    });

    it("extend: each duplicate within the ttl restarts the window; one without extend does not", async () => {
      const q = uniqueQueue("dedup-extend");
      const at = async (time: number, extend: boolean) => {
        const dedup = extend ? { key: "k", ttl: 1000, extend } : { key: "k", ttl: 1000 };
        const [result] = await b.enqueue(q, [newJob({ dedup, createdAt: time })]);
        return result;
      };
      const first = (await at(T0, true))?.id;
      // Each add is more than the ttl after the first, less than it after the previous one.
      for (const time of [T0 + 800, T0 + 1500, T0 + 2400]) {
        expect(await at(time, true)).toMatchObject({ id: first, duplicate: true });
      }
      const second = await at(T0 + 3500, true);
      expect(second).toMatchObject({ duplicate: false });
      expect(await at(T0 + 4000, false)).toMatchObject({ id: second?.id, duplicate: true });
      expect(await at(T0 + 4600, false)).toMatchObject({ duplicate: false });
      expect((await b.getJobCounts(q)).waiting).toBe(3);
    });

    it("replace: a delayed holder is removed and the new job inserted in its place, taking the key", async () => {
      const q = uniqueQueue("dedup-replace");
      const seen = recordEvents(q, cleanups);
      const holder = await add(b, q, { dedup: { key: "k" }, runAt: T0 + 10_000 });
      const child = await add(b, q, { dependsOn: [holder] });
      const replacing = newJob({
        dataJson: JSON.stringify({ n: 2 }),
        dedup: { key: "k", replace: true },
        createdAt: T0 + 100,
        runAt: T0 + 5_000,
      });
      const [result] = await b.enqueue(q, [replacing]);
      expect(result).toMatchObject({ state: "delayed", duplicate: false });
      const id = result?.id as string;
      expect(id).not.toBe(holder);
      expect(await b.getJob(q, holder)).toBeNull();
      expect(await b.getJob(q, id)).toMatchObject({ data: { n: 2 }, runAt: T0 + 5_000 });
      expect(await b.getDeduplicationJobId(q, "k")).toBe(id);
      // Removed as removeJob removes it: its dependant settles as for a removed parent.
      expect((await b.getJob(q, child))?.state).toBe("failed");
      await eventually(() => eventsOf(seen, "job:delayed", id).length === 1);
      expect(eventsOf(seen, "job:duplicated")).toEqual([]);
      expect(await b.getJobCounts(q)).toMatchObject({ delayed: 1, failed: 1 });
    });

    it("replace: a holder that is not delayed, or no longer holds the key, is not replaced", async () => {
      const q = uniqueQueue("dedup-replace-not");
      const seen = recordEvents(q, cleanups);
      const waiting = await add(b, q, { dedup: { key: "w" } });
      const [dup] = await b.enqueue(q, [newJob({ dedup: { key: "w", replace: true }, runAt: T0 + 500 })]);
      expect(dup).toEqual({ id: waiting, state: "waiting", duplicate: true });
      await eventually(() => eventsOf(seen, "job:duplicated", waiting).length === 1);
      // A custom-id duplicate is never replaced, even when it holds the key delayed.
      const delayed = await add(b, q, { id: "d1", dedup: { key: "d", ttl: 1000 }, runAt: T0 + 10_000 });
      const [same] = await b.enqueue(q, [newJob({ id: "d1", dedup: { key: "d", replace: true } })]);
      expect(same).toEqual({ id: delayed, state: "delayed", duplicate: true });
      // Past its ttl the key no longer holds: a new job, the delayed one stays.
      const [late] = await b.enqueue(q, [
        newJob({ dedup: { key: "d", ttl: 1000, replace: true }, createdAt: T0 + 1000 }),
      ]);
      expect(late).toMatchObject({ state: "waiting", duplicate: false });
      expect((await b.getJob(q, delayed))?.state).toBe("delayed");
      expect(await b.getDeduplicationJobId(q, "d")).toBe(late?.id);
    });
  });
}
