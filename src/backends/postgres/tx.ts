/**
 * The job transitions that take several statements, run inside one transaction on one connection
 * (the hot paths, claim, finish and plain enqueue, are single statements: see job-store.ts). A `Tx`
 * collects the events and wake-ups of its transaction; `inTransaction` publishes them to other
 * processes before commit and returns them as the transition's effects.
 */
import type { JobState, RetentionSpec } from "../../job.js";
import type { EnqueueResult, JobError, NewJob, StallSweep } from "../backend.js";
import type { Applied, Effects, EngineContext } from "../engine.js";
import { EffectsCollector, WAKE_BITS, wakeReasons } from "../shared/effects.js";
import {
  announceFree,
  childWait,
  dedupHolds,
  dedupReplaces,
  dependencyEntry,
  dependencyFailureText,
  dependencyKey,
  dependencyRef,
  duplicateResult,
  externalParents,
  FINISHED,
  initialState,
  parentFailedError,
  planStallSweep,
  readRetention,
  requireParents,
  type SortedParents,
  type StallCharge,
  sortParents,
  stallLimitError,
} from "../shared/rules.js";
import { newJobRow, stallFacts } from "../shared/sql-rows.js";
import { CALLER_ORIGIN, type Transact } from "./caller-tx.js";
import type { Connection, Query } from "./connection.js";
import type { JobRow, Removable } from "./rows.js";
import type { Statements } from "./statements.js";

const NO_PARENTS: SortedParents<JobRow> = { pending: undefined, failedParent: undefined };

/** Row facts needed once a job reached a final state (`retention`: its spec for that state). */
export interface Ended {
  seq: number;
  id: string;
  task: string;
  attempts: number;
  has_dependants: boolean;
  retention: string | null;
}

/** Pairwise queues and ids of the jobs `entries` (dependsOn of a job of `queue`) name, as the SQL takes them. */
function refColumns(queue: string, entries: readonly string[]): [string[], string[]] {
  const queues: string[] = [];
  const ids: string[] = [];
  for (const entry of entries) {
    const ref = dependencyRef(queue, entry);
    queues.push(ref.queue);
    ids.push(ref.id);
  }
  return [queues, ids];
}

/**
 * One transaction on one queue: its transitions, events and wake-ups. It always builds events, for
 * the other processes that subscribe (the database knows which). A dependant settled in another
 * queue is settled through `at(queue)`: a sibling Tx of the same transaction for that queue, whose
 * events and wake-ups are published with this one's.
 */
export class Tx extends EffectsCollector {
  /** Whether the queue has a global concurrency: read at the first freed slot, if any. */
  #limited: boolean | undefined;
  /** The transaction's first Tx (the transition's queue); every sibling hangs off it. */
  readonly #root: Tx;

  constructor(
    /** Runs one statement in this transaction. */
    readonly q: Query,
    readonly s: Statements,
    readonly queue: string,
    root?: Tx,
  ) {
    super(true);
    this.#root = root ?? this;
  }

  /** The Tx of `queue` in this transaction: the root for its own queue, else a sibling. */
  at(queue: string): Tx {
    const root = this.#root;
    if (queue === root.queue) return root;
    return root.sibling(queue, () => new Tx(this.q, this.s, queue, root));
  }

  /** Locks and returns the stored jobs that dependsOn `entries` of a job of this queue name, by entry. */
  async #lockDependencies(entries: readonly string[]): Promise<Map<string, JobRow>> {
    const rows = await this.q<JobRow>(this.s.lockParents, refColumns(this.queue, entries));
    return new Map(rows.map((row) => [dependencyEntry(this.queue, row.queue, row.id), row]));
  }

  /** Edges from the unfinished `parents` (any queue) to job `id` of this queue. */
  async #dependOn(id: string, parents: JobRow[]): Promise<void> {
    if (parents.length === 0) return;
    const queues = parents.map((p) => p.queue);
    const ids = parents.map((p) => p.id);
    await this.q(this.s.depInsert, [queues, ids, this.queue, id]);
  }

  /** Job `id` of this queue keeps the outcome of each finished job it depends on (`done`). */
  async #keepOutcomes(id: string, done: readonly JobRow[]): Promise<void> {
    for (const parent of done) {
      const key = dependencyKey(parent.queue, parent.id);
      if (parent.state === "completed") {
        await this.q(this.s.keepOutcome, [this.queue, id, key, parent.result ?? "null", null]);
      } else {
        const message = parent.error ? (JSON.parse(parent.error) as JobError).message : undefined;
        const failure = dependencyFailureText(parent.state, message);
        await this.q(this.s.keepOutcome, [this.queue, id, key, null, failure]);
      }
    }
  }

  // -- enqueue --------------------------------------------------------------------------------

  /** Refuses a batch with a parent that is neither a job of the queue nor added earlier in it (see `requireParents`). */
  async requireParents(jobs: readonly NewJob[]): Promise<void> {
    const entries = externalParents(jobs);
    if (entries.length === 0) return;
    const found = await this.#lockDependencies(entries);
    requireParents(this.queue, entries, (entry) => found.has(entry));
  }

  /** Inserts one job as `enqueue` does (duplicates, dedup, parents, initial state, events). */
  async insert(job: NewJob): Promise<EnqueueResult> {
    const { s, queue } = this;
    if (job.id !== undefined) {
      const [existing] = await this.q<JobRow>(s.jobGet, [queue, job.id]);
      if (existing) return duplicateResult(this, queue, existing.id, existing.state, existing.task);
    }
    const createdAt = job.createdAt;
    if (job.dedup) {
      await this.q(s.lockKey, [JSON.stringify([queue, job.dedup.key])]);
      const [d] = await this.q<{ job_id: string; added_at: number; state: JobState; task: string }>(
        s.dedupGet,
        [queue, job.dedup.key],
      );
      if (d && dedupHolds(job.dedup.ttl, d.added_at, d.state, createdAt)) {
        // Locked, so a concurrent promotion cannot start the holder between this check and its removal.
        const holder = dedupReplaces(job.dedup, d.state)
          ? (await this.q<JobRow>(s.jobLock, [queue, d.job_id]))[0]
          : undefined;
        if (holder === undefined || !dedupReplaces(job.dedup, holder.state)) {
          if (job.dedup.extend) await this.q(s.dedupExtend, [queue, job.dedup.key, createdAt]);
          return duplicateResult(this, queue, d.job_id, holder?.state ?? d.state, holder?.task ?? d.task);
        }
        await this.removeJobs([holder], createdAt);
      }
    }

    let parents: SortedParents<JobRow> = NO_PARENTS;
    let dependsOn: string[] | undefined;
    if (job.dependsOn && job.dependsOn.length > 0) {
      dependsOn = [...new Set(job.dependsOn)];
      const rows = await this.#lockDependencies(dependsOn);
      parents = sortParents(queue, dependsOn, job.onParentFailure, (entry) => rows.get(entry));
    }
    const { pending, failedParent } = parents;

    let id = job.id;
    if (id === undefined) id = String((await this.q<{ last_id: number }>(s.nextId, [queue]))[0]?.last_id);
    else await this.q(s.queueEnsure, [queue]);
    const state = initialState(parents, job.runAt, createdAt);
    const error = failedParent
      ? parentFailedError(dependencyEntry(queue, failedParent.queue, failedParent.id), failedParent.state)
      : undefined;
    const row = newJobRow(queue, id, job, state, {
      dependsOn,
      pending: failedParent ? 0 : (pending?.length ?? 0),
      error,
    });
    const [inserted] = await this.q<{ seq: number }>(s.jobInsert, [JSON.stringify(row), job.lifo === true]);
    if (!inserted) {
      // Another transaction inserted this custom id since the check above.
      const [existing] = await this.q<JobRow>(s.jobGet, [queue, id]);
      return duplicateResult(this, queue, id, existing?.state ?? "waiting", existing?.task ?? job.task);
    }
    if (job.dedup) await this.q(s.dedupSet, [queue, job.dedup.key, id, createdAt]);

    if (state === "failed") {
      this.emit("job:failed", { queue, jobId: id, task: job.task, error, attempts: 0 });
      await this.#retain(inserted.seq, "failed", row.remove_on_fail, createdAt);
    } else {
      if (parents.done) await this.#keepOutcomes(id, parents.done);
      if (pending) await this.#dependOn(id, pending);
      else announceFree(this, queue, id, job.task, state === "delayed", job.runAt);
    }
    return { id, state, duplicate: false };
  }

  // -- unfenced ends --------------------------------------------------------------------------

  /** Waiting, delayed or waiting-children jobs whose ttl passed: expired, never run. */
  async expireUnstarted(rows: JobRow[], now: number): Promise<void> {
    for (const row of rows) {
      this.emit("job:expired", { queue: this.queue, jobId: row.id, task: row.task });
      await this.#end(row.seq, "expired", now);
    }
  }

  async recoverStalled(now: number, maxStalledCount: number): Promise<StallSweep> {
    const { s, queue } = this;
    const stalled: string[] = [];
    const failed: string[] = [];
    const rows = await this.q<JobRow>(s.expiredLeases, [queue, now]);
    if (rows.length === 0) return { stalled, failed, nextLeaseExpiry: await this.nextLeaseExpiry() };
    // The stall rule (shared/rules.ts): a dead worker's jobs share its stall.
    const held = new Map<string, number>();
    for (const r of await this.q<{ worker_id: string | null; held: number }>(s.heldByWorker, [queue])) {
      held.set(r.worker_id ?? "", r.held);
    }
    const sweep = planStallSweep(rows, (r) => r.worker_id, stallFacts, held, maxStalledCount);
    for (const [worker, n] of sweep.deadWorkers) await this.q(s.markPeers, [n, queue, worker, now]);
    for (const [i, row] of rows.entries()) {
      const { stalledCount, stallCharge, fails } = sweep.charges[i] as StallCharge;
      const { id: jobId, task, attempts } = row;
      if (fails) {
        const error = stallLimitError(jobId, stalledCount, stallCharge, maxStalledCount);
        await this.q(s.chargeStall, [stalledCount, stallCharge, row.seq]);
        this.emit("job:failed", { queue, jobId, task, error, attempts });
        await this.#end(row.seq, "failed", now, error);
        await this.#slotFreed();
        failed.push(jobId);
      } else {
        await this.q(s.requeueStalled, [stalledCount, stallCharge, row.seq]);
        this.emit("job:stalled", { queue, jobId, task, attempts: attempts - 1 });
        this.wake("job");
        stalled.push(jobId);
      }
    }
    return { stalled, failed, nextLeaseExpiry: await this.nextLeaseExpiry() };
  }

  /** The earliest lease expiry of the queue's active jobs; null when none is active. */
  async nextLeaseExpiry(): Promise<number | null> {
    return (await this.q<{ at: number | null }>(this.s.nextLeaseExpiry, [this.queue]))[0]?.at ?? null;
  }

  /** The waiting-children finish (see Finish); false when the token no longer holds. */
  async waitForChildren(jobId: string, token: string, childIds: string[], now: number): Promise<boolean> {
    const { s, queue } = this;
    const [row] = await this.q<JobRow>(s.jobLock, [queue, jobId]);
    if (row?.state !== "active" || row.token !== token) return false;
    // Locked, as enqueue's parents are: none finishes before this job's edges commit.
    const rows = await this.#lockDependencies([...new Set(childIds)]);
    const wait = childWait(queue, childIds, row.on_parent_failure ?? undefined, (entry) => rows.get(entry));
    const { ids, pending, failed } = wait;
    // A job failed by a dead child stays active for #end, which ends it.
    const state = wait.state === "failed" ? "active" : wait.state;
    await this.q(s.moveToWaitingChildren, [state, JSON.stringify(ids), pending.length, row.seq]);
    await this.#dependOn(jobId, pending);
    if (!failed) await this.#keepOutcomes(jobId, wait.done);
    await this.#slotFreed();
    if (failed) {
      const error = parentFailedError(dependencyEntry(queue, failed.queue, failed.id), failed.state);
      this.emit("job:failed", { queue, jobId, task: row.task, error, attempts: row.attempts - 1 });
      await this.#end(row.seq, "failed", now, error);
    } else if (state === "waiting") {
      this.emit("job:waiting", { queue, jobId, task: row.task });
      this.wake("job");
    }
    return true;
  }

  async cancel(jobId: string, now: number): Promise<boolean> {
    const [row] = await this.q<JobRow>(this.s.jobLock, [this.queue, jobId]);
    if (!row || FINISHED.has(row.state)) return false;
    this.emit("job:cancelled", { queue: this.queue, jobId: row.id, task: row.task });
    await this.#end(row.seq, "cancelled", now);
    if (row.state === "active") await this.#slotFreed();
    return true;
  }

  /**
   * Deletes jobs (removeJob, drain, clean) at `now`. Children still waiting on an unfinished one are
   * settled as for a failed parent: "fail" children fail ("parent job <id> removed"), "ignore"
   * children count it as done. Jobs of `rows` are skipped by that settling, cascades included: they
   * go with this call, as if deleted before it (the contract's order).
   */
  async removeJobs(rows: Removable[], now: number): Promise<void> {
    const removing = new Set(rows.map((r) => dependencyKey(this.queue, r.id)));
    for (const row of rows) {
      if (row.has_dependants && !FINISHED.has(row.state))
        await this.#resolveDependants(row.id, "removed", now, removing);
    }
    await this.deleteSeqs(rows.map((r) => r.seq));
    if (rows.some((r) => r.state === "active")) await this.#slotFreed();
  }

  /** Settles the children still waiting on `parentIds` of this queue, deleted unfinished (obliterate). */
  async settleRemoved(parentIds: string[], now: number): Promise<void> {
    for (const id of parentIds) await this.#resolveDependants(id, "removed", now);
  }

  /** Deletes jobs with their logs, dedup keys and dependency edges. */
  async deleteSeqs(seqs: number[]): Promise<void> {
    if (seqs.length > 0) await this.q(this.s.jobsDelete, [seqs]);
  }

  // -- shared steps ---------------------------------------------------------------------------

  /**
   * An active job left that state. On a queue with a global concurrency this opened a slot: wake
   * "job", so that workers which found no room claim again at once (free when "job" is raised anyway).
   */
  async #slotFreed(): Promise<void> {
    if ((this.wakeBits & WAKE_BITS.job) !== 0) return;
    if (this.#limited === undefined) {
      const [row] = await this.q<{ global_concurrency: number | null }>(this.s.globalConcurrency, [
        this.queue,
      ]);
      this.#limited = row?.global_concurrency != null;
    }
    if (this.#limited) this.wake("job");
  }

  /**
   * Ends job `seq` (unfenced) in `state` with `error` (kept when null) and `stalledCount` (kept when
   * null); then its dependants and retention follow, as in `afterEnd`.
   */
  async #end(
    seq: number,
    state: JobState,
    now: number,
    error: JobError | null = null,
    stalledCount: number | null = null,
    removing?: ReadonlySet<string>,
  ): Promise<void> {
    const json = error && JSON.stringify(error);
    const [r] = await this.q<Ended>(this.s.endJob, [state, json, now, stalledCount, seq]);
    if (r) await this.afterEnd(r, state, now, removing);
  }

  /**
   * After a job reached a final state: its dependants follow, then its retention applies.
   * `removing`: ids that removeJobs deletes afterwards, left alone here.
   */
  async afterEnd(row: Ended, state: JobState, now: number, removing?: ReadonlySet<string>): Promise<void> {
    if (row.has_dependants) await this.#resolveDependants(row.id, state, now, removing);
    await this.#retain(row.seq, state, row.retention, now);
  }

  /**
   * Children (of any queue) waiting on `parentId` of this queue, which just ended in `parentState`
   * (or was removed unfinished): each keeps its result or failure, then counts it down, starts at
   * once ("continue" after a dead one: its other edges go) or fails with it ("fail"). Children in
   * `removing` (keys "<queue>:<id>") are skipped: removeJobs deletes them.
   */
  async #resolveDependants(
    parentId: string,
    parentState: JobState | "removed",
    now: number,
    removing?: ReadonlySet<string>,
  ): Promise<void> {
    const { s, queue } = this;
    const children = await this.q<JobRow>(s.dependantsOf, [queue, parentId]);
    if (children.length === 0) return;
    const parentFailed = parentState !== "completed";
    const key = dependencyKey(queue, parentId);
    let outcome: [result: string | null, failure: string | null] | undefined;
    for (const child of children) {
      if (removing?.has(dependencyKey(child.queue, child.id))) continue;
      const tx = this.at(child.queue);
      const policy = child.on_parent_failure ?? "fail";
      if (parentFailed && policy === "fail") {
        const error = parentFailedError(dependencyEntry(child.queue, queue, parentId), parentState);
        tx.emit("job:failed", {
          queue: child.queue,
          jobId: child.id,
          task: child.task,
          error,
          attempts: child.attempts,
        });
        await tx.#end(child.seq, "failed", now, error, null, removing);
        continue;
      }
      outcome ??= await this.#outcomeOf(parentId, parentState);
      await this.q(s.keepOutcome, [child.queue, child.id, key, outcome[0], outcome[1]]);
      if (parentFailed && policy === "continue") {
        await this.q(s.dropParents, [child.queue, child.id, child.seq]);
      } else {
        const [left] = await this.q<{ pending_parents: number }>(s.parentResolved, [child.seq]);
        if (!left || left.pending_parents > 0) continue;
      }
      const delayed = child.run_at !== null && child.run_at > now;
      await this.q(s.ready, [delayed ? "delayed" : "waiting", child.seq]);
      tx.emit("job:ready", { queue: child.queue, jobId: child.id, task: child.task });
      tx.wake(delayed ? "delayed" : "job");
    }
  }

  /** What a dependant keeps of `parentId` of this queue, which ended in `state`: [result JSON, failure text]. */
  async #outcomeOf(parentId: string, state: JobState | "removed"): Promise<[string | null, string | null]> {
    if (state === "removed") return [null, dependencyFailureText(state, undefined)];
    const [row] = await this.q<JobRow>(this.s.jobGet, [this.queue, parentId]);
    if (state === "completed") return [row?.result ?? "null", null];
    const error = row?.error ? (JSON.parse(row.error) as JobError) : undefined;
    return [null, dependencyFailureText(state, error?.message)];
  }

  /** removeOnComplete / removeOnFail for a job that just reached `state`. */
  async #retain(seq: number, state: JobState, specJson: string | null, now: number): Promise<void> {
    if (specJson === null) return;
    const retention = readRetention(JSON.parse(specJson) as RetentionSpec);
    if (retention === true) {
      await this.deleteSeqs([seq]);
      return;
    }
    if (retention === null) return;
    if (retention.ageMs !== undefined) await this.q(this.s.setRemoveAt, [now + retention.ageMs, seq]);
    if (retention.count !== undefined) await this.keepNewest(state, retention.count);
  }

  /** Deletes the finished jobs of `state` older than its newest `count` (a count retention). */
  async keepNewest(state: JobState, count: number): Promise<void> {
    const old = await this.q<{ seq: number }>(this.s.beyondCount, [this.queue, state, count]);
    await this.deleteSeqs(old.map((r) => r.seq));
  }
}

/** What running a transaction needs: the connection, this engine's origin id, the delivery context. */
export interface TxRunner {
  readonly db: Connection;
  readonly origin: string;
  readonly ctx: EngineContext;
}

/**
 * Runs `fn` in one transaction on `queue`, publishing its effects before commit; returns its value
 * and effects. With `caller` (the caller's transaction, caller-tx.ts) it runs there and returns no
 * effects: every process hears of them from the NOTIFY, once the caller commits.
 */
export async function inTransaction<T>(
  on: TxRunner,
  queue: string,
  fn: (tx: Tx) => Promise<T>,
  caller?: Transact,
): Promise<Applied<T>> {
  const { db, ctx } = on;
  const origin = caller === undefined ? on.origin : CALLER_ORIGIN;
  const run: Transact = caller ?? ((body) => db.transaction(body));
  const [value, tx] = await run(async (q) => {
    const tx = new Tx(q, db.s, queue);
    const result = await fn(tx);
    // Other processes hear of it on commit: one pg_notify per queue it changed (the events only
    // while one subscribes).
    for (const [name, changed] of [[queue, tx] as const, ...tx.siblings()]) {
      const { events, wakeBits } = changed;
      if (events.length > 0 || wakeBits !== 0) {
        const json = events.length > 0 ? JSON.stringify(events) : null;
        await q(db.s.publish, [name, origin, wakeReasons(wakeBits), json]);
      }
    }
    return [result, tx] as const;
  });
  if (caller !== undefined) return { value };
  return { value, effects: forThisProcess(ctx, queue, tx.take()) };
}

/** Effects on `queue` (and the others it lists) as this process gets them: events only where it listens. */
function forThisProcess(
  ctx: EngineContext,
  queue: string,
  effects: Effects | undefined,
): Effects | undefined {
  if (effects === undefined) return undefined;
  const others = effects.others?.map((o) => ({
    queue: o.queue,
    effects: forThisProcess(ctx, o.queue, o.effects) ?? {},
  }));
  const out: Effects = effects.events && !ctx.wantsEvents(queue) ? { wakes: effects.wakes } : { ...effects };
  if (others !== undefined) out.others = others;
  return out;
}
