/**
 * The steps the memory transitions share: state changes (which keep counts and indexes in step),
 * finishing, settling dependants, retention, deletion and index compaction. Each step reports its
 * events and wake-ups to the transition's collector (`MemoryData.begin`).
 */
import type { JobEventName } from "../../events.js";
import type { JobState } from "../../job.js";
import type { JobError } from "../backend.js";
import type { EffectsCollector } from "../shared/effects.js";
import {
  dependencyEntry,
  dependencyFailureText,
  dependencyKey,
  dependencyRef,
  parentFailedError,
  readRetention,
  UNSTARTED,
} from "../shared/rules.js";
import { isCurrent, isCurrentEntry, type QueueState, type RetainedState } from "./queue-state.js";
import type { StoredJob } from "./stored-job.js";

/** An index may hold this many stale entries beyond twice its live ones before it is rebuilt. */
const INDEX_SLACK = 1024;

/** The one place a job changes state: keeps counts, the active set and the ttl heap in step. */
export function setState(q: QueueState, job: StoredJob, state: JobState): void {
  const from = job.state;
  q.counts[from]--;
  q.counts[state]++;
  job.state = state;
  job.stateSeq = ++q.seq;
  if (from === "active") q.active.delete(job);
  if (state === "active") q.active.add(job);
  else if (job.spec.ttl !== undefined && !job.ttlQueued && UNSTARTED.has(state)) {
    job.ttlQueued = true;
    q.ttl.push({ at: job.spec.createdAt + job.spec.ttl, seq: job.stateSeq, job });
  }
}

/** To waiting: at the tail of its priority, or at its head when `front` (a lifo job added or promoted). */
export function toWaiting(tx: EffectsCollector, q: QueueState, job: StoredJob, front = false): void {
  setState(q, job, "waiting");
  q.waiting.push(job, job.spec.priority, job.stateSeq, front);
  tx.wake("job");
}

export function toDelayed(tx: EffectsCollector, q: QueueState, job: StoredJob): void {
  setState(q, job, "delayed");
  q.delayed.push({ at: job.runAt as number, seq: job.stateSeq, job });
  tx.wake("delayed");
}

export function toFinished(q: QueueState, job: StoredJob, state: JobState, now: number): void {
  setState(q, job, state);
  job.finishedAt = now;
  clearLease(job);
}

export function clearLease(job: StoredJob): void {
  job.token = undefined;
  job.workerId = undefined;
  job.leaseExpiresAt = undefined;
}

/** Moves `job` (its result or error already set) to `state`, with its event, dependants and retention. */
export function finishJob(
  tx: EffectsCollector,
  q: QueueState,
  job: StoredJob,
  state: RetainedState,
  now: number,
): void {
  toFinished(q, job, state, now);
  emitFinished(tx, job);
  settleDependants(tx, q, job, now);
  retain(q, job, now);
}

/** The event of a job that just finished, by its state. */
function emitFinished(tx: EffectsCollector, job: StoredJob): void {
  if (!tx.wantEvents) return;
  const { queue, id: jobId, task } = job;
  if (job.state === "completed") {
    tx.emit("job:completed", { queue, jobId, task, result: JSON.parse(job.resultJson as string) });
  } else if (job.state === "failed") {
    tx.emit("job:failed", {
      queue,
      jobId,
      task,
      error: { ...(job.error as JobError) },
      attempts: job.attempts,
    });
  } else tx.emit("job:expired", { queue, jobId, task });
}

/** An event whose payload is the job's queue, id and task only. */
export function jobEvent(tx: EffectsCollector, name: JobEventName, job: StoredJob): void {
  if (tx.wantEvents) tx.emit(name, { queue: job.queue, jobId: job.id, task: job.task });
}

/**
 * Tells the children of a job that just finished, in whatever queue they are (the effects on
 * another queue go to `tx.other`): each keeps the parent's result or failure; a completed parent
 * (or a dead one, for children that "ignore" failures) counts down their pending parents; a dead
 * one starts "continue" children at once (they stop waiting for the others); otherwise they fail
 * with ParentFailedError, which cascades to their own children. Iterative, so deep chains are
 * fine. With `rootRemoved`, `root` was deleted unfinished: it counts as failed ("parent job <id>
 * removed"). `q` is the queue of `root` (the transition's).
 */
export function settleDependants(
  tx: EffectsCollector,
  q: QueueState,
  root: StoredJob,
  now: number,
  rootRemoved = false,
): void {
  // Most jobs have no dependants: no walk (and no stack array) for those.
  if (root.dependants === undefined) return;
  const parents = [root];
  for (let parent = parents.pop(); parent !== undefined; parent = parents.pop()) {
    const children = parent.dependants;
    if (children === undefined) continue;
    parent.dependants = undefined;
    const state = rootRemoved && parent === root ? "removed" : parent.state;
    const done = state === "completed";
    for (const child of children) {
      if (child.removed || child.state !== "waiting-children") continue;
      const cq = child.home;
      const ctx = cq === q ? tx : tx.other(cq.name);
      const policy = child.spec.onParentFailure ?? "fail";
      if (done || policy !== "fail") {
        keepOutcome(child, parent, state);
        if (done || policy === "ignore") {
          if (--child.pendingParents === 0) ready(ctx, cq, child, now);
        } else {
          dropEdges(child);
          ready(ctx, cq, child, now);
        }
        continue;
      }
      child.error = parentFailedError(dependencyEntry(cq.name, parent.queue, parent.id), state);
      toFinished(cq, child, "failed", now);
      emitFinished(ctx, child);
      parents.push(child);
      retain(cq, child, now);
    }
  }
}

/** Keeps on `job` what its dependency `parent`, just ended in `state`, left: its result or its failure. */
export function keepOutcome(job: StoredJob, parent: StoredJob, state: JobState | "removed"): void {
  const key = dependencyKey(parent.queue, parent.id);
  if (state === "completed") {
    job.keptValues ??= new Map();
    job.keptValues.set(key, parent.resultJson ?? "null");
  } else {
    job.keptFailures ??= new Map();
    job.keptFailures.set(key, dependencyFailureText(state, parent.error?.message));
  }
}

/**
 * A "continue" child that starts at once stops waiting: it leaves the dependants of its unfinished
 * parents, so their later ends do nothing to it.
 */
function dropEdges(child: StoredJob): void {
  child.pendingParents = 0;
  for (const entry of child.spec.dependsOn ?? []) {
    const parent = findDependency(child.home, entry);
    if (parent?.dependants !== undefined) parent.dependants = parent.dependants.filter((c) => c !== child);
  }
}

/** The job a dependsOn entry of a job of `q` names (in `q` or another queue), if stored. */
export function findDependency(q: QueueState, entry: string): StoredJob | undefined {
  if (!entry.includes(":")) return q.jobs.get(entry);
  const ref = dependencyRef(q.name, entry);
  return q.all.get(ref.queue)?.jobs.get(ref.id);
}

/** A child whose parents are all done: `waiting`, or `delayed` while its `runAt` is ahead. */
function ready(tx: EffectsCollector, q: QueueState, job: StoredJob, now: number): void {
  if (job.runAt !== undefined && job.runAt > now) toDelayed(tx, q, job);
  else toWaiting(tx, q, job, job.spec.lifo === true);
  jobEvent(tx, "job:ready", job);
}

/** Applies `removeOnComplete` / `removeOnFail` to a job that just finished. */
export function retain(q: QueueState, job: StoredJob, now: number): void {
  const state = job.state as RetainedState;
  const limits = readRetention(state === "completed" ? job.spec.removeOnComplete : job.spec.removeOnFail);
  if (limits === true) {
    deleteJob(q, job);
    return;
  }
  const list = q.finished[state];
  list.push(job, job.stateSeq);
  if (list.length > 2 * q.counts[state] + INDEX_SLACK) list.filter(isCurrent);
  if (limits === null) return;
  if (limits.ageMs !== undefined) q.retention.push({ at: now + limits.ageMs, seq: job.stateSeq, job });
  if (limits.count === undefined) return;
  while (q.counts[state] > limits.count) {
    const oldest = list.peekItem();
    if (oldest === undefined) break;
    const live = isCurrent(oldest, list.peekSeq());
    list.shift();
    if (live) deleteJob(q, oldest);
  }
}

/** Deletes a job with its logs, lease and dedup key; index entries pointing at it go stale. */
export function deleteJob(q: QueueState, job: StoredJob): void {
  q.jobs.delete(job.id);
  q.counts[job.state]--;
  job.removed = true;
  if (job.state === "active") q.active.delete(job);
  clearLease(job);
  job.logs = undefined;
  if (job.dedupKey !== undefined && q.dedup.get(job.dedupKey)?.jobId === job.id) q.dedup.delete(job.dedupKey);
}

/**
 * Admin removal (removeJob, drain, clean): deletes `victims`, runs `afterDelete`, then settles
 * the children still waiting on any of them as if that parent had failed ("parent job <id>
 * removed"). Children are settled only once every victim is gone, so a child the removal
 * releases is never removed by the same call.
 */
export function removeJobs(
  tx: EffectsCollector,
  q: QueueState,
  victims: StoredJob[],
  now: number,
  afterDelete?: () => void,
): void {
  for (const job of victims) deleteJob(q, job);
  afterDelete?.();
  for (const job of victims) {
    if (job.dependants !== undefined) settleDependants(tx, q, job, now, true);
  }
  compact(q);
}

/**
 * Lazy deletion leaves stale entries in the indexes (a cancelled waiting job, the ttl entry of a
 * job that completed, ...). Rebuilding an index once its stale entries outnumber the live ones
 * keeps memory proportional to the jobs stored, at amortised O(1) per transition.
 */
export function compact(q: QueueState): void {
  const c = q.counts;
  if (q.waiting.size > 2 * c.waiting + INDEX_SLACK) q.waiting.compact();
  if (q.delayed.size > 2 * c.delayed + INDEX_SLACK) q.delayed.filter(isCurrentEntry);
  if (q.ttl.size > 2 * (c.waiting + c.delayed + c["waiting-children"]) + INDEX_SLACK) {
    q.ttl.filter((entry) => {
      const keep = !entry.job.removed && UNSTARTED.has(entry.job.state);
      // A dropped entry of an active job is pushed again if the job returns to an unstarted state.
      if (!keep) entry.job.ttlQueued = false;
      return keep;
    });
  }
  if (q.retention.size > 2 * (c.completed + c.failed + c.expired) + INDEX_SLACK) {
    q.retention.filter(isCurrentEntry);
  }
}
