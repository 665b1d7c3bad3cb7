/**
 * The rules every engine applies, written once: which states count as finished or dead, when a
 * dedup key still holds, where a new job with parents starts, the error texts stored on jobs that
 * the runtime and users read, the token-bucket maths, retention specs, paging. Engines in
 * TypeScript call these; the Redis Lua scripts get the texts passed in (see redis/scripts.ts), and
 * the conformance suite checks that every engine words them the same.
 */
import { ValidationError } from "../../errors.js";
import {
  DEAD_STATES,
  FINISHED_STATES,
  JOB_STATES,
  type JobState,
  type RetentionSpec,
  toMs,
} from "../../job.js";
import type { EnqueueResult, JobError, QueueEvent, RepeatableInfoRecord, WakeReason } from "../backend.js";

/** States a job never leaves by itself. */
export const FINISHED = new Set<JobState>(FINISHED_STATES);
/** Finished states that did not complete (the dead-letter list). */
export const DEAD = new Set<JobState>(DEAD_STATES);
/** States of a job that has not started (ttl expiry applies to them). */
export const UNSTARTED = new Set<JobState>(["waiting", "delayed", "waiting-children"]);

/** A count for every state, all zero. */
export function zeroCounts(): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
}

// -- error texts ---------------------------------------------------------------------------------

/** The error of a child failed by its parent `parentId`, which ended in `parentState` (or was removed unfinished). */
export function parentFailedError(parentId: string, parentState: JobState | "removed"): JobError {
  return { name: "ParentFailedError", message: `parent job ${parentId} ${parentState}` };
}

/** The JobStalledError of job `jobId`, stalled `count` times against `maxStalledCount`. */
export function stallLimitError(jobId: string, count: number, maxStalledCount: number): JobError {
  return {
    name: "JobStalledError",
    message: `job ${jobId} stalled ${count} time(s), more than maxStalledCount (${maxStalledCount}): its worker stopped renewing the lease`,
  };
}

/** The refusal of `obliterate` without `force` while `active` of the queue's jobs run. */
export function activeJobsBlockObliterate(
  queue: string,
  active: number | string | undefined,
): ValidationError {
  return new ValidationError(
    `queue "${queue}" has ${active} active job(s); stop its workers first or obliterate with { force: true }`,
  );
}

/** The refusal of a `dependsOn` id that is not a job of the queue. */
export function missingParentError(queue: string, parentId: string): ValidationError {
  return new ValidationError(
    `dependsOn: job "${parentId}" does not exist in queue "${queue}"; add the parent jobs first`,
  );
}

// -- enqueue -------------------------------------------------------------------------------------

/**
 * Whether a job added at `now` with dedup `ttl` is a duplicate of the key's holder, added at
 * `addedAt` and now in `holderState`: within the ttl when one is given, else while the holder is unfinished.
 */
export function dedupHolds(
  ttl: number | undefined,
  addedAt: number,
  holderState: JobState,
  now: number,
): boolean {
  return ttl === undefined ? !FINISHED.has(holderState) : now - addedAt < ttl;
}

/** A new job's parents, sorted. */
export interface SortedParents<Row> {
  /** The parents it waits on (unfinished), or undefined when none. */
  pending: Row[] | undefined;
  /** The first dead parent, when the job fails with its parents (`onParentFailure` "fail"). */
  failedParent: Row | undefined;
}

/**
 * Sorts the (deduplicated) `dependsOn` ids of a new job in `queue` by their rows (`parentOf`);
 * completed parents drop out. A missing parent is a ValidationError.
 */
export function sortParents<Row extends { id: string; state: JobState }>(
  queue: string,
  dependsOn: readonly string[],
  onParentFailure: "fail" | "ignore" | undefined,
  parentOf: (id: string) => Row | undefined,
): SortedParents<Row> {
  let pending: Row[] | undefined;
  let failedParent: Row | undefined;
  for (const parentId of dependsOn) {
    const parent = parentOf(parentId);
    if (!parent) throw missingParentError(queue, parentId);
    if (parent.state === "completed") continue;
    if (DEAD.has(parent.state)) {
      if ((onParentFailure ?? "fail") === "fail") failedParent ??= parent;
      continue;
    }
    if (pending) pending.push(parent);
    else pending = [parent];
  }
  return { pending, failedParent };
}

/** The state a new job starts in, given its sorted parents and its `runAt`. */
export function initialState(
  parents: SortedParents<unknown>,
  runAt: number | undefined,
  createdAt: number,
): JobState {
  if (parents.failedParent) return "failed";
  if (parents.pending) return "waiting-children";
  return runAt !== undefined && runAt > createdAt ? "delayed" : "waiting";
}

/** What a transaction collects for after its commit: events (when wanted) and wake-up reasons. */
export interface TxSignals {
  emit(name: QueueEvent["name"], payload: QueueEvent["payload"]): void;
  wake(reason: WakeReason): void;
}

/** A new job `id` that waits on nothing: `job:delayed` and a delayed wake-up, else `job:waiting` and a job wake-up. */
export function announceFree(
  tx: TxSignals,
  queue: string,
  id: string,
  task: string,
  delayed: boolean,
  runAt: number | undefined,
): void {
  if (delayed) {
    tx.emit("job:delayed", { queue, jobId: id, task, runAt });
    tx.wake("delayed");
  } else {
    tx.emit("job:waiting", { queue, jobId: id, task });
    tx.wake("job");
  }
}

/** An enqueue that found existing job `id` (in `state`): `job:duplicated`, and its result. */
export function duplicateResult(
  tx: TxSignals,
  queue: string,
  id: string,
  state: JobState,
  task: string,
): EnqueueResult {
  tx.emit("job:duplicated", { queue, jobId: id, task });
  return { id, state, duplicate: true };
}

// -- rate bucket ---------------------------------------------------------------------------------

/**
 * The tokens of a bucket last refilled at `lastAt`, refilled continuously up to `rate` by `now`. A
 * clock behind the last writer's refills nothing (clocks of different callers may disagree slightly).
 */
export function refillTokens(
  tokens: number,
  lastAt: number,
  rate: number,
  intervalMs: number,
  now: number,
): number {
  return Math.min(rate, tokens + (Math.max(0, now - lastAt) * rate) / intervalMs);
}

/** How long (ms, at least 1) until a bucket holding `tokens` (< 1) has a whole token again. */
export function rateWaitMs(tokens: number, rate: number, intervalMs: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * intervalMs) / rate));
}

// -- retention, paging, copies -------------------------------------------------------------------

/** The limits a retention object sets: remove after `ageMs`, keep the newest `count`; either may be absent. */
export interface RetentionLimits {
  ageMs: number | undefined;
  count: number | undefined;
}

/** What `spec` asks for a finished job: `true` to remove it at once, limits, or null to keep it. */
export function readRetention(spec: RetentionSpec | null | undefined): true | RetentionLimits | null {
  if (spec === true) return true;
  if (typeof spec !== "object" || spec === null) return null;
  return {
    ageMs: spec.age === undefined ? undefined : toMs(spec.age, "retention age"),
    count: spec.count,
  };
}

/** A page of a listing: skip `offset` rows, then take `limit` (null: all the rest). */
export interface Page {
  offset: number;
  limit: number | null;
}

/** The page of `range` (`end` -1: to the end), or null when the range is empty. */
export function pageOf(range: { start: number; end: number }): Page | null {
  const offset = Math.max(0, Math.floor(range.start));
  if (range.end < 0) return { offset, limit: null };
  const limit = Math.floor(range.end) - offset + 1;
  return limit > 0 ? { offset, limit } : null;
}

/** A `limit` argument as a whole number, or null for "no limit" (Infinity, negative, NaN). */
export function limitOrNull(n: number): number | null {
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

/** A deep copy of `info` (its definition cloned), so callers never share a stored definition. */
export function copyRepeatable(info: RepeatableInfoRecord): RepeatableInfoRecord {
  return { id: info.id, def: structuredClone(info.def), nextRun: info.nextRun, paused: info.paused };
}
