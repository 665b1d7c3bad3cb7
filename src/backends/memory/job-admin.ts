/**
 * The memory engine's admin moves of jobs: retry (one or a batch), promotion (due or not), and the
 * changes to a stored job (data, priority, delay). Each runs inside one synchronous transition of
 * job-store.ts, which owns the collector and compaction.
 */
import type { JobState } from "../../job.js";
import type { EffectsCollector } from "../shared/effects.js";
import { isCurrent, type QueueState } from "./queue-state.js";
import { jobEvent, setState, toDelayed, toWaiting } from "./steps.js";
import type { StoredJob } from "./stored-job.js";

/** A finished job back to waiting at the FIFO tail, reset: attempts, stalls, outcome (retryJob). */
export function retryFinished(tx: EffectsCollector, q: QueueState, job: StoredJob): void {
  job.attempts = 0;
  job.stalledCount = 0;
  job.stallCharge = 0;
  job.error = undefined;
  job.resultJson = undefined;
  job.finishedAt = undefined;
  toWaiting(tx, q, job);
  jobEvent(tx, "job:waiting", job);
}

/**
 * Retries up to `limit` jobs in the finished `state` that finished before `olderThan`, oldest
 * finished first (equal times in creation order); returns how many. An admin scan of the queue.
 */
export function retryBatch(
  tx: EffectsCollector,
  q: QueueState,
  state: JobState,
  olderThan: number,
  limit: number,
): number {
  const picked: StoredJob[] = [];
  // The map is in creation order and the sort is stable, so equal times stay in creation order.
  for (const job of q.jobs.values()) {
    if (job.state === state && (job.finishedAt as number) < olderThan) picked.push(job);
  }
  picked.sort((a, b) => (a.finishedAt as number) - (b.finishedAt as number));
  picked.length = Math.min(picked.length, limit);
  for (const job of picked) retryFinished(tx, q, job);
  return picked.length;
}

/**
 * Moves up to `limit` delayed jobs with `runAt <= until` to waiting, earliest first (equal runAts
 * in the order they became delayed); a job promoted before its time gets `runAt = now`. Returns how many.
 */
export function promote(
  tx: EffectsCollector,
  q: QueueState,
  until: number,
  now: number,
  limit: number,
): number {
  let promoted = 0;
  for (let top = q.delayed.peek(); top !== undefined; top = q.delayed.peek()) {
    if (!isCurrent(top.job, top.seq)) {
      q.delayed.pop();
      continue;
    }
    if (top.at > until || promoted >= limit) break;
    q.delayed.pop();
    promoteOne(tx, q, top.job, Math.min(top.job.runAt as number, now));
    promoted++;
  }
  return promoted;
}

/**
 * A delayed job to the FIFO tail of waiting, due at `runAt`; job:waiting. A lifo job not yet run
 * goes to the head (one delayed by a retry's backoff has run: it goes to the tail).
 */
export function promoteOne(tx: EffectsCollector, q: QueueState, job: StoredJob, runAt: number): void {
  // Its heap entry goes stale with the state change (its seq no longer matches).
  job.runAt = runAt;
  toWaiting(tx, q, job, job.spec.lifo === true && job.attempts === 0);
  jobEvent(tx, "job:waiting", job);
}

/** A delayed job due at `runAt` instead, behind the jobs already due then; job:delayed. */
export function redelay(tx: EffectsCollector, q: QueueState, job: StoredJob, runAt: number): void {
  // Its heap entry goes stale with the state change (its seq no longer matches).
  job.runAt = runAt;
  toDelayed(tx, q, job);
  if (tx.wantEvents) tx.emit("job:delayed", { queue: q.name, jobId: job.id, task: job.task, runAt });
}

/** Sets the job's priority; a waiting job moves to the FIFO tail of its new priority. */
export function reprioritize(q: QueueState, job: StoredJob, priority: number): void {
  job.amend({ priority });
  if (job.state !== "waiting") return;
  // A new state sequence makes its old bucket entry stale.
  setState(q, job, "waiting");
  q.waiting.push(job, priority, job.stateSeq);
}
