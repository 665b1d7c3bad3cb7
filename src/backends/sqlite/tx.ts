/**
 * The job transitions of the SQLite engine, each run inside one write transaction (see
 * connection.ts). A `Tx` collects the events and wake-ups of its transaction; the engine returns
 * them as effects after commit. The steps shared by several transitions are in tx-core.ts.
 */
import { randomUUID } from "node:crypto";
import type { ClaimedJob, JobState } from "../../job.js";
import type { ClaimOptions, EnqueueResult, Finish, JobError, NewJob, StallSweep } from "../backend.js";
import {
  announceFree,
  childWait,
  claimPeers,
  dedupHolds,
  dedupReplaces,
  dependencyEntry,
  dependencyFailureText,
  dependencyKey,
  dependencyRef,
  duplicateResult,
  FINISHED,
  initialState,
  limitOrNull,
  parentFailedError,
  planStallSweep,
  type SortedParents,
  type StallCharge,
  sortParents,
  stallLimitError,
} from "../shared/rules.js";
import { type NewJobRow, newJobRow, stallFacts } from "../shared/sql-rows.js";
import { type FinishedRow, type JobRow, toClaimed } from "./rows.js";
import { INSERT_BATCH, JOB_COLUMNS } from "./statements.js";
import { type Deletable, TxCore } from "./tx-core.js";

const NO_PARENTS: SortedParents<JobRow> = { pending: undefined, failedParent: undefined };

/** One write transaction on one queue: the transitions. */
export class Tx extends TxCore {
  // -- enqueue --------------------------------------------------------------------------------

  /** Inserts one job as `enqueue` does (duplicates, dedup, parents, initial state, events). */
  insert(job: NewJob): EnqueueResult {
    const { s, queue } = this;
    if (job.id !== undefined) {
      const existing = s.jobGet.get(queue, job.id);
      if (existing) return duplicateResult(this, queue, existing.id, existing.state, existing.task);
    }
    const createdAt = job.createdAt;
    if (job.dedup) {
      const d = s.dedupGet.get(queue, job.dedup.key) as
        | { job_id: string; added_at: number; state: JobState; task: string }
        | undefined;
      if (d && dedupHolds(job.dedup.ttl, d.added_at, d.state, createdAt)) {
        if (!dedupReplaces(job.dedup, d.state)) {
          if (job.dedup.extend) s.dedupExtend.run(createdAt, queue, job.dedup.key);
          return duplicateResult(this, queue, d.job_id, d.state, d.task);
        }
        this.remove([s.jobGet.get(queue, d.job_id) as JobRow], createdAt);
      }
    }

    let parents: SortedParents<JobRow> = NO_PARENTS;
    let dependsOn: string[] | undefined;
    if (job.dependsOn && job.dependsOn.length > 0) {
      dependsOn = [...new Set(job.dependsOn)];
      parents = sortParents(queue, dependsOn, job.onParentFailure, (entry) => this.dependency(entry));
    }
    const { pending, failedParent } = parents;

    const id = job.id ?? this.nextId();
    const state = initialState(parents, job.runAt, createdAt);
    const error = failedParent
      ? parentFailedError(dependencyEntry(queue, failedParent.queue, failedParent.id), failedParent.state)
      : undefined;

    const row = newJobRow(
      queue,
      id,
      job,
      state,
      dependsOn && { dependsOn, pending: failedParent ? 0 : (pending?.length ?? 0), error },
    );
    const info = s.jobInsert.run(this.#values(job, row, []));
    const seq = Number(info.lastInsertRowid);
    if (row.dedup_key !== null) s.dedupSet.run(queue, row.dedup_key, id, createdAt);

    if (state === "failed") {
      this.countFinished("failed", 1);
      this.emit("job:failed", { queue, jobId: id, task: job.task, error, attempts: 0 });
      this.retain(
        { seq, id, state, dedup_key: row.dedup_key, has_dependants: 0, depends_on: null },
        row.remove_on_fail,
        createdAt,
      );
    } else {
      if (parents.done) this.keepOutcomes(id, parents.done);
      if (pending) this.dependOn(id, pending);
      else announceFree(this, queue, id, job.task, state === "delayed", job.runAt);
    }
    return { id, state, duplicate: false };
  }

  /**
   * Inserts `jobs` as `insert` does each, in order. A plain job (no id, dedup or parents: nothing
   * to look up, nothing to settle) is one row of a multi-row INSERT of INSERT_BATCH rows, which
   * costs SQLite ~25% less per row than a statement each (docs/performance.md).
   */
  insertMany(jobs: NewJob[]): EnqueueResult[] {
    const { s, queue } = this;
    const results = new Array<EnqueueResult>(jobs.length);
    // The values of the plain rows not written yet, INSERT_BATCH at most.
    let values: unknown[] = [];
    let rows = 0;
    const flush = () => {
      for (let r = 0; r < rows; r++) s.jobInsert.run(values.slice(r * JOB_COLUMNS, (r + 1) * JOB_COLUMNS));
      values = [];
      rows = 0;
    };
    for (let i = 0; i < jobs.length; i++) {
      const job = jobs[i] as NewJob;
      if (job.id !== undefined || job.dedup !== undefined || (job.dependsOn?.length ?? 0) > 0) {
        flush(); // rows keep their order of creation (seq)
        results[i] = this.insert(job);
        continue;
      }
      const id = this.nextId();
      const state = initialState(NO_PARENTS, job.runAt, job.createdAt);
      this.#values(job, newJobRow(queue, id, job, state), values);
      if (++rows === INSERT_BATCH) {
        s.jobInsertBatch.run(values);
        values = [];
        rows = 0;
      }
      announceFree(this, queue, id, job.task, state === "delayed", job.runAt);
      results[i] = { id, state, duplicate: false };
    }
    flush();
    return results;
  }

  /**
   * Appends the values of a new row to `out`, in enqueue.sql's column order (positional binding:
   * better-sqlite3 binds the 24 values from an object, @queue ..., about twice as slowly).
   */
  #values(job: NewJob, row: NewJobRow, out: unknown[]): unknown[] {
    out.push(
      row.queue,
      row.id,
      row.task,
      row.data,
      row.state,
      row.priority,
      job.lifo ? -this.nextFifo() : this.nextFifo(), // negative: ahead of every FIFO job, newest first
      row.max_retries,
      row.created_at,
      row.run_at,
      row.ttl,
      row.ttl === null ? null : job.createdAt + row.ttl,
      row.timeout,
      row.backoff,
      row.depends_on,
      row.pending_parents,
      row.on_parent_failure,
      row.remove_on_complete,
      row.remove_on_fail,
      row.inherit,
      row.dedup_key,
      row.error,
      row.finished_at,
      row.trace_context,
    );
    return out;
  }

  /** The stored job a dependsOn entry of a job of this queue names (in any queue), if any. */
  private dependency(entry: string): JobRow | undefined {
    const ref = dependencyRef(this.queue, entry);
    return this.s.jobGet.get(ref.queue, ref.id);
  }

  /** Edges from the unfinished `parents` (any queue) to job `id` of this queue. */
  private dependOn(id: string, parents: JobRow[]): void {
    const { s, queue } = this;
    for (const parent of parents) {
      s.depInsert.run(parent.queue, parent.id, queue, id);
      if (!parent.has_dependants) s.markHasDependants.run(parent.seq);
    }
  }

  /** Job `id` of this queue keeps the outcome of each finished job it depends on (`done`). */
  private keepOutcomes(id: string, done: JobRow[]): void {
    for (const parent of done) {
      const key = dependencyKey(parent.queue, parent.id);
      if (parent.state === "completed")
        this.s.keepOutcome.run(this.queue, id, key, parent.result ?? "null", null);
      else {
        const message = parent.error ? (JSON.parse(parent.error) as JobError).message : undefined;
        this.s.keepOutcome.run(this.queue, id, key, null, dependencyFailureText(parent.state, message));
      }
    }
  }

  // -- claim ----------------------------------------------------------------------------------

  /** Claims up to `limit` (at most `options.limit`) waiting jobs, or only job `options.jobId`. */
  claim(options: ClaimOptions, limit: number): ClaimedJob[] {
    const { s, queue } = this;
    const { workerId, now, leaseMs, jobId: only } = options;
    const claimed: ClaimedJob[] = [];
    const leaseExpiresAt = now + leaseMs;
    const peers = claimPeers(options);
    for (;;) {
      const wanted = limit - claimed.length;
      const one = only === undefined ? undefined : s.claimOne.get(queue, only);
      const rows = only === undefined ? s.claimCandidates.all(queue, wanted) : one ? [one] : [];
      let expired = 0;
      for (const row of rows) {
        if (row.expires_at !== null && now >= row.expires_at) {
          this.endUnleased(row, "expired", now);
          expired++;
          continue;
        }
        const token = randomUUID();
        s.markActive.run(now, token, workerId, leaseExpiresAt, peers, row.seq);
        const job = toClaimed(row, now, token, workerId, leaseExpiresAt);
        claimed.push(job);
        this.emit("job:started", { queue, jobId: row.id, task: row.task, attempts: job.attempts, workerId });
      }
      // Expired candidates left room: look further, until the limit or the queue runs out.
      if (expired === 0 || only !== undefined || claimed.length >= limit) return claimed;
    }
  }

  // -- finish ---------------------------------------------------------------------------------

  /** Applies one finish item; false when its token no longer holds. */
  finish(item: Finish, now: number): boolean {
    const { s, queue } = this;
    const { jobId, token } = item;
    let r: FinishedRow | undefined;
    switch (item.kind) {
      case "released":
        if (!s.release.get(this.nextFifo(), queue, jobId, token)) return false;
        this.wake("job");
        return true;
      case "retry": {
        const delayed = item.runAt > now;
        const errorJson = JSON.stringify(item.error);
        const state = delayed ? "delayed" : "waiting";
        const row = s.retry.get(state, errorJson, item.runAt, this.nextFifo(), queue, jobId, token) as
          | { task: string; attempts: number }
          | undefined;
        if (!row) return false;
        if (this.wantEvents) {
          const { task, attempts } = row;
          const error = JSON.parse(errorJson);
          this.emit("job:retrying", { queue, jobId, task, error, attempts, runAt: item.runAt });
        }
        this.wake(delayed ? "delayed" : "job");
        this.slotFreed();
        return true;
      }
      case "delayed": {
        const delayed = item.runAt > now;
        const { runAt } = item;
        const args = [delayed ? "delayed" : "waiting", runAt, item.dataJson ?? null, this.nextFifo()];
        const row = s.moveToDelayed.get(...args, queue, jobId, token) as { task: string } | undefined;
        if (!row) return false;
        if (delayed) this.emit("job:delayed", { queue, jobId, task: row.task, runAt });
        else this.emit("job:waiting", { queue, jobId, task: row.task });
        this.wake(delayed ? "delayed" : "job");
        this.slotFreed();
        return true;
      }
      case "waiting-children":
        return this.waitForChildren(item.jobId, item.token, item.childIds, now);
      case "completed":
        r = s.complete.get(item.resultJson, now, queue, jobId, token);
        if (r && this.wantEvents) {
          const result = JSON.parse(item.resultJson);
          this.emit("job:completed", { queue, jobId, task: r.task, attempts: r.attempts, result });
        }
        break;
      case "failed": {
        const errorJson = JSON.stringify(item.error);
        r = s.fail.get(errorJson, now, queue, jobId, token);
        if (r && this.wantEvents) {
          const error = JSON.parse(errorJson);
          this.emit("job:failed", { queue, jobId, task: r.task, error, attempts: r.attempts });
        }
        break;
      }
      case "expired":
        r = s.expireActive.get(now, queue, jobId, token);
        if (r) this.emit("job:expired", { queue, jobId, task: r.task, attempts: r.attempts });
        break;
    }
    if (!r) return false;
    this.countFinished(r.state, 1);
    this.slotFreed();
    this.afterEnd(r, r.retention, now);
    return true;
  }

  /** The waiting-children finish (see Finish); false when the token no longer holds. */
  private waitForChildren(jobId: string, token: string, childIds: string[], now: number): boolean {
    const { s, queue } = this;
    const row = s.jobGet.get(queue, jobId) as JobRow | undefined;
    if (row?.state !== "active" || row.token !== token) return false;
    const wait = childWait(queue, childIds, row.on_parent_failure ?? undefined, (entry) =>
      this.dependency(entry),
    );
    const { ids, pending, failed } = wait;
    // A job failed by a dead child stays active for endUnleased, which ends it.
    const state = wait.state === "failed" ? "active" : wait.state;
    s.moveToWaitingChildren.run(state, JSON.stringify(ids), pending.length, this.nextFifo(), row.seq);
    this.dependOn(jobId, pending);
    if (!failed) this.keepOutcomes(jobId, wait.done);
    if (failed) {
      const error = parentFailedError(dependencyEntry(queue, failed.queue, failed.id), failed.state);
      this.endUnleased({ ...row, attempts: row.attempts - 1 }, "failed", now, error);
      return true;
    }
    this.slotFreed();
    if (state === "waiting") {
      this.emit("job:waiting", { queue, jobId, task: row.task });
      this.wake("job");
    }
    return true;
  }

  // -- maintenance ----------------------------------------------------------------------------

  /**
   * Moves up to `limit` delayed jobs with `runAt <= until` to waiting, earliest first; a job promoted
   * before its runAt gets `runAt = now`. Returns how many, and the earliest runAt left.
   */
  promote(until: number, now: number, limit: number): { promoted: number; nextDueAt: number | null } {
    const { s, queue } = this;
    const due = s.dueDelayed.all(queue, until, limitOrNull(limit) ?? -1);
    const rows = due as Array<Pick<JobRow, "seq" | "id" | "task">>;
    for (const row of rows) {
      s.promote.run(this.nextFifo(), now, row.seq);
      this.emit("job:waiting", { queue, jobId: row.id, task: row.task });
    }
    if (rows.length > 0) this.wake("job");
    const next = s.nextDelayed.get(queue) as { run_at: number } | undefined;
    return { promoted: rows.length, nextDueAt: next?.run_at ?? null };
  }

  recoverStalled(now: number, maxStalledCount: number): StallSweep {
    const { s, queue } = this;
    const stalled: string[] = [];
    const failed: string[] = [];
    const nextLeaseExpiry = () => (s.nextLeaseExpiry.get(queue) as { at: number | null }).at;
    const next = nextLeaseExpiry();
    if (next === null || next >= now) return { stalled, failed, nextLeaseExpiry: next };
    const rows = s.expiredLeases.all(queue, now);
    // The stall rule (shared/rules.ts): a dead worker's jobs share its stall.
    const held = new Map<string, number>();
    for (const r of s.heldByWorker.all(queue) as Array<{ worker_id: string | null; held: number }>) {
      held.set(r.worker_id ?? "", r.held);
    }
    const sweep = planStallSweep(rows, (r) => r.worker_id, stallFacts, held, maxStalledCount);
    for (const [worker, n] of sweep.deadWorkers) s.markPeers.run(n, queue, worker, now);
    for (const [i, row] of rows.entries()) {
      const { stalledCount, stallCharge, fails } = sweep.charges[i] as StallCharge;
      if (fails) {
        s.chargeStall.run(stalledCount, stallCharge, row.seq);
        const error = stallLimitError(row.id, stalledCount, stallCharge, maxStalledCount);
        this.endUnleased(row, "failed", now, error);
        failed.push(row.id);
      } else {
        s.requeueStalled.run(stalledCount, stallCharge, this.nextFifo(), row.seq);
        this.emit("job:stalled", { queue, jobId: row.id, task: row.task, attempts: row.attempts - 1 });
        this.wake("job");
        stalled.push(row.id);
      }
    }
    return { stalled, failed, nextLeaseExpiry: nextLeaseExpiry() };
  }

  expireDue(now: number, limit: number): number {
    const rows = this.s.dueExpiries.all(this.queue, now, limitOrNull(limit) ?? -1);
    for (const row of rows) this.endUnleased(row, "expired", now);
    return rows.length;
  }

  removeExpiredFinished(now: number, limit: number): number {
    const rows = this.s.dueRemovals.all(this.queue, now, limitOrNull(limit) ?? -1);
    for (const row of rows) this.deleteJob(row);
    return rows.length;
  }

  // -- admin ----------------------------------------------------------------------------------

  cancel(jobId: string, now: number): boolean {
    const row = this.s.jobGet.get(this.queue, jobId);
    if (!row || FINISHED.has(row.state)) return false;
    this.endUnleased(row, "cancelled", now);
    return true;
  }

  /** A finished job back to waiting (retryJob); false when it is missing or not finished. */
  retryOne(jobId: string): boolean {
    const row = this.s.jobGet.get(this.queue, jobId);
    if (!row || !FINISHED.has(row.state)) return false;
    this.#retry(row);
    return true;
  }

  /** Up to `limit` jobs in the finished `state` that finished before `olderThan` back to waiting; returns how many. */
  retryBatch(state: JobState, olderThan: number, limit: number): number {
    const rows = this.s.retryable.all(this.queue, state, olderThan, limit) as Array<
      Pick<JobRow, "seq" | "id" | "task" | "state">
    >;
    for (const row of rows) this.#retry(row);
    return rows.length;
  }

  #retry(row: Pick<JobRow, "seq" | "id" | "task" | "state">): void {
    this.s.retryJob.run(this.nextFifo(), row.seq);
    this.countFinished(row.state, -1);
    this.emit("job:waiting", { queue: this.queue, jobId: row.id, task: row.task });
    this.wake("job");
  }

  /** A delayed job due at `runAt` instead, behind the jobs already due then; false when not delayed. */
  redelay(jobId: string, runAt: number): boolean {
    const row = this.s.changeDelay.get(runAt, this.nextFifo(), this.queue, jobId) as
      | { task: string }
      | undefined;
    if (!row) return false;
    this.emit("job:delayed", { queue: this.queue, jobId, task: row.task, runAt });
    this.wake("delayed");
    return true;
  }

  /** Settles the children still waiting on `parentIds` of this queue, deleted unfinished (obliterate). */
  settleRemoved(parentIds: string[], now: number): void {
    for (const id of parentIds) this.resolveDependants(id, "removed", now);
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
    for (const id of parents) this.resolveDependants(id, "removed", now);
  }
}
