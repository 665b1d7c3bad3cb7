/**
 * The backend conformance suite: one set of tests, written against the `Backend` interface only,
 * that every backend runs (see docs/backend-contract.md, which each test follows bullet by bullet).
 *
 * Rules that let one suite serve every engine: each test uses its own queue name (so a durable
 * backend may be shared across tests), passes `now` explicitly wherever the contract takes it (no
 * sleeping), and waits for events and wake-ups only through `eventually` (a backend may deliver
 * them synchronously or a moment later).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Backend, Finish, NewJob, RepeatableFire } from "../../src/backends/backend.js";
import { activeJobsBlockObliterate, stallLimitError } from "../../src/backends/shared/rules.js";
import { BackendError, ValidationError } from "../../src/errors.js";
import { events } from "../../src/events.js";
import { JOB_STATES, type JobState } from "../../src/job.js";
import { type Logger, setLogger } from "../../src/logger.js";
import {
  absentKeys,
  add,
  type Cleanup,
  claimById,
  claimOne,
  claimOpts,
  eventsOf,
  eventually,
  mustGet,
  newJob,
  rateLimitsOf,
  recordEvents,
  recordSubscription,
  recordWakes,
  repeatablesOf,
  T0,
  uniqueQueue,
  workersOf,
} from "./helpers.js";

/** How the suite obtains and disposes of backends. */
export interface ConformanceOptions {
  /**
   * Use one backend for the whole suite instead of a fresh one per test (for engines that are
   * costly to open). `makeBackend` must still return a new instance on every call: the close test
   * makes and closes its own.
   */
  shared?: boolean;
}

const ERR = { name: "Error", message: "boom" };
/** Silences the warnings that deliberately throwing listeners cause. */
const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Registers the conformance tests for one backend.
 * @param name shown in the test names
 * @param makeBackend returns a new, open backend on each call
 */
export function backendConformance(
  name: string,
  makeBackend: () => Promise<Backend> | Backend,
  options: ConformanceOptions = {},
): void {
  describe(`backend conformance: ${name}`, () => {
    let shared: Backend | undefined;
    let b: Backend;
    let cleanups: Cleanup[] = [];

    beforeAll(async () => {
      if (options.shared) shared = await makeBackend();
    });
    afterAll(async () => {
      await shared?.close();
    });
    beforeEach(async () => {
      b = shared ?? (await makeBackend());
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      cleanups = [];
      if (!shared) await b.close();
    });

    /** Claims `id`'s job (the only waiting one) and finishes it as `kind`. */
    async function runTo(queue: string, kind: "completed" | "failed", now = T0 + 20): Promise<string> {
      const job = await claimOne(b, queue, { now: now - 5 });
      const item: Finish =
        kind === "completed"
          ? { kind, jobId: job.id, token: job.token, resultJson: '"ok"' }
          : { kind, jobId: job.id, token: job.token, error: ERR };
      expect(await b.finish(queue, [item], now)).toEqual([true]);
      return job.id;
    }

    // -------------------------------------------------------------------------------------------
    describe("enqueue", () => {
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
        const [within] = await b.enqueue(q, [
          newJob({ dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 999 }),
        ]);
        expect(within).toEqual({ id: a, state: "completed", duplicate: true });
        const c = await add(b, q, { dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 1000 });
        expect(c).not.toBe(a);
        const [afterC] = await b.enqueue(q, [
          newJob({ dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 1500 }),
        ]);
        expect(afterC).toMatchObject({ id: c, duplicate: true });
        const d = await add(b, q, { dedup: { key: "k", ttl: 1000 }, createdAt: T0 + 2000 });
        expect(new Set([a, c, d]).size).toBe(3);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("claim", () => {
      it("takes waiting jobs by priority, then FIFO", async () => {
        const q = uniqueQueue("claim-order");
        const ids = (
          await b.enqueue(q, [
            newJob({ priority: 5 }),
            newJob({ priority: 1 }),
            newJob({ priority: 5 }),
            newJob({ priority: 3 }),
            newJob({ priority: 1 }),
            newJob({ priority: -2 }),
          ])
        ).map((r) => r.id);
        const claimed = await b.claim(q, claimOpts({ limit: 10 }));
        expect(claimed.map((j) => j.id)).toEqual([ids[5], ids[1], ids[4], ids[3], ids[0], ids[2]]);
      });

      it("claims at most `limit` jobs per call", async () => {
        const q = uniqueQueue("claim-limit");
        await b.enqueue(q, [newJob(), newJob(), newJob(), newJob(), newJob()]);
        expect((await b.claim(q, claimOpts({ limit: 2 }))).map((j) => j.id)).toEqual(["1", "2"]);
        expect((await b.claim(q, claimOpts({ limit: 10 }))).map((j) => j.id)).toEqual(["3", "4", "5"]);
        expect(await b.claim(q, claimOpts({ limit: 10 }))).toEqual([]);
      });

      it("makes the job active with attempts + 1, a fresh token and a lease; emits job:started", async () => {
        const q = uniqueQueue("claim-fields");
        const seen = recordEvents(q, cleanups);
        await b.enqueue(q, [newJob({ task: "t-s" }), newJob()]);
        const jobs = await b.claim(q, { workerId: "w-1", limit: 2, leaseMs: 700, now: T0 + 50 });
        expect(jobs).toHaveLength(2);
        const [job, other] = jobs;
        expect(job).toMatchObject({
          id: "1",
          state: "active",
          attempts: 1,
          startedAt: T0 + 50,
          workerId: "w-1",
          leaseExpiresAt: T0 + 750,
          data: { n: 1 },
        });
        expect(typeof job?.token).toBe("string");
        expect(job?.token.length).toBeGreaterThanOrEqual(8);
        expect(job?.token).not.toBe(other?.token);
        expect(await mustGet(b, q, "1")).toMatchObject({ state: "active", attempts: 1, workerId: "w-1" });
        await eventually(() => eventsOf(seen, "job:started").length === 2);
        expect(eventsOf(seen, "job:started", "1")[0]).toMatchObject({
          queue: q,
          jobId: "1",
          task: "t-s",
          attempts: 1,
          workerId: "w-1",
        });
        const counts = await b.getJobCounts(q);
        expect([counts.active, counts.waiting]).toEqual([2, 0]);
      });

      it("never claims delayed or waiting-children jobs", async () => {
        const q = uniqueQueue("claim-not-ready");
        await add(b, q, { id: "p", runAt: T0 + 10_000 });
        await add(b, q, { dependsOn: ["p"] });
        expect(await b.claim(q, claimOpts({ limit: 5, now: T0 + 20_000 }))).toEqual([]);
      });

      it("returns nothing while the queue is paused", async () => {
        const q = uniqueQueue("claim-paused");
        await add(b, q);
        await b.setPaused(q, true);
        expect(await b.claim(q, claimOpts())).toEqual([]);
        expect(await claimById(b, q, "1", { workerId: "w", leaseMs: 1000, now: T0 })).toBeNull();
        await b.setPaused(q, false);
        expect((await b.claim(q, claimOpts())).map((j) => j.id)).toEqual(["1"]);
      });

      it("expires a job whose ttl passed instead of returning it, and goes on to the next", async () => {
        const q = uniqueQueue("claim-ttl");
        const seen = recordEvents(q, cleanups);
        await b.enqueue(q, [newJob({ ttl: 100 }), newJob({ ttl: 101 }), newJob()]);
        const claimed = await b.claim(q, claimOpts({ limit: 1, now: T0 + 100 }));
        expect(claimed.map((j) => j.id)).toEqual(["2"]);
        expect(await mustGet(b, q, "1")).toMatchObject({
          state: "expired",
          finishedAt: T0 + 100,
          attempts: 0,
        });
        await eventually(() => eventsOf(seen, "job:expired", "1").length === 1);
        expect(eventsOf(seen, "job:expired", "1")[0]).toMatchObject({ queue: q, jobId: "1" });
        expect(eventsOf(seen, "job:started", "1")).toEqual([]);
      });

      it("claims one specific waiting job by id, else nothing", async () => {
        const q = uniqueQueue("claim-one");
        await b.enqueue(q, [newJob(), newJob(), newJob({ runAt: T0 + 1000 })]);
        const opts = { workerId: "w-2", leaseMs: 500, now: T0 + 10 };
        const job = await claimById(b, q, "2", opts);
        expect(job).toMatchObject({
          id: "2",
          state: "active",
          attempts: 1,
          workerId: "w-2",
          leaseExpiresAt: T0 + 510,
        });
        expect(typeof job?.token).toBe("string");
        expect(await claimById(b, q, "2", opts)).toBeNull();
        expect(await claimById(b, q, "3", opts)).toBeNull();
        expect(await claimById(b, q, "nope", opts)).toBeNull();
        expect((await b.claim(q, claimOpts({ limit: 5 }))).map((j) => j.id)).toEqual(["1"]);
      });

      it("a claim by id expires a job whose ttl passed and returns nothing", async () => {
        const q = uniqueQueue("claim-one-ttl");
        await add(b, q, { ttl: 50 });
        expect(await claimById(b, q, "1", { workerId: "w", leaseMs: 500, now: T0 + 50 })).toBeNull();
        expect((await mustGet(b, q, "1")).state).toBe("expired");
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("finish", () => {
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
          { kind: "completed", jobId: "missing", token: job.token, resultJson: "1" },
        ];
        expect(await b.finish(q, items, T0 + 50)).toEqual([false, false, false, false, false, false]);
        const rec = await mustGet(b, q, job.id);
        expect(rec).toMatchObject({ state: "active", attempts: 1, leaseExpiresAt: job.leaseExpiresAt });
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
        const seen = recordEvents(q, cleanups);
        const wakes = recordWakes(b, q, cleanups);
        await b.enqueue(q, [newJob(), newJob()]);
        const job = await claimOne(b, q);
        expect(job.id).toBe("1");
        wakes.length = 0;
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
    });

    // -------------------------------------------------------------------------------------------
    describe("retention", () => {
      it("removeOnComplete: true deletes the job at once, the event still fires", async () => {
        const q = uniqueQueue("ret-true");
        const seen = recordEvents(q, cleanups);
        const id = await add(b, q, { removeOnComplete: true });
        await b.addLog(q, id, "line");
        await runTo(q, "completed");
        expect(await b.getJob(q, id)).toBeNull();
        expect(await b.getLogs(q, id)).toEqual([]);
        expect((await b.getJobCounts(q)).completed).toBe(0);
        await eventually(() => eventsOf(seen, "job:completed", id).length === 1);
      });

      it("removeOnFail: true deletes failed and expired jobs at once", async () => {
        const q = uniqueQueue("ret-fail-true");
        const seen = recordEvents(q, cleanups);
        const failed = await add(b, q, { removeOnFail: true });
        await runTo(q, "failed");
        expect(await b.getJob(q, failed)).toBeNull();
        const expired = await add(b, q, { removeOnFail: true, ttl: 5 });
        expect(await b.claim(q, claimOpts({ now: T0 + 5 }))).toEqual([]);
        expect(await b.getJob(q, expired)).toBeNull();
        const counts = await b.getJobCounts(q);
        expect([counts.failed, counts.expired]).toEqual([0, 0]);
        await eventually(() => eventsOf(seen, "job:failed", failed).length === 1);
        await eventually(() => eventsOf(seen, "job:expired", expired).length === 1);
      });

      it("removeOnComplete: false and absent keep the job", async () => {
        const q = uniqueQueue("ret-false");
        const id = await add(b, q, { removeOnComplete: false });
        await runTo(q, "completed");
        expect((await mustGet(b, q, id)).state).toBe("completed");
      });

      it("{ count } keeps the N most recently finished jobs of that state", async () => {
        const q = uniqueQueue("ret-count");
        await b.enqueue(q, [
          newJob({ removeOnComplete: { count: 2 } }),
          newJob({ removeOnComplete: { count: 2 } }),
          newJob({ removeOnComplete: { count: 2 } }),
          newJob({ removeOnFail: { count: 1 } }),
          newJob({ removeOnFail: { count: 1 } }),
        ]);
        await runTo(q, "completed", T0 + 20);
        await runTo(q, "completed", T0 + 21);
        expect((await b.getJobCounts(q)).completed).toBe(2);
        await runTo(q, "completed", T0 + 22);
        expect(await b.getJob(q, "1")).toBeNull();
        expect((await mustGet(b, q, "2")).state).toBe("completed");
        expect((await mustGet(b, q, "3")).state).toBe("completed");
        await runTo(q, "failed", T0 + 23);
        await runTo(q, "failed", T0 + 24);
        expect(await b.getJob(q, "4")).toBeNull();
        expect((await mustGet(b, q, "5")).state).toBe("failed");
        const counts = await b.getJobCounts(q);
        expect([counts.completed, counts.failed]).toEqual([2, 1]);
      });

      it("{ age } sets a removal time that removeExpiredFinished honours", async () => {
        const q = uniqueQueue("ret-age");
        expect(await b.removeExpiredFinished(q, T0 + 100_000, 10)).toBe(0);
        await b.enqueue(q, [
          newJob({ removeOnComplete: { age: 1000 } }),
          newJob({ removeOnComplete: { age: 1000 } }),
          newJob({ removeOnFail: { age: 500 } }),
        ]);
        await runTo(q, "completed", T0 + 100);
        await runTo(q, "completed", T0 + 200);
        await runTo(q, "failed", T0 + 300);
        expect(await b.removeExpiredFinished(q, T0 + 799, 10)).toBe(0);
        expect(await b.removeExpiredFinished(q, T0 + 800, 10)).toBe(1);
        expect(await b.getJob(q, "3")).toBeNull();
        expect(await b.removeExpiredFinished(q, T0 + 1099, 10)).toBe(0);
        expect(await b.removeExpiredFinished(q, T0 + 5000, 1)).toBe(1);
        expect(await b.getJob(q, "1")).toBeNull();
        expect((await mustGet(b, q, "2")).state).toBe("completed");
        expect(await b.removeExpiredFinished(q, T0 + 5000, 1)).toBe(1);
        expect(await b.removeExpiredFinished(q, T0 + 100_000, 10)).toBe(0);
        expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
      });

      it("a job removed or retried before its age passes is not counted by removeExpiredFinished", async () => {
        const q = uniqueQueue("ret-age-stale");
        await b.enqueue(q, [newJob({ removeOnFail: { age: 100 } }), newJob({ removeOnFail: { age: 100 } })]);
        await runTo(q, "failed", T0 + 20);
        await runTo(q, "failed", T0 + 30);
        expect(await b.removeJob(q, "1")).toBe(true);
        expect(await b.retryJob(q, "2")).toBe(true);
        expect(await b.removeExpiredFinished(q, T0 + 10_000, 10)).toBe(0);
        expect((await mustGet(b, q, "2")).state).toBe("waiting");
      });

      it("count and age may be given together", async () => {
        const q = uniqueQueue("ret-both");
        const spec = { count: 1, age: 1000 };
        await b.enqueue(q, [newJob({ removeOnComplete: spec }), newJob({ removeOnComplete: spec })]);
        await runTo(q, "completed", T0 + 20);
        await runTo(q, "completed", T0 + 30);
        expect(await b.getJob(q, "1")).toBeNull();
        expect(await b.removeExpiredFinished(q, T0 + 1030, 10)).toBe(1);
        expect(await b.getJob(q, "2")).toBeNull();
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("dependsOn", () => {
      it("waits in waiting-children until every parent completed, then job:ready, waiting and a wake", async () => {
        const q = uniqueQueue("dep-ready");
        const seen = recordEvents(q, cleanups);
        const wakes = recordWakes(b, q, cleanups);
        await b.enqueue(q, [newJob({ id: "p1" }), newJob({ id: "p2" })]);
        const [child] = await b.enqueue(q, [newJob({ id: "c", dependsOn: ["p1", "p2"] })]);
        expect(child).toEqual({ id: "c", state: "waiting-children", duplicate: false });
        expect((await b.getJobCounts(q))["waiting-children"]).toBe(1);
        await runTo(q, "completed");
        expect((await mustGet(b, q, "c")).state).toBe("waiting-children");
        wakes.length = 0;
        await runTo(q, "completed");
        expect((await mustGet(b, q, "c")).state).toBe("waiting");
        await eventually(() => eventsOf(seen, "job:ready", "c").length === 1 && wakes.includes("job"));
        expect(eventsOf(seen, "job:ready", "c")[0]).toMatchObject({ queue: q, jobId: "c" });
        expect((await claimOne(b, q, { now: T0 + 40 })).id).toBe("c");
      });

      it("a ready child whose runAt is still ahead becomes delayed", async () => {
        const q = uniqueQueue("dep-delayed");
        await add(b, q, { id: "p" });
        await add(b, q, { id: "c", dependsOn: ["p"], runAt: T0 + 10_000 });
        expect((await mustGet(b, q, "c")).state).toBe("waiting-children");
        await runTo(q, "completed", T0 + 20);
        expect(await mustGet(b, q, "c")).toMatchObject({ state: "delayed", runAt: T0 + 10_000 });
        expect(await b.promoteDelayed(q, T0 + 10_000, 10)).toEqual({ promoted: 1, nextDueAt: null });
      });

      it("a failed parent fails its children with ParentFailedError, cascading", async () => {
        const q = uniqueQueue("dep-cascade");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "p" });
        await add(b, q, { id: "c", dependsOn: ["p"] });
        await add(b, q, { id: "g", dependsOn: ["c"] });
        await runTo(q, "failed", T0 + 50);
        expect(await mustGet(b, q, "c")).toMatchObject({
          state: "failed",
          finishedAt: T0 + 50,
          error: { name: "ParentFailedError", message: "parent job p failed" },
        });
        expect(await mustGet(b, q, "g")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job c failed" },
        });
        await eventually(() => eventsOf(seen, "job:failed").length === 3);
        expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["p", "c", "g"]);
        expect(await b.claim(q, claimOpts({ limit: 5, now: T0 + 60 }))).toEqual([]);
      });

      it("onParentFailure 'ignore' treats a failed parent as done", async () => {
        const q = uniqueQueue("dep-ignore");
        await add(b, q, { id: "p" });
        await add(b, q, { id: "c", dependsOn: ["p"], onParentFailure: "ignore" });
        await runTo(q, "failed");
        expect((await mustGet(b, q, "c")).state).toBe("waiting");
      });

      it("parents already finished at enqueue: completed counts as done; failed/expired/cancelled fail or are ignored", async () => {
        const q = uniqueQueue("dep-finished");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "done" });
        await runTo(q, "completed");
        await add(b, q, { id: "bad" });
        await runTo(q, "failed");
        await add(b, q, { id: "late", ttl: 1 });
        expect(await b.expireDue(q, T0 + 1, 10)).toBe(1);
        await add(b, q, { id: "gone" });
        expect(await b.cancelJob(q, "gone", T0 + 2)).toBe(true);

        const results = await b.enqueue(q, [
          newJob({ id: "c-done", dependsOn: ["done"] }),
          newJob({ id: "c-bad", dependsOn: ["done", "bad"] }),
          newJob({ id: "c-late", dependsOn: ["late"], onParentFailure: "fail" }),
          newJob({ id: "c-gone", dependsOn: ["gone"] }),
          newJob({ id: "c-ignore", dependsOn: ["bad", "late", "gone"], onParentFailure: "ignore" }),
        ]);
        expect(results.map((r) => r.state)).toEqual(["waiting", "failed", "failed", "failed", "waiting"]);
        expect((await mustGet(b, q, "c-bad")).error).toEqual({
          name: "ParentFailedError",
          message: "parent job bad failed",
        });
        expect((await mustGet(b, q, "c-late")).error?.message).toBe("parent job late expired");
        expect((await mustGet(b, q, "c-gone")).error?.message).toBe("parent job gone cancelled");
        await eventually(() => eventsOf(seen, "job:failed", "c-bad").length === 1);
        expect(eventsOf(seen, "job:waiting", "c-bad")).toEqual([]);
      });

      it("a parent that expires or is cancelled fails its waiting children", async () => {
        const q = uniqueQueue("dep-expire-cancel");
        await add(b, q, { id: "p1", ttl: 10 });
        await add(b, q, { id: "p2" });
        await add(b, q, { id: "c1", dependsOn: ["p1"] });
        await add(b, q, { id: "c2", dependsOn: ["p2"] });
        expect(await b.expireDue(q, T0 + 10, 10)).toBe(1);
        expect((await mustGet(b, q, "c1")).error?.message).toBe("parent job p1 expired");
        expect(await b.cancelJob(q, "p2", T0 + 11)).toBe(true);
        expect(await mustGet(b, q, "c2")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job p2 cancelled" },
        });
      });

      it("an unknown parent is a ValidationError", async () => {
        const q = uniqueQueue("dep-unknown");
        await add(b, q, { id: "real" });
        await expect(b.enqueue(q, [newJob({ dependsOn: ["real", "ghost"] })])).rejects.toBeInstanceOf(
          ValidationError,
        );
        expect((await b.getJobCounts(q)).waiting).toBe(1);
      });

      it("removeJob of an unfinished parent fails its 'fail' children and releases its 'ignore' children", async () => {
        const q = uniqueQueue("dep-remove");
        const seen = recordEvents(q, cleanups);
        const wakes = recordWakes(b, q, cleanups);
        await add(b, q, { id: "p" });
        await add(b, q, { id: "other" });
        await add(b, q, { id: "cf", dependsOn: ["p"] });
        await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
        await add(b, q, { id: "both", dependsOn: ["p", "other"], onParentFailure: "ignore" });
        wakes.length = 0;
        expect(await b.removeJob(q, "p")).toBe(true);
        expect(await b.getJob(q, "p")).toBeNull();
        expect(await mustGet(b, q, "cf")).toMatchObject({
          state: "failed",
          finishedAt: expect.any(Number),
          error: { name: "ParentFailedError", message: "parent job p removed" },
        });
        expect((await mustGet(b, q, "ci")).state).toBe("waiting");
        // A child with another unfinished parent still waits for that one.
        expect((await mustGet(b, q, "both")).state).toBe("waiting-children");
        await eventually(
          () =>
            eventsOf(seen, "job:failed", "cf").length === 1 &&
            eventsOf(seen, "job:ready", "ci").length === 1 &&
            wakes.includes("job"),
        );
        expect(eventsOf(seen, "job:failed", "cf")[0]).toMatchObject({
          queue: q,
          jobId: "cf",
          error: { name: "ParentFailedError", message: "parent job p removed" },
        });
        expect(eventsOf(seen, "job:ready", "both")).toEqual([]);
        expect(await b.getJobCounts(q)).toMatchObject({ waiting: 2, failed: 1, "waiting-children": 1 });
        await runTo(q, "completed", T0 + 30);
        expect((await mustGet(b, q, "both")).state).toBe("waiting");
        expect((await claimOne(b, q, { now: T0 + 40 })).id).toBe("ci");
      });

      it("removing an active parent cascades: grandchildren fail too, removeOnFail applies", async () => {
        const q = uniqueQueue("dep-remove-cascade");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "p" });
        await add(b, q, { id: "c", dependsOn: ["p"], removeOnFail: true });
        await add(b, q, { id: "g", dependsOn: ["c"] });
        await add(b, q, { id: "gi", dependsOn: ["c"], onParentFailure: "ignore" });
        const job = await claimOne(b, q);
        expect(job.id).toBe("p");
        expect(await b.removeJob(q, "p")).toBe(true);
        expect(await b.getJob(q, "c")).toBeNull();
        expect(await mustGet(b, q, "g")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job c failed" },
        });
        expect((await mustGet(b, q, "gi")).state).toBe("waiting");
        await eventually(() => eventsOf(seen, "job:failed").length === 2);
        expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["c", "g"]);
        expect(eventsOf(seen, "job:failed", "c")[0]?.error).toEqual({
          name: "ParentFailedError",
          message: "parent job p removed",
        });
        expect(
          await b.finish(q, [{ kind: "completed", jobId: "p", token: job.token, resultJson: "1" }], T0 + 20),
        ).toEqual([false]);
        expect(await b.getJobCounts(q)).toMatchObject({
          active: 0,
          waiting: 1,
          failed: 1,
          "waiting-children": 0,
        });
      });

      it("drain settles the children of the parents it removes; released children are not drained", async () => {
        const q = uniqueQueue("dep-drain");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "p" });
        await add(b, q, { id: "d", runAt: T0 + 5000 });
        await add(b, q, { id: "cf", dependsOn: ["p"] });
        await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
        await add(b, q, { id: "cd", dependsOn: ["d"] });
        expect(await b.drain(q, false)).toBe(1);
        expect(await b.getJob(q, "p")).toBeNull();
        expect(await mustGet(b, q, "cf")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job p removed" },
        });
        expect((await mustGet(b, q, "ci")).state).toBe("waiting");
        expect((await mustGet(b, q, "cd")).state).toBe("waiting-children");
        await eventually(
          () =>
            eventsOf(seen, "job:failed", "cf").length === 1 && eventsOf(seen, "job:ready", "ci").length === 1,
        );
        // The delayed parent goes when delayed jobs are drained too; the released child stays.
        expect(await b.drain(q, true)).toBe(2);
        expect(await b.getJob(q, "ci")).toBeNull();
        expect(await mustGet(b, q, "cd")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job d removed" },
        });
        expect(await b.getJobCounts(q)).toMatchObject({
          waiting: 0,
          delayed: 0,
          failed: 2,
          "waiting-children": 0,
        });
      });

      it("clean of an unfinished state settles the children of the jobs it removes", async () => {
        const q = uniqueQueue("dep-clean");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "old", createdAt: T0 - 1000, runAt: T0 + 10_000 });
        await add(b, q, { id: "new", createdAt: T0 + 1000, runAt: T0 + 10_000 });
        await add(b, q, { id: "c-old", dependsOn: ["old"] });
        // removeJob, drain and clean take no clock: a runAt decades ahead is ahead of theirs too.
        const far = T0 + 1e12;
        await add(b, q, { id: "ci-old", dependsOn: ["old"], onParentFailure: "ignore", runAt: far });
        await add(b, q, { id: "c-new", dependsOn: ["new"] });
        expect(await b.clean(q, "delayed", T0, 10)).toEqual(["old"]);
        expect(await mustGet(b, q, "c-old")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job old removed" },
        });
        // Released with its runAt still ahead: delayed.
        expect(await mustGet(b, q, "ci-old")).toMatchObject({ state: "delayed", runAt: far });
        expect((await mustGet(b, q, "c-new")).state).toBe("waiting-children");
        await eventually(
          () =>
            eventsOf(seen, "job:failed", "c-old").length === 1 &&
            eventsOf(seen, "job:ready", "ci-old").length === 1,
        );
        // Cleaning finished jobs settles nothing more.
        expect(await b.clean(q, "failed", Number.MAX_SAFE_INTEGER, 10)).toEqual(["c-old"]);
        expect((await mustGet(b, q, "c-new")).state).toBe("waiting-children");
      });

      it("a job removed with its parent in one call is not settled; its own children see it removed", async () => {
        const q = uniqueQueue("dep-clean-chain");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "r" });
        await add(b, q, { id: "p", dependsOn: ["r"], createdAt: T0 - 100 });
        await add(b, q, { id: "c", dependsOn: ["p"], createdAt: T0 - 50 });
        await add(b, q, { id: "g", dependsOn: ["c"], createdAt: T0 + 100 });
        expect(await b.clean(q, "waiting-children", T0, 10)).toEqual(["p", "c"]);
        expect(await mustGet(b, q, "g")).toMatchObject({
          state: "failed",
          error: { name: "ParentFailedError", message: "parent job c removed" },
        });
        await eventually(() => eventsOf(seen, "job:failed", "g").length === 1);
        expect(eventsOf(seen, "job:failed").map((p) => p.jobId)).toEqual(["g"]);
        expect(await b.getJobCounts(q)).toMatchObject({ waiting: 1, failed: 1, "waiting-children": 0 });
      });

      it("obliterate deletes parents and children alike and settles nothing", async () => {
        const q = uniqueQueue("dep-oblit");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "p" });
        await add(b, q, { id: "c", dependsOn: ["p"] });
        await add(b, q, { id: "ci", dependsOn: ["p"], onParentFailure: "ignore" });
        await b.obliterate(q, false);
        expect(Object.values(await b.getJobCounts(q)).every((n) => n === 0)).toBe(true);
        expect(await b.getJob(q, "c")).toBeNull();
        expect(eventsOf(seen, "job:failed")).toEqual([]);
        expect(eventsOf(seen, "job:ready")).toEqual([]);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("leases, progress and logs", () => {
      it("extendLeases renews held leases and returns the ids it lost", async () => {
        const q = uniqueQueue("lease-extend");
        await b.enqueue(q, [newJob(), newJob(), newJob(), newJob()]);
        const jobs = await b.claim(q, claimOpts({ limit: 4, now: T0, leaseMs: 100 }));
        const [held, cancelled, removed, wrong] = jobs;
        if (!held || !cancelled || !removed || !wrong) throw new Error("expected four jobs");
        await b.cancelJob(q, cancelled.id, T0 + 1);
        await b.removeJob(q, removed.id);
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
        await b.removeJob(q, "1");
        expect(await b.getLogs(q, "1")).toEqual([]);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("maintenance", () => {
      it("recoverStalled returns jobs whose lease expired to waiting (attempts - 1, job:stalled, wake)", async () => {
        const q = uniqueQueue("stall-back");
        const seen = recordEvents(q, cleanups);
        const wakes = recordWakes(b, q, cleanups);
        await b.enqueue(q, [newJob(), newJob()]);
        const [a, c] = await b.claim(q, claimOpts({ limit: 2, now: T0, leaseMs: 100 }));
        if (!a || !c) throw new Error("expected two jobs");
        await b.extendLeases(q, [{ jobId: c.id, token: c.token }], 100, T0 + 50);
        wakes.length = 0;
        // Strictly before `now`: a lease expiring exactly now is still held.
        expect(await b.recoverStalled(q, T0 + 100, 1)).toEqual({ stalled: [], failed: [] });
        expect(await b.recoverStalled(q, T0 + 101, 1)).toEqual({ stalled: [a.id], failed: [] });
        const rec = await mustGet(b, q, a.id);
        expect(rec).toMatchObject({ state: "waiting", stalledCount: 1, attempts: 0 });
        expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
        expect((await mustGet(b, q, c.id)).state).toBe("active");
        await eventually(() => eventsOf(seen, "job:stalled", a.id).length === 1 && wakes.includes("job"));
        expect(eventsOf(seen, "job:stalled", a.id)[0]).toMatchObject({ queue: q, jobId: a.id });
        expect(await claimOne(b, q, { now: T0 + 200 })).toMatchObject({
          id: a.id,
          attempts: 1,
          stalledCount: 1,
        });
      });

      it("recoverStalled fails a job past maxStalledCount with JobStalledError", async () => {
        const q = uniqueQueue("stall-fail");
        const seen = recordEvents(q, cleanups);
        await add(b, q);
        await claimOne(b, q, { now: T0, leaseMs: 10 });
        expect((await b.recoverStalled(q, T0 + 11, 1)).stalled).toEqual(["1"]);
        await claimOne(b, q, { now: T0 + 20, leaseMs: 10 });
        expect(await b.recoverStalled(q, T0 + 31, 1)).toEqual({ stalled: [], failed: ["1"] });
        const rec = await mustGet(b, q, "1");
        expect(rec).toMatchObject({ state: "failed", stalledCount: 2, finishedAt: T0 + 31 });
        // One wording on every engine: the rule's text, stalled twice against a limit of 1.
        expect(rec.error).toEqual(stallLimitError("1", 2, 1));
        expect(absentKeys(rec, ["workerId", "leaseExpiresAt"])).toEqual([]);
        await eventually(() => eventsOf(seen, "job:failed", "1").length === 1);
        expect(eventsOf(seen, "job:failed", "1")[0]?.error?.name).toBe("JobStalledError");

        const q0 = uniqueQueue("stall-zero");
        await add(b, q0);
        await claimOne(b, q0, { now: T0, leaseMs: 10 });
        expect(await b.recoverStalled(q0, T0 + 11, 0)).toEqual({ stalled: [], failed: ["1"] });
      });

      it("recoverStalled applies dependants and removeOnFail to a stalled-out job", async () => {
        const q = uniqueQueue("stall-deps");
        await add(b, q, { id: "p", removeOnFail: true });
        await add(b, q, { id: "c", dependsOn: ["p"] });
        await claimOne(b, q, { now: T0, leaseMs: 10 });
        expect((await b.recoverStalled(q, T0 + 11, 0)).failed).toEqual(["p"]);
        expect(await b.getJob(q, "p")).toBeNull();
        expect((await mustGet(b, q, "c")).error?.message).toBe("parent job p failed");
      });

      it("promoteDelayed moves due jobs to waiting by runAt, within limit, and reports nextDueAt", async () => {
        const q = uniqueQueue("promote");
        const seen = recordEvents(q, cleanups);
        const wakes = recordWakes(b, q, cleanups);
        expect(await b.promoteDelayed(q, T0, 10)).toEqual({ promoted: 0, nextDueAt: null });
        await b.enqueue(q, [
          newJob({ runAt: T0 + 300 }),
          newJob({ runAt: T0 + 100 }),
          newJob({ runAt: T0 + 200 }),
          newJob({ runAt: T0 + 1000 }),
        ]);
        expect(await b.promoteDelayed(q, T0 + 50, 10)).toEqual({ promoted: 0, nextDueAt: T0 + 100 });
        wakes.length = 0;
        expect(await b.promoteDelayed(q, T0 + 300, 1)).toEqual({ promoted: 1, nextDueAt: T0 + 200 });
        expect(await b.promoteDelayed(q, T0 + 300, 10)).toEqual({ promoted: 2, nextDueAt: T0 + 1000 });
        await eventually(() => eventsOf(seen, "job:waiting").length === 3 && wakes.includes("job"));
        expect(eventsOf(seen, "job:waiting").map((p) => p.jobId)).toEqual(["2", "3", "1"]);
        expect((await b.claim(q, claimOpts({ limit: 10, now: T0 + 301 }))).map((j) => j.id)).toEqual([
          "2",
          "3",
          "1",
        ]);
        expect((await b.getJobCounts(q)).delayed).toBe(1);
      });

      it("expireDue expires unstarted jobs (waiting, delayed, waiting-children) whose ttl passed", async () => {
        const q = uniqueQueue("expire-due");
        const seen = recordEvents(q, cleanups);
        await add(b, q, { id: "act", ttl: 100 });
        await claimOne(b, q, { now: T0 + 10 });
        await add(b, q, { id: "wait", ttl: 100 });
        await add(b, q, { id: "del", ttl: 100, runAt: T0 + 50_000 });
        await add(b, q, { id: "par" });
        await add(b, q, { id: "kid", ttl: 100, dependsOn: ["par"] });
        await add(b, q, { id: "forever" });
        await add(b, q, { id: "longer", ttl: 5000 });
        expect(await b.expireDue(q, T0 + 99, 10)).toBe(0);
        expect(await b.expireDue(q, T0 + 100, 10)).toBe(3);
        for (const id of ["wait", "del", "kid"]) {
          expect(await mustGet(b, q, id)).toMatchObject({ state: "expired", finishedAt: T0 + 100 });
        }
        for (const [id, state] of [
          ["act", "active"],
          ["par", "waiting"],
          ["forever", "waiting"],
          ["longer", "waiting"],
        ]) {
          expect((await mustGet(b, q, id as string)).state).toBe(state);
        }
        await eventually(() => eventsOf(seen, "job:expired").length === 3);
      });

      it("expireDue honours its limit", async () => {
        const q = uniqueQueue("expire-limit");
        await b.enqueue(q, [newJob({ ttl: 10 }), newJob({ ttl: 10 }), newJob({ ttl: 10 })]);
        expect(await b.expireDue(q, T0 + 10, 2)).toBe(2);
        expect(await b.expireDue(q, T0 + 10, 2)).toBe(1);
        expect(await b.expireDue(q, T0 + 10, 2)).toBe(0);
        expect((await b.getJobCounts(q)).expired).toBe(3);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("repeatables", () => {
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
          { id: "r1", def: { task: "tock", every: 5 }, nextRun: T0 + 5000, paused: true },
          info("r2", T0 + 2000),
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
        expect(await repeatablesOf(b).lastSlot(q, "r")).toBeNull();
        const id = await repeatablesOf(b).fire(q, fire("r", T0));
        expect(typeof id).toBe("string");
        expect(await mustGet(b, q, id as string)).toMatchObject({ task: "tick", state: "waiting" });
        expect(await repeatablesOf(b).lastSlot(q, "r")).toBe(T0);
        expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0 + 1000);
        await eventually(() => eventsOf(seen, "job:waiting", id as string).length === 1);
        expect(await repeatablesOf(b).fire(q, fire("r", T0))).toBeNull();
        expect(await repeatablesOf(b).fire(q, fire("r", T0 - 1000))).toBeNull();
        expect((await b.getJobCounts(q)).waiting).toBe(1);
        expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0 + 1000);
        const next = await repeatablesOf(b).fire(q, fire("r", T0 + 1000));
        expect(next).not.toBeNull();
        expect(next).not.toBe(id);
        expect(await repeatablesOf(b).lastSlot(q, "r")).toBe(T0 + 1000);
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
        expect(await repeatablesOf(b).lastSlot(q, "r")).toBeNull();
        expect((await b.getJobCounts(q)).waiting).toBe(0);
        expect((await repeatablesOf(b).list(q))[0]?.nextRun).toBe(T0);
        await repeatablesOf(b).setPaused(q, "r", false);
        expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
      });

      it("removeRepeatable forgets the last slot too", async () => {
        const q = uniqueQueue("rep-remove");
        await repeatablesOf(b).upsert(q, info("r", T0));
        expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
        expect(await repeatablesOf(b).remove(q, "r")).toBe(true);
        expect(await repeatablesOf(b).lastSlot(q, "r")).toBeNull();
        expect(await repeatablesOf(b).list(q)).toEqual([]);
        expect(await repeatablesOf(b).fire(q, fire("r", T0))).not.toBeNull();
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("takeRateToken", () => {
      it("is a bucket of `rate` tokens that starts full and refills continuously", async () => {
        const q = uniqueQueue("rate");
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(0);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(0);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(500);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 250)).toBe(250);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 500)).toBe(0);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 500)).toBe(500);
        // Refill is capped at `rate`: after a long pause only two tokens are there.
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000)).toBe(0);
        expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000)).toBe(0);
        const wait = await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000);
        expect(wait).toBe(500);
        // Buckets are per queue.
        expect(await rateLimitsOf(b).take(uniqueQueue("rate-other"), 2, 1000, T0 + 60_000)).toBe(0);
      });

      it("rate 0 always returns intervalMs", async () => {
        const q = uniqueQueue("rate-zero");
        expect(await rateLimitsOf(b).take(q, 0, 750, T0)).toBe(750);
        expect(await rateLimitsOf(b).take(q, 0, 750, T0 + 10_000)).toBe(750);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("admin", () => {
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
        expect(await b.extendLeases(q, [{ jobId: job.id, token: job.token }], 100, T0 + 40)).toEqual([
          job.id,
        ]);
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

      it("retryJob returns false for jobs that are not dead", async () => {
        const q = uniqueQueue("retry-false");
        await b.enqueue(q, [newJob({ id: "done" }), newJob({ id: "act" }), newJob({ id: "wait" })]);
        await runTo(q, "completed");
        await claimOne(b, q);
        for (const id of ["done", "act", "wait", "nope"]) expect(await b.retryJob(q, id)).toBe(false);
        expect((await mustGet(b, q, "done")).state).toBe("completed");
        expect((await mustGet(b, q, "act")).attempts).toBe(1);
      });

      it("removeJob deletes a job in any state, fences its worker and frees its dedup key", async () => {
        const q = uniqueQueue("remove");
        await add(b, q, { id: "a", dedup: { key: "k" } });
        await add(b, q, { id: "w" });
        const job = await claimOne(b, q);
        expect(job.id).toBe("a");
        expect(await b.removeJob(q, "a")).toBe(true);
        expect(await b.getJob(q, "a")).toBeNull();
        expect(
          await b.finish(q, [{ kind: "completed", jobId: "a", token: job.token, resultJson: "1" }], T0 + 20),
        ).toEqual([false]);
        expect(await b.getJob(q, "a")).toBeNull();
        expect(await b.removeJob(q, "a")).toBe(false);
        const [fresh] = await b.enqueue(q, [newJob({ dedup: { key: "k" } })]);
        expect(fresh?.duplicate).toBe(false);
        expect(await b.removeJob(q, "w")).toBe(true);
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
        expect(await b.drain(q, false)).toBe(2);
        expect(await b.getJobCounts(q)).toMatchObject({ waiting: 0, delayed: 2, active: 1 });
        // The delayed jobs that stayed still come due.
        expect(await b.promoteDelayed(q, T0 + 100, 10)).toEqual({ promoted: 1, nextDueAt: T0 + 5000 });
        expect(await b.drain(q, true)).toBe(2);
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
        expect(await b.clean(q, "completed", T0 + 250, 1)).toHaveLength(1);
        expect((await b.clean(q, "completed", T0 + 250, 10)).length).toBe(1);
        expect(
          (await b.getJobs(q, ["completed"], { start: 0, end: -1, asc: true })).map((j) => j.id),
        ).toEqual(["3"]);
        await add(b, q, { id: "old", createdAt: T0 - 1000 });
        await add(b, q, { id: "new", createdAt: T0 + 1000 });
        expect(await b.clean(q, "waiting", T0, 10)).toEqual(["old"]);
        await claimOne(b, q);
        expect(await b.clean(q, "active", Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
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
          await b.finish(
            q,
            [{ kind: "completed", jobId: job.id, token: job.token, resultJson: "1" }],
            T0 + 20,
          ),
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
        expect(await repeatablesOf(b).lastSlot(q, "mem")).toBeNull();
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
        await b.removeJob(withJob, "1");
        await b.setPaused(paused, false);
        await repeatablesOf(b).remove(withRep, "r");
        expect((await b.listQueues()).filter((name) => name.startsWith(base))).toEqual([]);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("workers", () => {
      it("heartbeatWorker upserts; listWorkers returns those whose heartbeat is within their ttl", async () => {
        const id = uniqueQueue("worker");
        const info = {
          id,
          queues: ["a", "b"],
          host: "h",
          pid: 42,
          concurrency: 3,
          startedAt: T0,
          heartbeatAt: T0,
          active: 0,
        };
        const mine = async (now: number) => (await workersOf(b).list(now)).filter((w) => w.id.startsWith(id));
        await workersOf(b).heartbeat(info, 1000);
        expect(await mine(T0 + 999)).toEqual([info]);
        expect(await mine(T0 + 1000)).toEqual([]);
        await workersOf(b).heartbeat({ ...info, heartbeatAt: T0 + 1500, active: 2 }, 1000);
        expect(await mine(T0 + 2000)).toEqual([{ ...info, heartbeatAt: T0 + 1500, active: 2 }]);
        await workersOf(b).heartbeat({ ...info, id: `${id}-2`, heartbeatAt: T0 + 1500 }, 5000);
        expect((await mine(T0 + 2000)).map((w) => w.id).sort()).toEqual([id, `${id}-2`]);
        await workersOf(b).remove(id);
        expect((await mine(T0 + 2000)).map((w) => w.id)).toEqual([`${id}-2`]);
        expect((await mine(T0 + 6499)).map((w) => w.id)).toEqual([`${id}-2`]);
        expect(await mine(T0 + 6500)).toEqual([]);
      });
    });

    // -------------------------------------------------------------------------------------------
    describe("notifications", () => {
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
        await b.finish(
          q,
          [{ kind: "completed", jobId: job.id, token: job.token, resultJson: '"r"' }],
          T0 + 30,
        );
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

    // -------------------------------------------------------------------------------------------
    describe("close", () => {
      it("is idempotent, and afterwards methods reject with BackendError", async () => {
        const own = await makeBackend();
        const q = uniqueQueue("close");
        await own.enqueue(q, [newJob()]);
        await own.close();
        await own.close();
        await expect(own.getJobCounts(q)).rejects.toBeInstanceOf(BackendError);
        await expect(own.enqueue(q, [newJob()])).rejects.toThrow(/closed/);
        await expect(own.claim(q, claimOpts())).rejects.toBeInstanceOf(BackendError);
      });
    });

    describe("capabilities", () => {
      it("report each optional store exactly when the backend has it", () => {
        const c = b.capabilities;
        expect(c.repeatables).toBe(b.repeatables !== undefined);
        expect(c.rateLimits).toBe(b.rateLimits !== undefined);
        expect(c.workers).toBe(b.workers !== undefined);
        expect(typeof c.durable).toBe("boolean");
        expect(typeof c.multiProcess).toBe("boolean");
      });
    });
  });
}
