/**
 * Conformance, enqueue: ids, stored fields, initial state, duplicate ids, dedup keys, and the events and wake-ups of a new job.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, NewJob } from "../../../src/backends/backend.js";
import { InMemoryBackend } from "../../../src/backends/memory/memory-backend.js";
import { ValidationError } from "../../../src/errors.js";
import {
  absentKeys,
  add,
  claimOne,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  recordEvents,
  recordWakes,
  T0,
  uniqueQueue,
} from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function enqueueTests(fx: SuiteFixture): void {
  const { cleanups, runTo } = fx;
  describe("enqueue", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("assigns increasing numeric ids and stores the job as given", async () => {
      const q = uniqueQueue("enq-ids");
      const results = await b.enqueue(q, [
        newJob({ dataJson: JSON.stringify({ a: [1, 2] }), priority: 3, maxRetries: 2 }),
        newJob(),
      ]);
      expect(results).toEqual([
        { id: "1", state: "waiting", duplicate: false },
        { id: "2", state: "waiting", duplicate: false },
      ]);
      expect(await add(b, q)).toBe("3");
      const job = await mustGet(b, q, "1");
      expect(job).toMatchObject({
        id: "1",
        queue: q,
        task: "conf-task",
        data: { a: [1, 2] },
        state: "waiting",
        priority: 3,
        attempts: 0,
        maxRetries: 2,
        createdAt: T0,
        stalledCount: 0,
      });
      expect(
        absentKeys(job, [
          "runAt",
          "startedAt",
          "finishedAt",
          "result",
          "error",
          "progress",
          "workerId",
          "leaseExpiresAt",
          "dependsOn",
          "ttl",
          "timeout",
          "backoff",
        ]),
      ).toEqual([]);
    });

    it("keeps every optional field and returns copies", async () => {
      const q = uniqueQueue("enq-fields");
      await add(b, q, { id: "parent" });
      const id = await add(b, q, {
        id: "full",
        backoff: { type: "fixed", delay: 50 },
        ttl: 60_000,
        timeout: 500,
        dependsOn: ["parent"],
        onParentFailure: "ignore",
        removeOnComplete: { count: 3 },
        removeOnFail: true,
        inherit: ["retries", "timeout"],
      });
      expect(id).toBe("full");
      const job = await mustGet(b, q, id);
      expect(job).toMatchObject({
        backoff: { type: "fixed", delay: 50 },
        ttl: 60_000,
        timeout: 500,
        dependsOn: ["parent"],
        onParentFailure: "ignore",
        removeOnComplete: { count: 3 },
        removeOnFail: true,
        inherit: ["retries", "timeout"],
      });
      (job.data as { n: number }).n = 99;
      job.dependsOn?.push("x");
      const again = await mustGet(b, q, id);
      expect(again.data).toEqual({ n: 1 });
      expect(again.dependsOn).toEqual(["parent"]);
    });

    it("keeps a job's trace context on every insert path and returns it on getJob and claim", async () => {
      const q = uniqueQueue("enq-trace");
      const trace = (n: number) => ({
        traceparent: `00-0af7651916cd43dd8448eb211c80319${n}-b7ad6b716920333${n}-01`,
        tracestate: `vendor=${n}`,
      });
      // A plain batch (generated ids), a custom id, and the general path (lifo, dedup key).
      const plain = await b.enqueue(q, [newJob({ traceContext: trace(1) }), newJob()]);
      const custom = await add(b, q, { id: "traced", traceContext: trace(2) });
      const general = await add(b, q, { lifo: true, dedup: { key: "k" }, traceContext: trace(3) });
      const [first, untraced] = plain.map((r) => r.id) as [string, string];
      expect((await mustGet(b, q, first)).traceContext).toEqual(trace(1));
      expect((await mustGet(b, q, custom)).traceContext).toEqual(trace(2));
      expect(absentKeys(await mustGet(b, q, untraced), ["traceContext"])).toEqual([]);
      const claimed = await b.claim(q, { workerId: "w-conf", limit: 4, leaseMs: 1000, now: T0 + 10 });
      const byId = new Map(claimed.map((j) => [j.id, j.traceContext]));
      expect(byId).toEqual(
        new Map([
          [general, trace(3)],
          [first, trace(1)],
          [untraced, undefined],
          [custom, trace(2)],
        ]),
      );
    });

    it("emits job:waiting and wakes 'job' for a ready job", async () => {
      const q = uniqueQueue("enq-waiting");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      const id = await add(b, q, { task: "t-w" });
      await eventually(() => eventsOf(seen, "job:waiting").length === 1 && wakes.includes("job"));
      expect(eventsOf(seen, "job:waiting")[0]).toMatchObject({ queue: q, jobId: id, task: "t-w" });
    });

    it("starts a job delayed when runAt > createdAt, with job:delayed and a 'delayed' wake", async () => {
      const q = uniqueQueue("enq-delayed");
      const seen = recordEvents(q, cleanups);
      const wakes = recordWakes(b, q, cleanups);
      const [delayed, due] = await b.enqueue(q, [newJob({ runAt: T0 + 5000 }), newJob({ runAt: T0 })]);
      expect(delayed).toMatchObject({ state: "delayed", duplicate: false });
      expect(due).toMatchObject({ state: "waiting" });
      expect(await mustGet(b, q, delayed?.id as string)).toMatchObject({
        state: "delayed",
        runAt: T0 + 5000,
      });
      await eventually(() => eventsOf(seen, "job:delayed").length === 1 && wakes.includes("delayed"));
      expect(eventsOf(seen, "job:delayed")[0]).toMatchObject({
        queue: q,
        jobId: delayed?.id,
        task: "conf-task",
        runAt: T0 + 5000,
      });
      const counts = await b.getJobCounts(q);
      expect([counts.delayed, counts.waiting]).toEqual([1, 1]);
    });

    it("returns an existing custom id as a duplicate, inserting nothing and emitting job:duplicated", async () => {
      const q = uniqueQueue("enq-dup");
      const seen = recordEvents(q, cleanups);
      await add(b, q, { id: "same", dataJson: '"first"' });
      await claimOne(b, q);
      const [dup] = await b.enqueue(q, [newJob({ id: "same", dataJson: '"second"' })]);
      expect(dup).toEqual({ id: "same", state: "active", duplicate: true });
      expect((await mustGet(b, q, "same")).data).toBe("first");
      expect((await b.getJobCounts(q)).active).toBe(1);
      await eventually(() => eventsOf(seen, "job:duplicated", "same").length === 1);
      expect(eventsOf(seen, "job:duplicated", "same")[0]).toMatchObject({ queue: q, jobId: "same" });
    });

    it("treats a repeated id later in one batch as a duplicate of the first", async () => {
      const q = uniqueQueue("enq-dup-batch");
      const results = await b.enqueue(q, [
        newJob({ id: "x", dataJson: "1" }),
        newJob({ id: "x", dataJson: "2" }),
        newJob(),
      ]);
      expect(results.map((r) => [r.id, r.duplicate])).toEqual([
        ["x", false],
        ["x", true],
        ["1", false],
      ]);
      expect((await mustGet(b, q, "x")).data).toBe(1);
      expect((await b.getJobCounts(q)).waiting).toBe(2);
    });

    it("stores and claims runs of jobs that differ only in their data as the memory backend does, across large batches", async () => {
      // addBulk shares one NewJob but for the data among the jobs of a task without options; the
      // engines send such runs' other fields once. Runs of each kind, the first across 2,000 jobs
      // (the Redis and Postgres chunk size), a duplicate id, another task; lifo jobs in a batch of
      // their own (Postgres inserts a batch with any one at a time).
      const base = newJob({ createdAt: T0 });
      const batches: Array<Array<[number, NewJob]>> = [
        [
          [2100, base],
          [3, { ...base, priority: 1 }],
          [3, { ...base, runAt: T0 + 60_000 }],
          [2, { ...base, id: "same" }],
          [3, { ...base, ttl: 60_000, removeOnComplete: true, backoff: { type: "fixed", delay: 5 } }],
          [1, { ...base, task: "conf-other" }],
          [2, base],
        ],
        [
          [3, { ...base, lifo: true }],
          [3, { ...base, lifo: true, priority: 1 }],
          [2, base],
        ],
      ];
      let n = 0;
      const jobs = batches.map((runs) => {
        const batch: NewJob[] = [];
        for (const [count, shared] of runs) {
          for (let k = 0; k < count; k++) batch.push({ ...shared, dataJson: String(n++) });
        }
        return batch;
      });
      const reference = new InMemoryBackend();
      const q = uniqueQueue("enq-same-but-data");
      const seen: unknown[][] = [];
      for (const engine of [b, reference]) {
        const stored: unknown[] = [];
        for (const batch of jobs) {
          const results = await engine.enqueue(q, batch);
          for (const r of results) {
            const { data, task, state, priority, ttl, runAt, backoff, removeOnComplete } = await mustGet(
              engine,
              q,
              r.id,
            );
            stored.push([r.state, r.duplicate], {
              data,
              task,
              state,
              priority,
              ttl,
              runAt,
              backoff,
              removeOnComplete,
            });
          }
        }
        const claimed = await engine.claim(q, { workerId: "w", limit: 5000, leaseMs: 60_000, now: T0 + 10 });
        stored.push(claimed.map((j) => j.data));
        seen.push(stored);
      }
      await reference.close();
      const [mine, theirs] = seen as [unknown[], unknown[]];
      expect(mine.at(-1)).toHaveLength(2118);
      expect(mine).toEqual(theirs);
    });

    it("is all or nothing: an unknown dependsOn id rejects the batch with ValidationError", async () => {
      const q = uniqueQueue("enq-atomic");
      const seen = recordEvents(q, cleanups);
      await expect(
        b.enqueue(q, [newJob({ id: "ok-one" }), newJob({ dependsOn: ["no-such-job"] }), newJob()]),
      ).rejects.toBeInstanceOf(ValidationError);
      expect(await b.getJob(q, "ok-one")).toBeNull();
      expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
      // Nothing was written, so the next generated id is still the first one.
      expect(await add(b, q)).toBe("1");
      await eventually(() => eventsOf(seen, "job:waiting").length === 1);
      expect(eventsOf(seen, "job:waiting", "ok-one")).toEqual([]);
    });

    it("checks a batch's parents before its duplicates: a duplicate with an unknown parent rejects the batch", async () => {
      // Found by the bad-input property test (ASYNCMQ_CHAOS_SEED=-1949146048): SQLite and Postgres
      // returned the dedup holder before looking at the parents; memory and Redis refused.
      const q = uniqueQueue("enq-dup-parent");
      const holder = await add(b, q, { id: "held", dedup: { key: "k" } });
      for (const dup of [{ dedup: { key: "k" } }, { id: "held" }]) {
        await expect(
          b.enqueue(q, [newJob({ id: "new-one" }), newJob({ ...dup, dependsOn: ["no-such-job"] })]),
        ).rejects.toThrow(/dependsOn: job "no-such-job" does not exist/);
      }
      expect(await b.getJob(q, "new-one")).toBeNull();
      expect((await b.getJobCounts(q)).waiting).toBe(1);
      expect(holder).toBe("held");
    });

    it("dedup without ttl returns the holder while it is unfinished, then points at the new job", async () => {
      const q = uniqueQueue("enq-dedup");
      const seen = recordEvents(q, cleanups);
      const first = await add(b, q, { dedup: { key: "k" } });
      const [dup] = await b.enqueue(q, [newJob({ dedup: { key: "k" }, createdAt: T0 + 100_000 })]);
      expect(dup).toEqual({ id: first, state: "waiting", duplicate: true });
      await eventually(() => eventsOf(seen, "job:duplicated", first).length === 1);
      await runTo(q, "completed");
      const second = await add(b, q, { dedup: { key: "k" }, createdAt: T0 + 200 });
      expect(second).not.toBe(first);
      const [third] = await b.enqueue(q, [newJob({ dedup: { key: "k" }, createdAt: T0 + 300 })]);
      expect(third).toEqual({ id: second, state: "waiting", duplicate: true });
      expect((await b.getJobCounts(q)).waiting).toBe(1);
    });

    it("dedup with ttl throttles by the time the key's job was added", async () => {
      const q = uniqueQueue("enq-dedup-ttl");
      const a = await add(b, q, { dedup: { key: "k", ttl: 1000 } });
      await runTo(q, "completed");
      const [within] = await b.enqueue(q, [newJob({ dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 999 })]);
      expect(within).toEqual({ id: a, state: "completed", duplicate: true });
      const c = await add(b, q, { dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 1000 });
      expect(c).not.toBe(a);
      const [afterC] = await b.enqueue(q, [newJob({ dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 1500 })]);
      expect(afterC).toMatchObject({ id: c, duplicate: true });
      const d = await add(b, q, { dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 2000 });
      expect(new Set([a, c, d]).size).toBe(3);
    });
  });
}
