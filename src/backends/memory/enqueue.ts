/** Inserting jobs: all or nothing, duplicates (same id or live dedup key) returned instead. */
import type { EnqueueResult, NewJob } from "../backend.js";
import type { EffectsCollector } from "../shared/effects.js";
import {
  dedupHolds,
  dedupReplaces,
  dependencyEntry,
  duplicateResult,
  externalParents,
  initialState,
  parentFailedError,
  requireParents,
  type SortedParents,
  sortParents,
} from "../shared/rules.js";
import type { QueueState } from "./queue-state.js";
import {
  findDependency,
  finishJob,
  jobEvent,
  keepOutcome,
  removeJobs,
  setState,
  toDelayed,
  toWaiting,
} from "./steps.js";
import { StoredJob } from "./stored-job.js";

/** A parent validated at the start of the batch but deleted since (by the retention of a job added before it). */
interface GoneParent {
  id: string;
  state: "completed";
}

const NO_PARENTS: SortedParents<StoredJob> = { pending: undefined, failedParent: undefined };

/** Inserts `jobs` into `q`; an unknown `dependsOn` id rejects the whole batch before any change. */
export function enqueueJobs(tx: EffectsCollector, q: QueueState, jobs: NewJob[]): EnqueueResult[] {
  requireParents(q.name, externalParents(jobs), (entry) => findDependency(q, entry) !== undefined);
  const results: EnqueueResult[] = [];
  for (const job of jobs) results.push(insert(tx, q, job));
  return results;
}

function insert(tx: EffectsCollector, q: QueueState, spec: NewJob): EnqueueResult {
  const existing = duplicateOf(q, spec);
  if (existing !== undefined) {
    // A custom-id duplicate is never replaced: it has the new job's own id.
    if (existing.id === spec.id || !dedupReplaces(spec.dedup, existing.state))
      return duplicateResult(tx, q.name, existing.id, existing.state, existing.task);
    removeJobs(tx, q, [existing], spec.createdAt);
  }
  const id = spec.id ?? String(q.nextId++);
  const job = new StoredJob(id, q, spec);
  q.jobs.set(id, job);
  q.counts.waiting++; // a new job starts as `waiting`; setState moves the count from there
  if (spec.dedup !== undefined) {
    q.dedup.set(spec.dedup.key, { jobId: id, addedAt: spec.createdAt });
    job.dedupKey = spec.dedup.key;
  }
  const parents = parentsOf(q, spec.dependsOn, spec.onParentFailure);
  if (!dependOn(tx, q, job, parents, spec.createdAt)) {
    if (initialState(parents, job.runAt, spec.createdAt) === "delayed") {
      toDelayed(tx, q, job);
      if (tx.wantEvents)
        tx.emit("job:delayed", { queue: q.name, jobId: id, task: job.task, runAt: job.runAt });
    } else {
      toWaiting(tx, q, job, job.spec.lifo === true);
      jobEvent(tx, "job:waiting", job);
    }
  }
  // Retention may have deleted a job that was born failed; report the state it reached.
  return { id, state: job.state, duplicate: false };
}

/**
 * Puts `job` behind its sorted `parents`: `failed` with the first dead one, else `waiting-children`
 * on the pending ones. False (nothing done) when it waits on none.
 */
export function dependOn(
  tx: EffectsCollector,
  q: QueueState,
  job: StoredJob,
  parents: SortedParents<StoredJob | GoneParent>,
  now: number,
): boolean {
  if (parents.failedParent) {
    const parent = parents.failedParent as StoredJob;
    job.error = parentFailedError(dependencyEntry(q.name, parent.queue, parent.id), parent.state);
    finishJob(tx, q, job, "failed", now);
    return true;
  }
  // Gone parents are not in `done`: every one is a stored job.
  for (const parent of (parents.done ?? []) as StoredJob[]) keepOutcome(job, parent, parent.state);
  if (!parents.pending) return false;
  // Gone parents count as completed, so every pending parent is a stored job.
  const pending = parents.pending as StoredJob[];
  job.pendingParents = pending.length;
  for (const parent of pending) {
    if (parent.dependants === undefined) parent.dependants = [job];
    else parent.dependants.push(job);
  }
  setState(q, job, "waiting-children");
  return true;
}

/** The parents `dependsOn` of a job, sorted; one gone since validation has finished, so it counts as done. */
export function parentsOf(
  q: QueueState,
  dependsOn: readonly string[] | undefined,
  onParentFailure: NewJob["onParentFailure"],
): SortedParents<StoredJob | GoneParent> {
  if (dependsOn === undefined) return NO_PARENTS;
  return sortParents(
    q.name,
    [...new Set(dependsOn)],
    onParentFailure,
    (entry) => findDependency(q, entry) ?? { id: entry, state: "completed" },
    (parent) => !(parent instanceof StoredJob),
  );
}

/**
 * The existing job `spec` duplicates (same custom id, or a live dedup key), if any; a dedup
 * duplicate with `extend` restarts the key's ttl window.
 */
function duplicateOf(q: QueueState, spec: NewJob): StoredJob | undefined {
  if (spec.id !== undefined) {
    const same = q.jobs.get(spec.id);
    if (same !== undefined) return same;
  }
  if (spec.dedup === undefined) return undefined;
  const entry = q.dedup.get(spec.dedup.key);
  const holder = entry === undefined ? undefined : q.jobs.get(entry.jobId);
  if (entry === undefined || holder === undefined) return undefined;
  if (!dedupHolds(spec.dedup.ttl, entry.addedAt, holder.state, spec.createdAt)) return undefined;
  if (spec.dedup.extend) entry.addedAt = spec.createdAt;
  return holder;
}
