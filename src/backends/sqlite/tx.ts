/**
 * The job transitions of the SQLite backend, run inside one write transaction. A `Tx` collects
 * the events and wake-ups of its transaction; the backend delivers them after commit.
 */
import { randomUUID } from "node:crypto";
import type { JobEventName, JobEventPayload } from "../../events.js";
import { type ClaimedJob, FINISHED_STATES, type JobState, type RetentionSpec } from "../../job.js";
import type { ClaimOptions, EnqueueResult, Finish, NewJob, QueueEvent, WakeReason } from "../backend.js";
import { dedupHolds } from "../shared/dedup.js";
import { announceFree, duplicateResult } from "../shared/enqueue-events.js";
import { initialState, type SortedParents, sortParents } from "../shared/new-job-parents.js";
import { parentFailedError } from "../shared/parent-failure.js";
import { readRetention } from "../shared/retention.js";
import { jsonOrNull } from "../shared/sql-job-row.js";
import { stallLimitError } from "../shared/stall-limit.js";
import { type JobRow, toClaimed } from "./rows.js";
import type { Statements } from "./statements.js";

const FINISHED = new Set<JobState>(FINISHED_STATES);
const DEAD = new Set<JobState>(["failed", "expired", "cancelled"]);
const NO_PARENTS: SortedParents<JobRow> = { pending: undefined, failedParent: undefined };

/** Row facts needed to delete a job with everything attached to it. */
interface Deletable {
  seq: number;
  id: string;
  state: JobState;
  dedup_key: string | null;
  has_dependants: number;
  /** Absent when the caller knows the job waits on no parent. */
  pending_parents?: number;
}

/** Row facts needed once a job reached a final failed state. */
interface Ended extends Deletable {
  task: string;
}

const WAKE_BITS: Record<WakeReason, number> = { job: 1, delayed: 2, resume: 4 };

/** Converts a `limit` argument to SQL (`-1` = no limit). */
export function sqlLimit(n: number): number {
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : -1;
}

/** One write transaction on one queue: its transitions, FIFO/id counters, events and wake-ups. */
export class Tx {
  /** Events to deliver after commit; null when nobody listens (payloads are then never built). */
  readonly events: QueueEvent[] | null;
  /** Wake reasons raised (bit set of WAKE_BITS). */
  wakes = 0;
  #lastId = 0;
  #lastSeq = 0;
  #countersLoaded = false;
  /** Net change of the finished-state counts in this transaction, stored once by flush. */
  readonly #finishedDelta = new Map<JobState, number>();

  constructor(
    private readonly s: Statements,
    readonly queue: string,
    wantEvents: boolean,
  ) {
    this.events = wantEvents ? [] : null;
  }

  emit(name: JobEventName, payload: JobEventPayload): void {
    this.events?.push({ name, payload });
  }

  wake(reason: WakeReason): void {
    this.wakes |= WAKE_BITS[reason];
  }

  hasWake(reason: WakeReason): boolean {
    return (this.wakes & WAKE_BITS[reason]) !== 0;
  }

  // -- counters (read once per transaction, stored once in flush) --------------------------

  #loadCounters(): void {
    if (this.#countersLoaded) return;
    this.s.queueEnsure.run(this.queue);
    const row = this.s.queueCounters.get(this.queue) as { last_id: number; last_seq: number };
    this.#lastId = row.last_id;
    this.#lastSeq = row.last_seq;
    this.#countersLoaded = true;
  }

  /** The next FIFO position of the queue (the tail of `waiting`). */
  nextFifo(): number {
    this.#loadCounters();
    return ++this.#lastSeq;
  }

  nextId(): string {
    this.#loadCounters();
    return String(++this.#lastId);
  }

  /** A job entered (+1) or left (-1) `state`; only finished states are counted. */
  #countFinished(state: JobState, delta: 1 | -1): void {
    if (FINISHED.has(state)) this.#finishedDelta.set(state, (this.#finishedDelta.get(state) ?? 0) + delta);
  }

  /** Jobs the queue holds in a finished `state`, this transaction's changes included. */
  #finishedCount(state: JobState): number {
    const stored = (this.s.finishedCount.get(this.queue, state) as { n: number } | undefined)?.n ?? 0;
    return stored + (this.#finishedDelta.get(state) ?? 0);
  }

  /** Moves a job (unfenced) to a finished state; see end-job.sql. */
  #end(
    seq: number,
    state: JobState,
    errorJson: string | null,
    now: number,
    stalledCount: number | null,
  ): void {
    this.s.endJob.run(state, errorJson, now, 0, stalledCount, seq);
    this.#countFinished(state, 1);
  }

  /** Stores the counters; returns the wake counters bumped, for the backend to remember. */
  flush(): Array<[WakeReason, number]> {
    if (this.#countersLoaded) this.s.queueStoreCounters.run(this.#lastId, this.#lastSeq, this.queue);
    for (const [state, delta] of this.#finishedDelta) {
      if (delta !== 0) this.s.finishedCountAdd.run(this.queue, state, delta);
    }
    if (this.wakes === 0) return [];
    this.s.queueEnsure.run(this.queue);
    const bumped: Array<[WakeReason, number]> = [];
    if (this.hasWake("job")) bumped.push(["job", this.#bump(this.s.wakeJob)]);
    if (this.hasWake("delayed")) bumped.push(["delayed", this.#bump(this.s.wakeDelayed)]);
    if (this.hasWake("resume")) bumped.push(["resume", this.#bump(this.s.wakeResume)]);
    return bumped;
  }

  #bump(stmt: Statements["wakeJob"]): number {
    return (stmt.get(this.queue) as { n: number }).n;
  }

  // -- enqueue --------------------------------------------------------------------------------

  /** Inserts one job as `enqueue` does (duplicates, dedup, parents, initial state, events). */
  insert(job: NewJob): EnqueueResult {
    const { s, queue } = this;
    if (job.id !== undefined) {
      const existing = s.jobGet.get(queue, job.id);
      if (existing) return this.#duplicate(existing.id, existing.state, existing.task);
    }
    const createdAt = job.createdAt;
    if (job.dedup) {
      const d = s.dedupGet.get(queue, job.dedup.key) as
        | { job_id: string; added_at: number; state: JobState; task: string }
        | undefined;
      if (d) {
        if (dedupHolds(job.dedup.ttl, d.added_at, d.state, createdAt))
          return this.#duplicate(d.job_id, d.state, d.task);
      }
    }

    let parents: SortedParents<JobRow> = NO_PARENTS;
    let dependsOn: string[] | undefined;
    if (job.dependsOn && job.dependsOn.length > 0) {
      dependsOn = [...new Set(job.dependsOn)];
      parents = sortParents(queue, dependsOn, job.onParentFailure, (parentId) =>
        s.jobGet.get(queue, parentId),
      );
    }
    const { pending, failedParent } = parents;

    const id = job.id ?? this.nextId();
    const state = initialState(parents, job.runAt, createdAt);
    const error = failedParent ? parentFailedError(failedParent.id, failedParent.state) : undefined;

    const ttl = job.ttl ?? null;
    const info = s.jobInsert.run(
      queue,
      id,
      job.task,
      job.dataJson,
      state,
      job.priority,
      this.nextFifo(),
      job.maxRetries,
      createdAt,
      job.runAt ?? null,
      ttl,
      ttl === null ? null : createdAt + ttl,
      job.timeout ?? null,
      jsonOrNull(job.backoff),
      jsonOrNull(dependsOn),
      failedParent ? 0 : (pending?.length ?? 0),
      job.onParentFailure ?? null,
      jsonOrNull(job.removeOnComplete),
      jsonOrNull(job.removeOnFail),
      jsonOrNull(job.inherit),
      job.dedup?.key ?? null,
      jsonOrNull(error),
      failedParent ? createdAt : null,
    );
    const seq = Number(info.lastInsertRowid);
    if (job.dedup) s.dedupSet.run(queue, job.dedup.key, id, createdAt);

    if (state === "failed") {
      this.#countFinished("failed", 1);
      this.emit("job:failed", { queue, jobId: id, task: job.task, error, attempts: 0 });
      const spec = jsonOrNull(job.removeOnFail);
      this.#retain({ seq, id, state, dedup_key: job.dedup?.key ?? null, has_dependants: 0 }, spec, createdAt);
    } else if (pending) {
      for (const parent of pending) {
        s.depInsert.run(queue, parent.id, id);
        if (!parent.has_dependants) s.markHasDependants.run(parent.seq);
      }
    } else announceFree(this, queue, id, job.task, state === "delayed", job.runAt);
    return { id, state, duplicate: false };
  }

  #duplicate(id: string, state: JobState, task: string): EnqueueResult {
    return duplicateResult(this, this.queue, id, state, task);
  }

  // -- claim ----------------------------------------------------------------------------------

  /** Claims up to `limit` waiting jobs; `only` restricts it to one id (claimJob). */
  claim(options: ClaimOptions, only?: string): ClaimedJob[] {
    const { s, queue } = this;
    const { workerId, now, leaseMs } = options;
    const claimed: ClaimedJob[] = [];
    const leaseExpiresAt = now + leaseMs;
    for (;;) {
      const wanted = options.limit - claimed.length;
      const one = only === undefined ? undefined : s.claimOne.get(queue, only);
      const rows = only === undefined ? s.claimCandidates.all(queue, wanted) : one ? [one] : [];
      let expired = 0;
      for (const row of rows) {
        if (row.expires_at !== null && now >= row.expires_at) {
          this.expireUnstarted(row, now);
          expired++;
          continue;
        }
        const token = randomUUID();
        s.markActive.run(now, token, workerId, leaseExpiresAt, row.seq);
        const job = toClaimed(row, now, token, workerId, leaseExpiresAt);
        claimed.push(job);
        this.emit("job:started", { queue, jobId: row.id, task: row.task, attempts: job.attempts, workerId });
      }
      // Expired candidates left room: look further, until the limit or the queue runs out.
      if (expired === 0 || only !== undefined || claimed.length >= options.limit) return claimed;
    }
  }

  /** A waiting, delayed or waiting-children job whose ttl passed: expired, never run. */
  expireUnstarted(row: JobRow, now: number): void {
    if (row.state === "waiting-children") this.s.depsDeleteAsChild.run(this.queue, row.id);
    this.#end(row.seq, "expired", null, now, null);
    this.emit("job:expired", { queue: this.queue, jobId: row.id, task: row.task });
    this.#afterEnd({ ...row, state: "expired", pending_parents: 0 }, row.remove_on_fail, now);
  }

  // -- finish ---------------------------------------------------------------------------------

  /** Applies one finish item; false when its token no longer holds. */
  finish(item: Finish, now: number): boolean {
    const { s, queue } = this;
    switch (item.kind) {
      case "completed": {
        const r = s.complete.get(item.resultJson, now, queue, item.jobId, item.token) as
          | (Ended & { attempts: number; remove_on_complete: string | null })
          | undefined;
        if (!r) return false;
        if (this.events) {
          const result = JSON.parse(item.resultJson);
          this.emit("job:completed", { queue, jobId: r.id, task: r.task, attempts: r.attempts, result });
        }
        this.#countFinished("completed", 1);
        if (r.has_dependants) this.#resolveDependants(r.id, "completed", now);
        this.#retain(r, r.remove_on_complete, now);
        return true;
      }
      case "retry": {
        const delayed = item.runAt > now;
        const errorJson = JSON.stringify(item.error);
        const r = s.retry.get(
          delayed ? "delayed" : "waiting",
          errorJson,
          item.runAt,
          delayed ? null : this.nextFifo(),
          queue,
          item.jobId,
          item.token,
        ) as { seq: number; task: string; attempts: number } | undefined;
        if (!r) return false;
        if (this.events) {
          const error = JSON.parse(errorJson);
          this.emit("job:retrying", {
            queue,
            jobId: item.jobId,
            task: r.task,
            error,
            attempts: r.attempts,
            runAt: item.runAt,
          });
        }
        this.wake(delayed ? "delayed" : "job");
        return true;
      }
      case "failed": {
        const errorJson = JSON.stringify(item.error);
        const r = s.fail.get(errorJson, now, queue, item.jobId, item.token) as
          | (Ended & { attempts: number; remove_on_fail: string | null })
          | undefined;
        if (!r) return false;
        if (this.events) {
          const error = JSON.parse(errorJson);
          this.emit("job:failed", { queue, jobId: r.id, task: r.task, error, attempts: r.attempts });
        }
        this.#countFinished("failed", 1);
        this.#afterEnd(r, r.remove_on_fail, now);
        return true;
      }
      case "expired": {
        const r = s.expireActive.get(now, queue, item.jobId, item.token) as
          | (Ended & { attempts: number; remove_on_fail: string | null })
          | undefined;
        if (!r) return false;
        this.emit("job:expired", { queue, jobId: r.id, task: r.task, attempts: r.attempts });
        this.#countFinished("expired", 1);
        this.#afterEnd(r, r.remove_on_fail, now);
        return true;
      }
      case "released": {
        const r = s.release.get(this.nextFifo(), queue, item.jobId, item.token);
        if (!r) return false;
        this.wake("job");
        return true;
      }
    }
  }

  // -- maintenance ----------------------------------------------------------------------------

  promoteDelayed(now: number, limit: number): { promoted: number; nextDueAt: number | null } {
    const { s, queue } = this;
    const rows = s.dueDelayed.all(queue, now, sqlLimit(limit)) as Array<{
      seq: number;
      id: string;
      task: string;
    }>;
    for (const row of rows) {
      s.promote.run(this.nextFifo(), row.seq);
      this.emit("job:waiting", { queue, jobId: row.id, task: row.task });
    }
    if (rows.length > 0) this.wake("job");
    const next = s.nextDelayed.get(queue) as { run_at: number } | undefined;
    return { promoted: rows.length, nextDueAt: next?.run_at ?? null };
  }

  recoverStalled(now: number, maxStalledCount: number): { stalled: string[]; failed: string[] } {
    const { s, queue } = this;
    const stalled: string[] = [];
    const failed: string[] = [];
    for (const row of s.expiredLeases.all(queue, now)) {
      const count = row.stalled_count + 1;
      if (count > maxStalledCount) {
        const error = stallLimitError(row.id, count, maxStalledCount);
        this.#end(row.seq, "failed", JSON.stringify(error), now, count);
        this.emit("job:failed", { queue, jobId: row.id, task: row.task, error, attempts: row.attempts });
        this.#afterEnd({ ...row, state: "failed" }, row.remove_on_fail, now);
        failed.push(row.id);
      } else {
        s.requeueStalled.run(count, this.nextFifo(), row.seq);
        this.emit("job:stalled", { queue, jobId: row.id, task: row.task, attempts: row.attempts - 1 });
        this.wake("job");
        stalled.push(row.id);
      }
    }
    return { stalled, failed };
  }

  expireDue(now: number, limit: number): number {
    const rows = this.s.dueExpiries.all(this.queue, now, sqlLimit(limit));
    for (const row of rows) this.expireUnstarted(row, now);
    return rows.length;
  }

  removeExpiredFinished(now: number, limit: number): number {
    const rows = this.s.dueRemovals.all(this.queue, now, sqlLimit(limit));
    for (const row of rows) this.deleteJob(row);
    return rows.length;
  }

  // -- admin ----------------------------------------------------------------------------------

  cancel(jobId: string, now: number): boolean {
    const row = this.s.jobGet.get(this.queue, jobId);
    if (!row || FINISHED.has(row.state)) return false;
    if (row.state === "waiting-children") this.s.depsDeleteAsChild.run(this.queue, row.id);
    this.#end(row.seq, "cancelled", null, now, null);
    this.emit("job:cancelled", { queue: this.queue, jobId: row.id, task: row.task });
    this.#afterEnd({ ...row, state: "cancelled", pending_parents: 0 }, null, now);
    return true;
  }

  retryDead(jobId: string): boolean {
    const row = this.s.jobGet.get(this.queue, jobId);
    if (!row || !DEAD.has(row.state)) return false;
    this.s.retryJob.run(this.nextFifo(), row.seq);
    this.#countFinished(row.state, -1);
    this.emit("job:waiting", { queue: this.queue, jobId, task: row.task });
    this.wake("job");
    return true;
  }

  /**
   * Admin removal (removeJob, drain, clean): deletes `rows`, then settles the children still
   * waiting on any of them as if that parent had failed ("parent job <id> removed"). Children are
   * settled once every row is gone, so a child the removal releases is never removed by the same call.
   */
  remove(rows: Deletable[], now: number): void {
    const parents: string[] = [];
    for (const row of rows) {
      // A finished job's children were settled when it finished; only an unfinished one has any left.
      const settle = row.has_dependants !== 0 && !FINISHED.has(row.state);
      this.deleteJob(row, settle);
      if (settle) parents.push(row.id);
    }
    for (const id of parents) this.#resolveDependants(id, "removed", now);
  }

  /**
   * Deletes a job with its logs, dedup key and dependency edges; with `keepDependants` its edges
   * as a parent stay, for `#resolveDependants` to settle (and delete) them.
   */
  deleteJob(row: Deletable, keepDependants = false): void {
    const { s, queue } = this;
    s.logsDelete.run(queue, row.id);
    if (row.dedup_key !== null) s.dedupRelease.run(queue, row.dedup_key, row.id);
    if (row.pending_parents) s.depsDeleteAsChild.run(queue, row.id);
    if (row.has_dependants && !keepDependants) s.depsDeleteAsParent.run(queue, row.id);
    s.jobDelete.run(row.seq);
    this.#countFinished(row.state, -1);
  }

  // -- shared steps ---------------------------------------------------------------------------

  /** After a job reached a final state: its dependants follow, then its retention applies. */
  #afterEnd(row: Ended, retention: string | null, now: number): void {
    if (row.has_dependants) this.#resolveDependants(row.id, row.state, now);
    this.#retain(row, retention, now);
  }

  /** Children waiting on `parentId`, which just ended in `parentState` (or was removed unfinished). */
  #resolveDependants(parentId: string, parentState: JobState | "removed", now: number): void {
    const { s, queue } = this;
    const children = s.dependantsOf.all(queue, parentId);
    s.depsDeleteAsParent.run(queue, parentId);
    const parentFailed = parentState !== "completed";
    for (const child of children) {
      if (parentFailed && (child.on_parent_failure ?? "fail") === "fail") {
        s.depsDeleteAsChild.run(queue, child.id);
        const error = parentFailedError(parentId, parentState);
        this.#end(child.seq, "failed", JSON.stringify(error), now, null);
        this.emit("job:failed", {
          queue,
          jobId: child.id,
          task: child.task,
          error,
          attempts: child.attempts,
        });
        this.#afterEnd({ ...child, state: "failed", pending_parents: 0 }, child.remove_on_fail, now);
        continue;
      }
      const left = (s.parentResolved.get(child.seq) as { pending_parents: number }).pending_parents;
      if (left > 0) continue;
      const delayed = child.run_at !== null && child.run_at > now;
      s.ready.run(delayed ? "delayed" : "waiting", this.nextFifo(), child.seq);
      this.emit("job:ready", { queue, jobId: child.id, task: child.task });
      this.wake(delayed ? "delayed" : "job");
    }
  }

  /** removeOnComplete / removeOnFail for a job that just reached its finished state. */
  #retain(row: Deletable, specJson: string | null, now: number): void {
    if (specJson === null) return;
    const retention = readRetention(JSON.parse(specJson) as RetentionSpec);
    if (retention === true) {
      this.deleteJob(row);
      return;
    }
    if (retention === null) return;
    if (retention.ageMs !== undefined) this.s.setRemoveAt.run(now + retention.ageMs, row.seq);
    const count = retention.count;
    if (count !== undefined) {
      const held = this.#finishedCount(row.state);
      if (held > count) {
        for (const old of this.s.oldestFinished.all(this.queue, row.state, held - count)) {
          this.deleteJob(old);
        }
      }
    }
  }
}
