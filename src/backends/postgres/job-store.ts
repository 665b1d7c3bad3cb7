/**
 * The job transitions of the PostgreSQL engine. The hot paths are ONE statement each: claim (`FOR
 * UPDATE SKIP LOCKED` over a partial index), finish of a whole batch (finish.ts), plain bulk
 * enqueue (enqueue.ts), promote (a promoter that finds another at work waits for it in a
 * transaction), extend, progress; each publishes to other processes inside itself
 * (a `publish()` call in the SQL, with this engine's origin). The rarer transitions that fan out
 * (dependants, retention, ttl expiry, recovery, admin) run as one transaction (tx.ts). Each
 * returns its effects; events are built here only when this process listens (`wantsEvents`).
 * SQL lives in `./sql/*.sql`, one file per transition. Times come from the caller, never the database.
 */
import { randomUUID } from "node:crypto";
import { type ClaimedJob, JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import type {
  ClaimOptions,
  DependencyResults,
  EnqueueCallOptions,
  EnqueueResult,
  Finish,
  FinishAndClaim,
  NewJob,
  StallSweep,
} from "../backend.js";
import type { Applied, EngineContext, JobStore } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { finishWhileClaiming } from "../shared/finish-and-claim.js";
import {
  activeJobsBlockObliterate,
  checkGlobalConcurrency,
  claimPeers,
  dependencyEntry,
  FINISHED,
  keptOutcomes,
  limitOrNull,
  pageOf,
  zeroCounts,
} from "../shared/rules.js";
import { toRecord } from "../shared/sql-rows.js";
import type { Connection, Query } from "./connection.js";
import { enqueue } from "./enqueue.js";
import { finish } from "./finish.js";
import { type ClaimedRow, type ClaimLease, type JobRow, type Removable, toClaimed } from "./rows.js";
import { inTransaction, type Tx, type TxRunner } from "./tx.js";
import type { JobsVacuum } from "./vacuum.js";

/**
 * A claim statement row: the job columns (NULL when nothing was claimed), the ttl-expired seqs, and
 * whether the queue has a global concurrency (NULL when the statement did not look).
 */
type ClaimRow = { [K in keyof ClaimedRow]: ClaimedRow[K] | null } & {
  expired: Array<number | string> | null;
  limited: boolean | null;
};

/** The jobs of one schema. */
export class PostgresJobs implements JobStore, TxRunner {
  /** Queues whose last claim found a global concurrency: their claims take the gated path at once. */
  readonly #limited = new Set<string>();

  constructor(
    readonly db: Connection,
    readonly ctx: EngineContext,
    /** This engine's id in notifications, so that its notifier skips its own. */
    readonly origin: string,
    /** Told how many rows each claim and finish wrote. */
    private readonly vacuum: JobsVacuum,
  ) {}

  #tx<T>(queue: string, fn: (tx: Tx) => Promise<T>): Promise<Applied<T>> {
    return inTransaction(this, queue, fn);
  }

  // -- producer and worker ----------------------------------------------------------------------

  enqueue(queue: string, jobs: NewJob[], options?: EnqueueCallOptions): Promise<Applied<EnqueueResult[]>> {
    return enqueue(this, queue, jobs, options);
  }

  async claim(queue: string, options: ClaimOptions): Promise<Applied<ClaimedJob[]>> {
    await this.db.open();
    if (options.limit < 1) return { value: [] };
    const { now } = options;
    const signals = new EffectsCollector(this.ctx.wantsEvents(queue));
    const claimed: ClaimedJob[] = [];
    const limit = options.jobId === undefined ? options.limit : 1;
    for (;;) {
      // A token base per call, not a random UUID per job on the server (~1.2 us a row there).
      const lease: ClaimLease = {
        queue,
        startedAt: now,
        workerId: options.workerId,
        leaseExpiresAt: now + options.leaseMs,
        tokenBase: `${randomUUID()}.`,
      };
      const rows = await this.#claimRows(
        queue,
        [
          queue,
          limit - claimed.length,
          now,
          options.workerId,
          lease.leaseExpiresAt,
          this.origin,
          options.jobId ?? null,
          claimPeers(options),
        ],
        lease.tokenBase,
      );
      for (const row of rows) {
        if (row.seq === null) continue;
        const job = toClaimed(row as ClaimedRow, lease);
        claimed.push(job);
        if (signals.wantEvents) {
          const { id: jobId, task, attempts, workerId } = job;
          signals.emit("job:started", { queue, jobId, task, attempts, workerId });
        }
      }
      // Candidates whose ttl passed: expire them (dependants, retention), then look further.
      const expired = rows[0]?.expired?.map(Number) ?? [];
      if (expired.length > 0) {
        const s = this.db.s;
        const { effects } = await this.#tx(queue, async (tx) =>
          tx.expireUnstarted(await tx.q<JobRow>(s.expirable, [queue, expired, now]), now),
        );
        signals.add(effects);
      }
      if (expired.length === 0 || claimed.length >= limit) {
        this.vacuum.changed(claimed.length);
        return { value: claimed, effects: signals.take() };
      }
    }
  }

  /**
   * Runs the claim statement: on the fast path, or gated for a queue with a global concurrency
   * (claim.sql says why). A fast claim that finds a limit (it then claims nothing) runs again gated,
   * and the queue's next claims go gated at once until one finds the limit removed.
   */
  async #claimRows(queue: string, values: unknown[], tokenBase: string): Promise<ClaimRow[]> {
    const gated = this.#limited.has(queue);
    const rows = await this.db.hot<ClaimRow>("claim", [...values, gated, tokenBase]);
    const limited = rows[0]?.limited;
    if (gated && limited === false) this.#limited.delete(queue);
    if (gated || limited !== true) return rows;
    this.#limited.add(queue);
    return this.#claimRows(queue, values, tokenBase);
  }

  finish(queue: string, items: Finish[], now: number): Promise<Applied<boolean[]>> {
    this.vacuum.changed(items.length);
    return finish(this, queue, items, now);
  }

  /**
   * A worker's start: the claim and finish statements prepared, with arguments that touch no row, on
   * the hot pool's connections, and the bulk enqueue (rolled back) on the others (Connection.warmUp),
   * also on each connection opened afterwards. A fresh connection costs ~20 ms to open and its
   * first statement of each kind another ~5-20 (catalog loading, planning): the first jobs of a
   * worker paid that, once per connection its claims, finishes and adds reached (the p99 of an idle
   * worker's enqueue-to-start: a worker's start opens several connections, and an add on one not
   * readied took 15-19 ms).
   */
  async warmUp(): Promise<void> {
    await this.db.open();
    const { s } = this.db;
    const none: unknown[] = [];
    const hot = async (q: Query) => {
      const now = Date.now();
      await q(s.claim, ["", 0, now, "", now, this.origin, null, 1, false, ""]);
      await q(s.finishBatch, ["", now, none, none, none, none, none, this.origin, false, false]);
    };
    // Jobs added by handlers and producers. It writes (the queues row), so it is rolled back, also
    // when it fails (onConnect hands the connection out next); a prepared statement outlives the
    // rollback.
    const main = async (q: Query) => {
      await q({ text: "BEGIN" }, none);
      try {
        await q(s.enqueuePlain, ["", 0, ...Array<unknown[]>(13).fill(none), this.origin, none]);
      } finally {
        await q({ text: "ROLLBACK" }, none);
      }
    };
    await this.db.warmUp(hot, main);
  }

  /**
   * The finish and the claim on two connections at once: the claim takes waiting rows, the finish
   * writes active ones, so neither waits for the other's round trip and commit. A queue with a
   * global concurrency claims after the finish, whose freed slots its count must see.
   */
  finishAndClaim(
    queue: string,
    items: Finish[],
    now: number,
    claim: ClaimOptions,
  ): Promise<Applied<FinishAndClaim>> {
    return finishWhileClaiming(this, queue, items, now, claim, this.#limited.has(queue));
  }

  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    const rows = await this.db.one<{ id: string }>("extendLeases", [
      queue,
      now + leaseMs,
      leases.map((l) => l.jobId),
      leases.map((l) => l.token),
    ]);
    const held = new Set(rows.map((r) => r.id));
    return leases.filter((l) => !held.has(l.jobId)).map((l) => l.jobId);
  }

  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<Applied<boolean>> {
    const json = JSON.stringify(progress);
    const [row] = await this.db.one<{ task: string }>("progress", [queue, jobId, token, json, this.origin]);
    if (!row) return { value: false };
    if (!this.ctx.wantsEvents(queue)) return { value: true };
    // The event carries a copy: the caller may mutate its object afterwards.
    const payload = { queue, jobId, task: row.task, progress: JSON.parse(json) };
    return { value: true, effects: { events: [{ name: "job:progress", payload }] } };
  }

  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    await this.db.one("addLog", [queue, jobId, message]);
  }

  async getLogs(queue: string, jobId: string, range?: { start: number; end: number }): Promise<string[]> {
    const page = range === undefined ? { offset: 0, limit: null } : pageOf(range);
    if (page === null) return [];
    const rows = await this.db.one<{ message: string }>("getLogs", [queue, jobId, page.limit, page.offset]);
    return rows.map((r) => r.message);
  }

  // -- maintenance ------------------------------------------------------------------------------

  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<Applied<{ promoted: number; nextDueAt: number | null }>> {
    const { promoted, nextDueAt, effects } = await this.#promote(queue, now, now, limit);
    return { value: { promoted, nextDueAt }, effects };
  }

  /** promoteDelayed and promoteJobs: delayed jobs with `runAt <= until`, see promote-delayed.sql. */
  async #promote(queue: string, until: number, now: number, limit: number) {
    type Row = { turn: boolean; next_due: number | null; id: string | null; task: string };
    const values = [queue, now, limitOrNull(limit), this.origin, until];
    let rows = await this.db.one<Row>("promoteDelayed", values);
    if (rows[0]?.turn === false) {
      // Another promoter of the queue is at work: wait for its commit, then promote what is left.
      const s = this.db.s;
      rows = await this.db.transaction(async (q) => {
        await q(s.promoteTurn, [queue]);
        return q<Row>(s.promoteDelayed, values);
      });
    }
    const moved = rows.filter((r) => r.id !== null);
    const signals = new EffectsCollector(this.ctx.wantsEvents(queue));
    for (const r of moved) signals.emit("job:waiting", { queue, jobId: r.id as string, task: r.task });
    if (moved.length > 0) signals.wake("job");
    return { promoted: moved.length, nextDueAt: rows[0]?.next_due ?? null, effects: signals.take() };
  }

  async recoverStalled(queue: string, now: number, maxStalledCount: number): Promise<Applied<StallSweep>> {
    // One statement when no lease has lapsed (the usual case), as #anyDue for the other sweeps.
    const next = (await this.db.one<{ at: number | null }>("nextLeaseExpiry", [queue]))[0]?.at ?? null;
    if (next === null || next >= now) return { value: { stalled: [], failed: [], nextLeaseExpiry: next } };
    return this.#tx(queue, (tx) => tx.recoverStalled(now, maxStalledCount));
  }

  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    if (!(await this.#anyDue("dueRemovals", [queue, now, 1]))) return 0;
    const { value } = await this.#tx(queue, async (tx) => {
      const rows = await tx.q<{ seq: number }>(this.db.s.dueRemovals, [queue, now, limitOrNull(limit)]);
      await tx.deleteSeqs(rows.map((r) => r.seq));
      return rows.length;
    });
    return value;
  }

  async expireDue(queue: string, now: number, limit: number): Promise<Applied<number>> {
    if (!(await this.#anyDue("dueExpiries", [queue, now, 1]))) return { value: 0 };
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<JobRow>(this.db.s.dueExpiries, [queue, now, limitOrNull(limit)]);
      await tx.expireUnstarted(rows, now);
      return rows.length;
    });
  }

  /**
   * Whether a sweep's statement finds any row now, by itself: a sweep with nothing to do (the usual
   * case) costs this one statement instead of BEGIN, the statement and COMMIT. Its row locks (FOR
   * UPDATE) end with it; the sweep's own transaction reads and locks again.
   */
  async #anyDue(name: "dueRemovals" | "dueExpiries", values: unknown[]): Promise<boolean> {
    return (await this.db.one(name, values)).length > 0;
  }

  // -- admin ------------------------------------------------------------------------------------

  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const [row] = await this.db.one<JobRow>("jobGet", [queue, jobId]);
    return row ? toRecord(row) : null;
  }

  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    await this.db.open();
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const wanted = states.length === 0 ? JOB_STATES : JOB_STATES.filter((state) => states.includes(state));
    const rows = await this.db.one<JobRow>(range.asc ? "jobsAsc" : "jobsDesc", [
      queue,
      wanted,
      limit === null ? null : offset + limit,
      limit,
      offset,
    ]);
    return rows.map(toRecord);
  }

  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const counts = zeroCounts();
    for (const row of await this.db.one<{ state: JobState; n: number }>("countByState", [queue])) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  cancelJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#tx(queue, (tx) => tx.cancel(jobId, now));
  }

  async retryJob(queue: string, jobId: string): Promise<Applied<boolean>> {
    const { value, effects } = await this.#waiting(queue, "retryJob", [queue, jobId]);
    return { value: value > 0, effects };
  }

  async retryJobs(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
  ): Promise<Applied<number>> {
    if (!FINISHED.has(state) || limit <= 0) return { value: 0 };
    return this.#waiting(queue, "retryJobs", [queue, state, olderThan, limit]);
  }

  /** Runs a statement that moves jobs to waiting, returning their id and task: job:waiting each, wake. */
  #waiting(queue: string, name: "retryJob" | "retryJobs", values: unknown[]): Promise<Applied<number>> {
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<{ id: string; task: string }>(this.db.s[name], values);
      for (const { id, task } of rows) tx.emit("job:waiting", { queue, jobId: id, task });
      if (rows.length > 0) tx.wake("job");
      return rows.length;
    });
  }

  promoteJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#tx(queue, async (tx) => {
      const [row] = await tx.q<{ task: string }>(this.db.s.promoteJob, [queue, jobId, now]);
      if (!row) return false;
      tx.emit("job:waiting", { queue, jobId, task: row.task });
      tx.wake("job");
      return true;
    });
  }

  async promoteJobs(queue: string, limit: number, now: number): Promise<Applied<number>> {
    const { promoted, effects } = await this.#promote(queue, Number.MAX_SAFE_INTEGER, now, limit);
    return { value: promoted, effects };
  }

  async updateData(queue: string, jobId: string, dataJson: string): Promise<boolean> {
    return (await this.db.one("updateData", [queue, jobId, dataJson])).length > 0;
  }

  async changePriority(queue: string, jobId: string, priority: number): Promise<boolean> {
    return (await this.db.one("changePriority", [queue, jobId, priority])).length > 0;
  }

  changeDelay(queue: string, jobId: string, runAt: number): Promise<Applied<boolean>> {
    return this.#tx(queue, async (tx) => {
      const [row] = await tx.q<{ task: string }>(this.db.s.changeDelay, [queue, jobId, runAt]);
      if (!row) return false;
      tx.emit("job:delayed", { queue, jobId, task: row.task, runAt });
      tx.wake("delayed");
      return true;
    });
  }

  async getDependants(queue: string, jobId: string): Promise<string[]> {
    const rows = await this.db.one<{ queue: string; id: string }>("dependantIds", [queue, jobId]);
    return rows.map((r) => dependencyEntry(queue, r.queue, r.id));
  }

  async getDependencyResults(queue: string, jobId: string): Promise<DependencyResults> {
    const rows = await this.db.one<{ dep: string; result: string | null; failure: string | null }>(
      "keptOutcomes",
      [queue, jobId],
    );
    return keptOutcomes(rows);
  }

  removeJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#tx(queue, async (tx) => {
      const [row] = await tx.q<JobRow>(this.db.s.jobLock, [queue, jobId]);
      if (!row) return false;
      await tx.removeJobs([row], now);
      return true;
    });
  }

  drain(queue: string, includeDelayed: boolean, now: number): Promise<Applied<number>> {
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<Removable>(this.db.s.drainable, [queue, includeDelayed]);
      await tx.removeJobs(rows, now);
      return rows.length;
    });
  }

  async clean(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
    now: number,
  ): Promise<Applied<string[]>> {
    await this.db.open();
    if (state === "active") return { value: [] };
    const s = this.db.s;
    return this.#tx(queue, async (tx) => {
      const statement = FINISHED.has(state)
        ? s.cleanFinished
        : state === "waiting"
          ? s.cleanWaiting
          : s.cleanUnfinished;
      const rows = await tx.q<Removable>(statement, [queue, state, olderThan, limitOrNull(limit)]);
      await tx.removeJobs(rows, now);
      return rows.map((r) => r.id);
    });
  }

  obliterate(queue: string, force: boolean, now = Date.now()): Promise<Applied<void>> {
    return this.#tx(queue, async (tx) => {
      const { s } = this.db;
      const [row] = await tx.q<{ n: number }>(s.activeCount, [queue]);
      const active = row?.n ?? 0;
      if (!force && active > 0) throw activeJobsBlockObliterate(queue, active);
      const crossParents = (await tx.q<{ id: string }>(s.crossParents, [queue])).map((r) => r.id);
      await tx.q(s.wipe, [queue]);
      // Its own jobs are gone: only the jobs of other queues waiting on them are left to settle.
      await tx.settleRemoved(crossParents, now);
      await tx.q(s.wipeParentDeps, [queue]);
    });
  }

  async setPaused(queue: string, paused: boolean): Promise<Applied<void>> {
    await this.db.one("setPaused", [queue, paused, this.origin]);
    const signals = new EffectsCollector(this.ctx.wantsEvents(queue));
    signals.emit(paused ? "queue:paused" : "queue:resumed", { queue });
    if (!paused) signals.wake("resume");
    return { value: undefined, effects: signals.take() };
  }

  async isPaused(queue: string): Promise<boolean> {
    const [row] = await this.db.one<{ paused: boolean }>("isPaused", [queue]);
    return row?.paused === true;
  }

  async setGlobalConcurrency(queue: string, limit: number | null): Promise<Applied<void>> {
    await this.db.one("setGlobalConcurrency", [queue, checkGlobalConcurrency(limit), this.origin]);
    return { value: undefined, effects: { wakes: ["resume"] } };
  }

  async getGlobalConcurrency(queue: string): Promise<number | null> {
    const [row] = await this.db.one<{ global_concurrency: number | null }>("globalConcurrency", [queue]);
    return row?.global_concurrency ?? null;
  }

  async removeDeduplicationKey(queue: string, key: string): Promise<boolean> {
    return (await this.db.one("dedupRemove", [queue, key])).length > 0;
  }

  async getDeduplicationJobId(queue: string, key: string): Promise<string | null> {
    const [row] = await this.db.one<{ job_id: string }>("dedupJobId", [queue, key]);
    return row?.job_id ?? null;
  }

  async listQueues(): Promise<string[]> {
    return (await this.db.one<{ name: string }>("listQueues", [])).map((r) => r.name);
  }
}
