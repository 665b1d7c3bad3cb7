/**
 * What every transition of one SQLite write transaction shares: the effects it collects (returned
 * after commit, never delivered here), the queue's id/FIFO and finished-state counters (read once,
 * stored once by `flush`), and the steps that follow a job's end: its dependants, its retention,
 * its deletion. The transitions themselves are in tx.ts.
 */
import type { JobState, RetentionSpec } from "../../job.js";
import type { JobError, WakeReason } from "../backend.js";
import { EffectsCollector, WAKE_BITS } from "../shared/effects.js";
import {
  dependencyEntry,
  dependencyFailureText,
  dependencyKey,
  FINISHED,
  parentFailedError,
  readRetention,
} from "../shared/rules.js";
import { type JobRow, queueFlags } from "./rows.js";
import type { Statements } from "./statements.js";

/** Row facts needed to delete a job with everything attached to it. */
export interface Deletable {
  seq: number;
  id: string;
  state: JobState;
  dedup_key: string | null;
  has_dependants: number;
  /** Absent when the caller knows the job waits on no parent. */
  pending_parents?: number;
  /** Its dependsOn (JSON): a job without one kept no dependency outcomes to delete. */
  depends_on: string | null;
}

/** A queue's wake counters (other processes compare them with the values they last saw). */
export type WakeCounters = Record<WakeReason, number>;

/**
 * One write transaction on one queue: its effects, counters and the steps after a job ends. A
 * transition that settles a dependant in another queue does so through `at(queue)`: a sibling
 * TxCore of the same transaction for that queue (its own counters and effects, flushed with this one).
 */
export class TxCore extends EffectsCollector {
  #lastId = 0;
  #lastSeq = 0;
  #countersLoaded = false;
  /** Net change of the finished-state counts in this transaction, stored once by flush. */
  readonly #finishedDelta = new Map<JobState, number>();
  /** Whether the queue has a global concurrency: read at the first freed slot, if any. */
  #limited: boolean | undefined;

  /** The transaction's first TxCore (the transition's queue); every sibling hangs off it. */
  readonly #root: TxCore;

  constructor(
    protected readonly s: Statements,
    readonly queue: string,
    wantEvents: boolean,
    root?: TxCore,
  ) {
    super(wantEvents);
    this.#root = root ?? this;
  }

  /** The TxCore of `queue` in this transaction: the root for its own queue, else a sibling. */
  at(queue: string): TxCore {
    const root = this.#root;
    if (queue === root.queue) return root;
    return root.sibling(queue, () => {
      const wants = root.wantsEventsOf?.(queue) ?? root.wantEvents;
      return new TxCore(this.s, queue, wants, root);
    });
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
  protected countFinished(state: JobState, delta: 1 | -1): void {
    if (FINISHED.has(state)) this.#finishedDelta.set(state, (this.#finishedDelta.get(state) ?? 0) + delta);
  }

  /** Stores the counters and bumps the wake counters of the reasons raised; returns those counters. */
  flush(): WakeCounters | undefined {
    const { s, queue } = this;
    if (this.#countersLoaded) s.queueStoreCounters.run(this.#lastId, this.#lastSeq, queue);
    for (const [state, delta] of this.#finishedDelta) {
      if (delta !== 0) s.finishedCountAdd.run(queue, state, delta);
    }
    const wakes = this.wakeBits;
    if (wakes === 0) return undefined;
    s.queueEnsure.run(queue);
    const bump = (reason: WakeReason) => ((wakes & WAKE_BITS[reason]) === 0 ? 0 : 1);
    return s.wakeBump.get(bump("job"), bump("delayed"), bump("resume"), queue) as WakeCounters;
  }

  /**
   * An active job left that state. On a queue with a global concurrency this opened a slot: wake
   * "job", so that workers which found no room claim again at once (free when "job" is raised anyway).
   */
  protected slotFreed(): void {
    if ((this.wakeBits & WAKE_BITS.job) !== 0) return;
    this.#limited ??= (queueFlags(this.s, this.queue)?.global_concurrency ?? null) !== null;
    if (this.#limited) this.wake("job");
  }

  // -- after a job ends -----------------------------------------------------------------------

  /**
   * Ends a job that holds no lease (its ttl passed, a parent failed, it stalled too often, or an
   * admin cancelled it), with its event; then its dependants and its retention (removeOnFail, but
   * none for a cancelled job) follow.
   */
  protected endUnleased(
    row: JobRow,
    state: "failed" | "expired" | "cancelled",
    now: number,
    error?: JobError,
    stalledCount: number | null = null,
  ): void {
    const { s, queue } = this;
    if (row.state === "waiting-children") s.depsDeleteAsChild.run(queue, row.id);
    if (row.state === "active") this.slotFreed();
    s.endJob.run(state, error === undefined ? null : JSON.stringify(error), now, stalledCount, row.seq);
    this.countFinished(state, 1);
    const event = { queue, jobId: row.id, task: row.task };
    if (state === "failed") this.emit("job:failed", { ...event, error, attempts: row.attempts });
    else this.emit(`job:${state}`, event);
    const retention = state === "cancelled" ? null : row.remove_on_fail;
    this.afterEnd({ ...row, state, pending_parents: 0 }, retention, now);
  }

  /** After a job reached a final state: its dependants follow, then its retention applies. */
  protected afterEnd(row: Deletable, retention: string | null, now: number): void {
    if (row.has_dependants) this.resolveDependants(row.id, row.state, now);
    this.retain(row, retention, now);
  }

  /**
   * Children (of any queue) waiting on `parentId` of this queue, which just ended in `parentState`
   * (or was removed unfinished): each keeps its result or failure, then counts it down, starts at
   * once ("continue" after a dead one: its other edges go) or fails with it ("fail").
   */
  protected resolveDependants(parentId: string, parentState: JobState | "removed", now: number): void {
    const { s, queue } = this;
    const children = s.dependantsOf.all(queue, parentId);
    s.depsDeleteAsParent.run(queue, parentId);
    if (children.length === 0) return;
    const parentFailed = parentState !== "completed";
    const key = dependencyKey(queue, parentId);
    let outcome: [result: string | null, failure: string | null] | undefined;
    for (const child of children) {
      const tx = this.at(child.queue);
      const policy = child.on_parent_failure ?? "fail";
      if (parentFailed && policy === "fail") {
        const name = dependencyEntry(child.queue, queue, parentId);
        tx.endUnleased(child, "failed", now, parentFailedError(name, parentState));
        continue;
      }
      outcome ??= this.#outcomeOf(parentId, parentState);
      s.keepOutcome.run(child.queue, child.id, key, outcome[0], outcome[1]);
      if (parentFailed && policy === "continue") {
        s.depsDeleteAsChild.run(child.queue, child.id);
        s.parentsDropped.run(child.seq);
      } else {
        const left = (s.parentResolved.get(child.seq) as { pending_parents: number }).pending_parents;
        if (left > 0) continue;
      }
      tx.#ready(child, now);
    }
  }

  /** What a dependant keeps of `parentId` of this queue, which ended in `state`: [result JSON, failure text]. */
  #outcomeOf(parentId: string, state: JobState | "removed"): [string | null, string | null] {
    if (state === "removed") return [null, dependencyFailureText(state, undefined)];
    const row = this.s.jobGet.get(this.queue, parentId);
    if (state === "completed") return [row?.result ?? "null", null];
    const error = row?.error ? (JSON.parse(row.error) as JobError) : undefined;
    return [null, dependencyFailureText(state, error?.message)];
  }

  /** A child of this queue whose parents are done: waiting, or delayed while its runAt is ahead. */
  #ready(child: JobRow, now: number): void {
    const delayed = child.run_at !== null && child.run_at > now;
    this.s.ready.run(delayed ? "delayed" : "waiting", this.nextFifo(), child.seq);
    this.emit("job:ready", { queue: this.queue, jobId: child.id, task: child.task });
    this.wake(delayed ? "delayed" : "job");
  }

  /** removeOnComplete / removeOnFail for a job that just reached its finished state. */
  protected retain(row: Deletable, specJson: string | null, now: number): void {
    if (specJson === null) return;
    const retention = readRetention(JSON.parse(specJson) as RetentionSpec);
    if (retention === null) return;
    if (retention === true) {
      this.deleteJob(row);
      return;
    }
    const { s, queue } = this;
    if (retention.ageMs !== undefined) s.setRemoveAt.run(now + retention.ageMs, row.seq);
    if (retention.count === undefined) return;
    // Jobs held in this state: as last committed, plus this transaction's changes.
    const stored = (s.finishedCount.get(queue, row.state) as { n: number } | undefined)?.n ?? 0;
    const over = stored + (this.#finishedDelta.get(row.state) ?? 0) - retention.count;
    if (over > 0) for (const old of s.oldestFinished.all(queue, row.state, over)) this.deleteJob(old);
  }

  /**
   * Deletes a job with its logs, dedup key and dependency edges; with `keepDependants` its edges
   * as a parent stay, for `resolveDependants` to settle (and delete) them.
   */
  protected deleteJob(row: Deletable, keepDependants = false): void {
    const { s, queue } = this;
    s.logsDelete.run(queue, row.id);
    if (row.dedup_key !== null) s.dedupRelease.run(queue, row.dedup_key, row.id);
    if (row.pending_parents) s.depsDeleteAsChild.run(queue, row.id);
    if (row.has_dependants && !keepDependants) s.depsDeleteAsParent.run(queue, row.id);
    if (row.depends_on !== null) s.outcomesDelete.run(queue, row.id);
    s.jobDelete.run(row.seq);
    this.countFinished(row.state, -1);
    if (row.state === "active") this.slotFreed();
  }
}
