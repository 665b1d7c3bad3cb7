/**
 * The embedded default backend: one SQLite file (WAL mode) that several processes may share.
 *
 * - Every transition is one `BEGIN IMMEDIATE` transaction over statements prepared once from the
 *   `.sql` files in `./sql/` (see `tx.ts` for the transitions themselves).
 * - In this process, events (`emitLocal`, `subscribe` listeners) and wake-ups are delivered right
 *   after commit. Other processes notice commits through `fs.watch` on the `-wal` file (plus a slow
 *   fallback poll) and `PRAGMA data_version`, then compare per-queue wake counters and read the
 *   `events` table, which writers fill only while another process has a live subscriber.
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { AsyncMQError, BackendError, ValidationError } from "../../errors.js";
import { emitLocal, events } from "../../events.js";
import { type ClaimedJob, JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import type {
  Backend,
  BackendCapabilities,
  ClaimOptions,
  EnqueueResult,
  Finish,
  NewJob,
  QueueEvent,
  RepeatableFire,
  RepeatableInfoRecord,
  WakeReason,
  WorkerInfo,
} from "../backend.js";
import { activeJobsBlockObliterate } from "../shared/obliterate-guard.js";
import { pageOf } from "../shared/paging.js";
import { QueueListeners } from "../shared/queue-listeners.js";
import { rateWaitMs, refillTokens } from "../shared/rate-bucket.js";
import { copyRepeatable } from "../shared/repeatable-copy.js";
import { safeCall } from "../shared/safe-call.js";
import { toRecord } from "../shared/sql-job-row.js";
import { openDatabase } from "./open.js";
import { prepareStatements, type Statements } from "./statements.js";
import { sqlLimit, Tx } from "./tx.js";
import { ChangeWatcher } from "./watcher.js";

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** The database file; its folder is created. Default `./.asyncmq/asyncmq.db`. `":memory:"` for a private in-memory database. */
  path?: string;
  /** SQLite `synchronous` pragma. `NORMAL` (default) is durable against process crashes; `FULL` also against power loss. */
  synchronous?: "OFF" | "NORMAL" | "FULL";
  /** How long a write waits for another process's transaction (ms). Default 5000. */
  busyTimeout?: number;
}

/** How long a subscriber registration lives without renewal (ms). */
const SUBSCRIBER_TTL_MS = 30_000;
/** How often registrations are renewed and old events trimmed (ms). */
const SUBSCRIBER_HEARTBEAT_MS = 5_000;
/** How long event rows are kept for readers that fell behind (ms). */
const EVENT_KEEP_MS = 5 * 60_000;

interface WakeCounters {
  job: number;
  delayed: number;
  resume: number;
}

/** A job queue backend stored in one SQLite file, safe to share between processes. */
export class SqliteBackend implements Backend {
  readonly capabilities: BackendCapabilities = { durable: true, multiProcess: true };
  /** The database file in use (absolute), or `":memory:"`. */
  readonly path: string;

  readonly #db: BetterSqlite3.Database;
  readonly #s: Statements;
  readonly #immediate: (fn: () => unknown) => unknown;
  /** Tells this instance's rows (events, subscriptions) from other processes'. */
  readonly #instance = randomUUID();
  #closed = false;

  readonly #wakeListeners = new QueueListeners<WakeReason>();
  /** Wake counters last seen per listened queue; a difference means another process woke it. */
  readonly #wakeSeen = new Map<string, WakeCounters>();
  readonly #subscribers = new QueueListeners<QueueEvent>();
  /** Per subscribed queue: the last event id that existed when the subscription began. */
  readonly #subscribedAfter = new Map<string, number>();
  #eventCursor = 0;
  #dataVersion = 0;
  readonly #watcher: ChangeWatcher;
  #heartbeat: NodeJS.Timeout | undefined;

  /** Opens (creating and migrating when needed) the database. @throws BackendError when the file cannot be used. */
  constructor(options: SqliteBackendOptions = {}) {
    const requested = options.path ?? "./.asyncmq/asyncmq.db";
    const inMemory = requested === ":memory:";
    this.path = inMemory ? requested : resolve(requested);
    const busyTimeout = options.busyTimeout ?? 5000;
    if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
      throw new ValidationError(
        `busyTimeout must be a non-negative integer of ms, got ${String(busyTimeout)}`,
      );
    }
    const synchronous = options.synchronous ?? "NORMAL";
    if (!["OFF", "NORMAL", "FULL"].includes(synchronous)) {
      throw new ValidationError(
        `synchronous must be "OFF", "NORMAL" or "FULL", got ${JSON.stringify(synchronous)}`,
      );
    }
    this.#db = openDatabase({ path: this.path, synchronous, busyTimeout });
    try {
      this.#s = prepareStatements(this.#db);
    } catch (err) {
      this.#db.close();
      throw err;
    }
    const run = this.#db.transaction((fn: () => unknown) => fn());
    this.#immediate = run.immediate;
    this.#watcher = new ChangeWatcher(inMemory ? null : `${this.path}-wal`, () =>
      this.#checkForeignChanges(),
    );
  }

  // -- plumbing -------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`the SQLite backend for ${this.path} is closed; create a new SqliteBackend`);
    }
  }

  /** Runs `fn` in one write transaction on `queue`, then delivers its events and wake-ups. */
  #write<T>(queue: string, fn: (tx: Tx) => T): T {
    this.#assertOpen();
    const wantLocal = events.hasListeners() || this.#subscribers.has(queue);
    let tx: Tx | undefined;
    let bumped: Array<[WakeReason, number]> = [];
    let result: T;
    try {
      result = this.#immediate(() => {
        const now = Date.now();
        const remote = this.#s.remoteSubscriber.get(queue, this.#instance, now) !== undefined;
        tx = new Tx(this.#s, queue, wantLocal || remote);
        const value = fn(tx);
        bumped = tx.flush();
        if (remote && tx.events && tx.events.length > 0) {
          this.#s.eventInsert.run(queue, this.#instance, now, JSON.stringify(tx.events));
        }
        return value;
      }) as T;
    } catch (err) {
      throw this.#wrap(err);
    }
    if (tx) this.#deliver(queue, tx, bumped);
    return result;
  }

  /** Runs a read (or a single self-contained statement). */
  #read<T>(fn: () => T): T {
    this.#assertOpen();
    try {
      return fn();
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  #wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_BUSY") {
      return new BackendError(
        `the asyncmq database ${this.path} stayed locked by another connection longer than busyTimeout; raise busyTimeout or look for a process holding a long transaction`,
        { cause: err },
      );
    }
    return new BackendError(`SQLite error on ${this.path}: ${(err as Error).message}`, { cause: err });
  }

  /** After commit: local events, local subscribers, local wake listeners. */
  #deliver(queue: string, tx: Tx, bumped: Array<[WakeReason, number]>): void {
    if (tx.events && tx.events.length > 0) {
      const subs = this.#subscribers.get(queue);
      for (const event of tx.events) {
        emitLocal(event.name, event.payload);
        if (subs) for (const listener of subs) safeCall(listener, event);
      }
    }
    if (bumped.length === 0) return;
    const seen = this.#wakeSeen.get(queue);
    for (const [reason, n] of bumped) {
      // Our own bump needs no cross-process wake later; a gap means another process's is pending.
      if (seen && seen[reason] === n - 1) seen[reason] = n;
      this.#wakeLocal(queue, reason);
    }
  }

  #wakeLocal(queue: string, reason: WakeReason): void {
    const listeners = this.#wakeListeners.get(queue);
    if (listeners) for (const listener of listeners) safeCall(listener, reason);
  }

  /** Signalled by the watcher: if another connection committed, wake listeners and read events. */
  #checkForeignChanges(): void {
    if (this.#closed) return;
    try {
      const version = this.#s.dataVersion.pluck().get() as number;
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      for (const [queue, seen] of this.#wakeSeen) {
        const row = this.#s.wakeCounters.get(queue) as
          | { woke_job: number; woke_delayed: number; woke_resume: number }
          | undefined;
        if (!row) continue;
        const now: WakeCounters = { job: row.woke_job, delayed: row.woke_delayed, resume: row.woke_resume };
        for (const reason of ["job", "delayed", "resume"] as const) {
          if (now[reason] !== seen[reason]) {
            seen[reason] = now[reason];
            this.#wakeLocal(queue, reason);
          }
        }
      }
      if (this.#subscribers.size > 0) this.#readForeignEvents();
    } catch {
      // Busy or closing: the next signal or poll retries.
    }
  }

  #readForeignEvents(): void {
    const rows = this.#s.eventsAfter.all(this.#eventCursor, this.#instance) as Array<{
      id: number;
      queue: string;
      batch: string;
    }>;
    for (const row of rows) {
      this.#eventCursor = row.id;
      const subs = this.#subscribers.get(row.queue);
      if (!subs || row.id <= (this.#subscribedAfter.get(row.queue) ?? 0)) continue;
      for (const event of JSON.parse(row.batch) as QueueEvent[]) {
        for (const listener of subs) safeCall(listener, event);
      }
    }
  }

  #updateWatcher(): void {
    const wanted = this.#wakeListeners.size > 0 || this.#subscribers.size > 0;
    if (wanted && !this.#watcher.running) {
      this.#dataVersion = this.#s.dataVersion.pluck().get() as number;
      this.#watcher.start();
    } else if (!wanted && this.#watcher.running) {
      this.#watcher.stop();
    }
  }

  #renewSubscriptions(): void {
    if (this.#closed) return;
    try {
      const now = Date.now();
      this.#immediate(() => {
        for (const queue of this.#subscribers.keys()) {
          this.#s.subscriberUpsert.run(queue, this.#instance, now + SUBSCRIBER_TTL_MS);
        }
        this.#s.subscriberPrune.run(now);
        this.#s.eventsTrim.run(now - EVENT_KEEP_MS);
      });
    } catch {
      // Busy: the next heartbeat retries well before the registration expires.
    }
  }

  // -- producer -------------------------------------------------------------------------------

  /** @inheritDoc */
  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    return this.#write(queue, (tx) => {
      const results = new Array<EnqueueResult>(jobs.length);
      for (let i = 0; i < jobs.length; i++) results[i] = tx.insert(jobs[i] as NewJob);
      return results;
    });
  }

  // -- worker ---------------------------------------------------------------------------------

  /** @inheritDoc */
  async claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    if (options.limit < 1) return [];
    return this.#write(queue, (tx) => (this.#paused(queue) ? [] : tx.claim(options)));
  }

  /** @inheritDoc */
  async claimJob(
    queue: string,
    jobId: string,
    options: Omit<ClaimOptions, "limit">,
  ): Promise<ClaimedJob | null> {
    return this.#write(queue, (tx) =>
      this.#paused(queue) ? null : (tx.claim({ ...options, limit: 1 }, jobId)[0] ?? null),
    );
  }

  #paused(queue: string): boolean {
    return (this.#s.isPaused.get(queue) as { paused: number } | undefined)?.paused === 1;
  }

  /** @inheritDoc */
  async finish(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.#write(queue, (tx) => items.map((item) => tx.finish(item, now)));
  }

  /** @inheritDoc */
  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    return this.#write(queue, () => {
      const lost: string[] = [];
      for (const { jobId, token } of leases) {
        if (this.#s.extendLease.run(now + leaseMs, queue, jobId, token).changes === 0) lost.push(jobId);
      }
      return lost;
    });
  }

  /** @inheritDoc */
  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<boolean> {
    return this.#write(queue, (tx) => {
      const json = JSON.stringify(progress);
      const r = this.#s.progress.get(json, queue, jobId, token) as { task: string } | undefined;
      if (!r) return false;
      // The event carries a copy: the caller may mutate its object afterwards.
      if (tx.events) tx.emit("job:progress", { queue, jobId, task: r.task, progress: JSON.parse(json) });
      return true;
    });
  }

  /** @inheritDoc */
  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    this.#read(() => this.#s.addLog.run(queue, jobId, message, queue, jobId));
  }

  /** @inheritDoc */
  async getLogs(queue: string, jobId: string): Promise<string[]> {
    return this.#read(() => this.#s.getLogs.pluck().all(queue, jobId) as string[]);
  }

  // -- maintenance ----------------------------------------------------------------------------

  /** @inheritDoc */
  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }> {
    return this.#write(queue, (tx) => tx.promoteDelayed(now, limit));
  }

  /** @inheritDoc */
  async recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<{ stalled: string[]; failed: string[] }> {
    return this.#write(queue, (tx) => tx.recoverStalled(now, maxStalledCount));
  }

  /** @inheritDoc */
  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.#write(queue, (tx) => tx.removeExpiredFinished(now, limit));
  }

  /** @inheritDoc */
  async nextRetentionAt(queue: string): Promise<number | null> {
    return this.#read(
      () => (this.#s.nextRemoval.get(queue) as { remove_at: number } | undefined)?.remove_at ?? null,
    );
  }

  /** @inheritDoc */
  async expireDue(queue: string, now: number, limit: number): Promise<number> {
    return this.#write(queue, (tx) => tx.expireDue(now, limit));
  }

  // -- repeatables ----------------------------------------------------------------------------

  /** @inheritDoc */
  async upsertRepeatable(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord> {
    return this.#write(queue, () => {
      this.#s.queueEnsure.run(queue);
      this.#s.repeatableUpsert.run({
        queue,
        id: info.id,
        def: JSON.stringify(info.def),
        nextRun: info.nextRun,
        paused: info.paused ? 1 : 0,
      });
      return copyRepeatable(info);
    });
  }

  /** @inheritDoc */
  async listRepeatables(queue: string): Promise<RepeatableInfoRecord[]> {
    return this.#read(() => (this.#s.repeatableList.all(queue) as RepeatableRow[]).map(toRepeatable));
  }

  /** @inheritDoc */
  async removeRepeatable(queue: string, id: string): Promise<boolean> {
    return this.#write(queue, () => {
      const removed = this.#s.repeatableDelete.run(queue, id).changes > 0;
      this.#s.slotDelete.run(queue, id);
      return removed;
    });
  }

  /** @inheritDoc */
  async setRepeatablePaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean> {
    return this.#write(
      queue,
      () => this.#s.repeatableSetPaused.run(paused ? 1 : 0, nextRun ?? null, queue, id).changes > 0,
    );
  }

  /** @inheritDoc */
  async fireRepeatable(queue: string, fire: RepeatableFire): Promise<string | null> {
    return this.#write(queue, (tx) => {
      const last = this.#s.slotGet.get(queue, fire.repeatId) as { last_slot: number } | undefined;
      if (last && fire.slot <= last.last_slot) return null;
      const def = this.#s.repeatableGet.get(queue, fire.repeatId) as RepeatableRow | undefined;
      if (def?.paused) return null;
      const { id } = tx.insert(fire.job);
      this.#s.slotSet.run(queue, fire.repeatId, fire.slot);
      if (def) this.#s.repeatableSetNextRun.run(fire.nextRun, queue, fire.repeatId);
      return id;
    });
  }

  /** @inheritDoc */
  async lastRepeatableSlot(queue: string, repeatId: string): Promise<number | null> {
    return this.#read(
      () => (this.#s.slotGet.get(queue, repeatId) as { last_slot: number } | undefined)?.last_slot ?? null,
    );
  }

  // -- rate limit -----------------------------------------------------------------------------

  /** @inheritDoc */
  async takeRateToken(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    if (rate <= 0) return intervalMs;
    return this.#write(queue, () => {
      const bucket = this.#s.bucketGet.get(queue) as { tokens: number; updated_at: number } | undefined;
      let tokens = rate;
      let updatedAt = now;
      if (bucket) {
        tokens = refillTokens(bucket.tokens, bucket.updated_at, rate, intervalMs, now);
        updatedAt = Math.max(now, bucket.updated_at);
      }
      if (tokens >= 1 - 1e-9) {
        this.#s.bucketSet.run(queue, Math.max(0, tokens - 1), updatedAt);
        return 0;
      }
      this.#s.bucketSet.run(queue, tokens, updatedAt);
      return rateWaitMs(tokens, rate, intervalMs);
    });
  }

  // -- admin ----------------------------------------------------------------------------------

  /** @inheritDoc */
  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    return this.#read(() => {
      const row = this.#s.jobGet.get(queue, jobId);
      return row ? toRecord(row) : null;
    });
  }

  /** @inheritDoc */
  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const params: Record<string, string | number> = {
      queue,
      limit: limit ?? -1,
      offset,
      head: limit === null ? -1 : offset + limit,
    };
    for (const state of JOB_STATES) {
      params[state.replace("-", "_")] = states.length === 0 || states.includes(state) ? 1 : 0;
    }
    return this.#read(() => {
      const stmt = range.asc ? this.#s.jobsAsc : this.#s.jobsDesc;
      return stmt.all(params).map(toRecord);
    });
  }

  /** @inheritDoc */
  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    return this.#read(() => {
      const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
      for (const stmt of [this.#s.countUnfinished, this.#s.countFinished]) {
        for (const row of stmt.all(queue) as Array<{ state: JobState; n: number }>) counts[row.state] = row.n;
      }
      return counts;
    });
  }

  /** @inheritDoc */
  async cancelJob(queue: string, jobId: string, now: number): Promise<boolean> {
    return this.#write(queue, (tx) => tx.cancel(jobId, now));
  }

  /** @inheritDoc */
  async retryJob(queue: string, jobId: string, _now: number): Promise<boolean> {
    return this.#write(queue, (tx) => tx.retryDead(jobId));
  }

  /** @inheritDoc */
  async removeJob(queue: string, jobId: string): Promise<boolean> {
    return this.#write(queue, (tx) => {
      const row = this.#s.jobGet.get(queue, jobId);
      if (!row) return false;
      tx.remove([row], Date.now());
      return true;
    });
  }

  /** @inheritDoc */
  async drain(queue: string, includeDelayed: boolean): Promise<number> {
    return this.#write(queue, (tx) => {
      const rows = this.#s.drainable.all(queue, includeDelayed ? "delayed" : "waiting");
      tx.remove(rows, Date.now());
      return rows.length;
    });
  }

  /** @inheritDoc */
  async clean(queue: string, state: JobState, olderThan: number, limit: number): Promise<string[]> {
    if (state === "active") return [];
    return this.#write(queue, (tx) => {
      const finished =
        state === "completed" || state === "failed" || state === "expired" || state === "cancelled";
      const stmt = finished ? this.#s.cleanFinished : this.#s.cleanUnfinished;
      const rows = stmt.all(queue, state, olderThan, sqlLimit(limit));
      tx.remove(rows, Date.now());
      return rows.map((r) => r.id);
    });
  }

  /** @inheritDoc */
  async obliterate(queue: string, force: boolean): Promise<void> {
    this.#write(queue, () => {
      const s = this.#s;
      const active = (s.activeCount.get(queue) as { n: number }).n;
      if (!force && active > 0) {
        throw activeJobsBlockObliterate(queue, active);
      }
      const wipes = [
        s.wipeLogs,
        s.wipeDeps,
        s.wipeDedup,
        s.wipeJobs,
        s.wipeCounts,
        s.wipeRepeatables,
        s.wipeSlots,
      ];
      for (const stmt of wipes) {
        stmt.run(queue);
      }
      s.wipeBucket.run(queue);
      s.unpause.run(queue);
    });
  }

  /** @inheritDoc */
  async setPaused(queue: string, paused: boolean): Promise<void> {
    this.#write(queue, (tx) => {
      this.#s.queueEnsure.run(queue);
      this.#s.setPaused.run(paused ? 1 : 0, queue);
      tx.emit(paused ? "queue:paused" : "queue:resumed", { queue });
      if (!paused) tx.wake("resume");
    });
  }

  /** @inheritDoc */
  async isPaused(queue: string): Promise<boolean> {
    return this.#read(() => this.#paused(queue));
  }

  /** @inheritDoc */
  async listQueues(): Promise<string[]> {
    return this.#read(() => this.#s.listQueues.pluck().all() as string[]);
  }

  // -- workers --------------------------------------------------------------------------------

  /** @inheritDoc */
  async heartbeatWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.#read(() => {
      this.#s.workerUpsert.run(info.id, JSON.stringify(info), info.heartbeatAt + ttlMs);
      // Registrations of workers that died long ago go; recent ones stay visible to listWorkers(now).
      this.#s.workerPrune.run(info.heartbeatAt - Math.max(ttlMs, 60_000));
    });
  }

  /** @inheritDoc */
  async removeWorker(id: string): Promise<void> {
    this.#read(() => this.#s.workerDelete.run(id));
  }

  /** @inheritDoc */
  async listWorkers(now: number): Promise<WorkerInfo[]> {
    return this.#read(() =>
      (this.#s.workerList.pluck().all(now) as string[]).map((info) => JSON.parse(info)),
    );
  }

  // -- notifications --------------------------------------------------------------------------

  /** @inheritDoc */
  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    this.#assertOpen();
    if (!this.#wakeListeners.has(queue)) {
      const row = this.#read(() => this.#s.wakeCounters.get(queue)) as
        | { woke_job: number; woke_delayed: number; woke_resume: number }
        | undefined;
      this.#wakeSeen.set(queue, {
        job: row?.woke_job ?? 0,
        delayed: row?.woke_delayed ?? 0,
        resume: row?.woke_resume ?? 0,
      });
    }
    const unsubscribe = this.#wakeListeners.add(queue, listener, () => {
      this.#wakeSeen.delete(queue);
      if (!this.#closed) this.#updateWatcher();
    });
    this.#updateWatcher();
    return unsubscribe;
  }

  /** @inheritDoc */
  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    this.#assertOpen();
    if (!this.#subscribers.has(queue)) {
      const expiresAt = Date.now() + SUBSCRIBER_TTL_MS;
      // One transaction: writers that commit after it see the registration and write events with
      // ids above `after`; everything up to `after` happened before this subscription.
      const after = this.#read(
        () =>
          this.#immediate(() => {
            this.#s.subscriberUpsert.run(queue, this.#instance, expiresAt);
            return (this.#s.eventsLastId.get() as { n: number }).n;
          }) as number,
      );
      if (this.#subscribers.size === 0) this.#eventCursor = Math.max(this.#eventCursor, after);
      this.#subscribedAfter.set(queue, after);
      if (!this.#heartbeat) {
        this.#heartbeat = setInterval(() => this.#renewSubscriptions(), SUBSCRIBER_HEARTBEAT_MS);
        this.#heartbeat.unref();
      }
    }
    const unsubscribe = this.#subscribers.add(queue, listener, () => {
      this.#subscribedAfter.delete(queue);
      if (this.#closed) return;
      try {
        this.#s.subscriberDelete.run(queue, this.#instance);
      } catch {
        // Busy: the registration expires on its own.
      }
      if (this.#subscribers.size === 0 && this.#heartbeat) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
      this.#updateWatcher();
    });
    this.#updateWatcher();
    return unsubscribe;
  }

  /** @inheritDoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#watcher.stop();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    try {
      for (const queue of this.#subscribers.keys()) this.#s.subscriberDelete.run(queue, this.#instance);
    } catch {
      // Busy: the registrations expire on their own.
    }
    this.#closed = true;
    this.#wakeListeners.clear();
    this.#wakeSeen.clear();
    this.#subscribers.clear();
    this.#subscribedAfter.clear();
    this.#db.close();
  }
}

interface RepeatableRow {
  id: string;
  def: string;
  next_run: number;
  paused: number;
}

function toRepeatable(row: RepeatableRow): RepeatableInfoRecord {
  return { id: row.id, def: JSON.parse(row.def), nextRun: row.next_run, paused: row.paused === 1 };
}
