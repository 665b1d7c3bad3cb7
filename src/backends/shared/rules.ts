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
  type JobRecord,
  type JobRef,
  type JobState,
  type OnParentFailure,
  type RetentionSpec,
  toMs,
} from "../../job.js";
import type {
  ClaimOptions,
  DependencyResults,
  EnqueueCallOptions,
  EnqueueResult,
  FiredRecord,
  JobError,
  NewJob,
  QueueEvent,
  RepeatableFire,
  RepeatableInfoRecord,
  WakeReason,
} from "../backend.js";

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

/**
 * Refuses `enqueue`'s `client` on an engine that cannot write inside a caller's transaction, before
 * anything is written.
 */
export function refuseCallerTransaction(engine: string, options: EnqueueCallOptions | undefined): void {
  if (options?.client === undefined) return;
  throw new ValidationError(
    `the ${engine} backend cannot write inside your transaction (enqueue option "client"): enqueueing in the caller's transaction needs the Postgres backend (a pg client after BEGIN) or the SQLite backend (a better-sqlite3 Database on its file); leave "client" out to add the job at once`,
  );
}

// -- error texts ---------------------------------------------------------------------------------

/** The error of a child failed by its parent `parentId`, which ended in `parentState` (or was removed unfinished). */
export function parentFailedError(parentId: string, parentState: JobState | "removed"): JobError {
  return { name: "ParentFailedError", message: `parent job ${parentId} ${parentState}` };
}

/** The name of the error a job that stalled too often fails with. */
export const STALL_ERROR_NAME = "JobStalledError";

/**
 * The JobStalledError of job `jobId`, stalled `count` times and charged `charge` stalls (see
 * `chargeStall`) against `maxStalledCount`.
 */
export function stallLimitError(
  jobId: string,
  count: number,
  charge: number,
  maxStalledCount: number,
): JobError {
  return {
    name: STALL_ERROR_NAME,
    message: stallLimitText(jobId, String(count), formatCharge(charge), maxStalledCount),
  };
}

/**
 * The stall error's message with its three variable parts given as text (the Redis engine passes
 * marks here and fills them in inside its script, so every engine words it the same).
 */
export function stallLimitText(
  jobId: string,
  count: string,
  charge: string,
  maxStalledCount: number,
): string {
  return (
    `job ${jobId} stalled ${count} time(s) (its worker died or hung while running it) and is charged ` +
    `${charge} stall(s), more than maxStalledCount (${maxStalledCount}); a worker of concurrency C that ` +
    "dies charges each job it held 1/C"
  );
}

/**
 * A charge as the stall error shows it: at most two decimals, rounded up (`ceil(x * 100) / 100`, as
 * the Lua does), so a charge just past maxStalledCount never reads as equal to it.
 */
export function formatCharge(charge: number): string {
  return String(Math.ceil(charge * 100) / 100);
}

// -- stalls --------------------------------------------------------------------------------------

/**
 * Slack for comparing a charge, a sum of fractions 1/N kept as a double, with maxStalledCount: three
 * shares of 1/3 must count as 1, not 1.0000000000000002.
 */
export const STALL_SLACK = 1e-9;

/** What a job brings to a stall sweep. */
export interface StallFacts {
  stalledCount: number;
  /** Stalls charged so far (fractions). */
  stallCharge: number;
  /**
   * How many jobs share a death of its worker: the worker's concurrency, stored at claim
   * (`claimPeers`), raised by an earlier sweep that found that worker dead holding more (its
   * leases lapse one by one; this keeps the later ones counted in the same death). 0: unknown.
   */
  stallPeers: number;
}

/** A job's stall, decided. */
export interface StallCharge {
  stalledCount: number;
  stallCharge: number;
  /** Past maxStalledCount: the job fails with `stallLimitError`; else it waits again. */
  fails: boolean;
}

/**
 * The stall rule (docs/reliability.md, "Stalls and poison jobs"). A sweep that finds a job's lease
 * lapsed takes its worker for dead. At most one of the jobs that worker ran could have killed it,
 * and nothing tells which, so each job is charged 1/N of a stall, N being the jobs the worker could
 * hold: its concurrency C (`stallPeers`, stored at claim), or `held` (its active jobs in the queue
 * at the sweep, this one included) if more. A worker with free slots does not make its jobs more
 * suspect: a crash storm's survivors are re-run when the queue runs low and workers hold one or two
 * jobs, and charging those a whole stall dead-lettered healthy jobs. The job fails once its charge
 * exceeds `maxStalledCount`: a job that kills every worker that runs it fails within
 * floor(maxStalledCount x C) + 1 crashes, and so does, at the earliest, a bystander.
 */
export function chargeStall(job: StallFacts, held: number, maxStalledCount: number): StallCharge {
  const n = Math.max(1, held, job.stallPeers);
  const stallCharge = job.stallCharge + 1 / n;
  return {
    stalledCount: job.stalledCount + 1,
    stallCharge,
    fails: stallCharge > maxStalledCount + STALL_SLACK,
  };
}

/** The `stallPeers` a claim stores on each job it takes: the claimer's concurrency (see `chargeStall`). */
export function claimPeers(options: Pick<ClaimOptions, "limit" | "concurrency">): number {
  return Math.max(1, Math.floor(options.concurrency ?? options.limit));
}

/** The largest global concurrency: the SQL engines store it as a 32-bit integer. */
export const MAX_GLOBAL_CONCURRENCY = 2_147_483_647;

/**
 * A queue's global concurrency as `setGlobalConcurrency` stores it: null (no limit) or an integer
 * from 1 to MAX_GLOBAL_CONCURRENCY. Engines check it before writing anything.
 * @throws ValidationError otherwise.
 */
export function checkGlobalConcurrency(limit: unknown): number | null {
  if (limit === null) return null;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_GLOBAL_CONCURRENCY) {
    throw new ValidationError(
      `global concurrency must be an integer from 1 to ${MAX_GLOBAL_CONCURRENCY} (the most jobs of the queue active at once, across all workers), got ${String(limit)}; to lift the limit, remove it (queue.removeGlobalConcurrency())`,
    );
  }
  return limit;
}

/**
 * How many jobs a claim for `limit` may take with `active` jobs of the queue active now: all of
 * `limit` without a global concurrency (null), else at most the room left under it (>= 0).
 */
export function claimRoom(limit: number, globalConcurrency: number | null, active: number): number {
  return globalConcurrency === null ? limit : Math.max(0, Math.min(limit, globalConcurrency - active));
}

/** Counts the active jobs of each worker (`workerId` null or undefined counts under ""), for `planStallSweep`. */
export function countHeld(workerIds: Iterable<string | null | undefined>): Map<string, number> {
  const held = new Map<string, number>();
  for (const w of workerIds) held.set(w ?? "", (held.get(w ?? "") ?? 0) + 1);
  return held;
}

/** What one stall sweep does, decided before any write. */
export interface StallSweep {
  /** Each dead worker (by id) with the jobs it holds: its jobs whose lease still runs get `stallPeers = max(stallPeers, held)`. */
  deadWorkers: Array<[workerId: string, held: number]>;
  /** The charge of each lapsed job, in the order given. */
  charges: StallCharge[];
}

/**
 * Applies `chargeStall` to one sweep: `lapsed` are the active jobs whose lease lapsed, `held` the
 * active jobs per worker id ("" for none) at the sweep, lapsed or not. Every engine runs this (the
 * Redis script mirrors it in Lua), so they decide alike.
 */
export function planStallSweep<Job>(
  lapsed: readonly Job[],
  workerOf: (job: Job) => string | null | undefined,
  factsOf: (job: Job) => StallFacts,
  held: ReadonlyMap<string, number>,
  maxStalledCount: number,
): StallSweep {
  const dead = new Map<string, number>();
  const charges = lapsed.map((job) => {
    const worker = workerOf(job) ?? "";
    const n = held.get(worker) ?? 1;
    dead.set(worker, n);
    return chargeStall(factsOf(job), n, maxStalledCount);
  });
  return { deadWorkers: [...dead], charges };
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

/**
 * The dependsOn ids of a batch that must already exist: those not created by a custom id earlier
 * in the same batch (contract: a parent may be added in the same batch, before its dependant).
 */
export function externalParents(jobs: readonly Pick<NewJob, "id" | "dependsOn">[]): string[] {
  const earlier = new Set<string>();
  const external = new Set<string>();
  for (const job of jobs) {
    for (const parent of job.dependsOn ?? []) if (!earlier.has(parent)) external.add(parent);
    if (job.id !== undefined) earlier.add(job.id);
  }
  return [...external];
}

/**
 * Refuses a batch whose external parents (`externalParents`) are not all jobs of `queue`, before
 * any of it is written or returned as a duplicate: every engine decides a batch the same way.
 */
export function requireParents(
  queue: string,
  parents: readonly string[],
  exists: (id: string) => boolean,
): void {
  for (const id of parents) if (!exists(id)) throw missingParentError(queue, id);
}

/** The refusal of a `dependsOn` entry (of a job of `queue`) that names no stored job. */
export function missingParentError(queue: string, entry: string): ValidationError {
  const ref = dependencyRef(queue, entry);
  return new ValidationError(
    `dependsOn: job "${ref.id}" does not exist in queue "${ref.queue}"; add the parent jobs first`,
  );
}

// -- dependencies across queues ------------------------------------------------------------------

/**
 * The job a `dependsOn` entry of a job of `queue` names: a bare id is a job of `queue`,
 * `"<other>:<id>"` a job of queue `other` (names and ids never contain `:`; NewJob.dependsOn).
 */
export function dependencyRef(queue: string, entry: string): JobRef {
  const colon = entry.indexOf(":");
  return colon < 0 ? { queue, id: entry } : { queue: entry.slice(0, colon), id: entry.slice(colon + 1) };
}

/** How a job of `queue` names job `id` of `jobQueue` in its dependsOn (and in ParentFailedError texts). */
export function dependencyEntry(queue: string, jobQueue: string, id: string): string {
  return jobQueue === queue ? id : `${jobQueue}:${id}`;
}

/** The key of a dependency's result or failure (`getDependencyResults`, `ctx.childrenValues()`). */
export function dependencyKey(queue: string, id: string): string {
  return `${queue}:${id}`;
}

/**
 * What a waiting job keeps of a dependency that failed (or expired, was cancelled or removed)
 * while its `onParentFailure` let it go on: the error message of a failed one, else `job <state>`.
 */
export function dependencyFailureText(state: JobState | "removed", message: string | undefined): string {
  return state === "failed" && message !== undefined ? message : `job ${state}`;
}

/** getDependencyResults from stored outcome rows: `result` JSON for a completed dependency, else `failure`. */
export function keptOutcomes(
  rows: ReadonlyArray<{ dep: string; result: string | null; failure: string | null }>,
): DependencyResults {
  const values: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  for (const row of rows) {
    if (row.failure !== null) failures[row.dep] = row.failure;
    else values[row.dep] = JSON.parse(row.result ?? "null");
  }
  return { values, failures };
}

/**
 * Sets the record fields of a job of `queue` whose stored dependsOn entries are `entries`:
 * `dependsOn` (the ids of its own queue, when any) and `parents` (every one as `{ queue, id }`).
 */
export function setDependencies(record: JobRecord, queue: string, entries: readonly string[]): void {
  const own: string[] = [];
  const parents: JobRef[] = [];
  for (const entry of entries) {
    const ref = dependencyRef(queue, entry);
    if (ref.queue === queue) own.push(entry);
    parents.push(ref);
  }
  if (own.length > 0) record.dependsOn = own;
  if (parents.length > 0) record.parents = parents;
}

/** `ctx.moveToWaitingChildren` (of a job of `queue`) named a job that does not exist. */
export function missingChildError(queue: string, entry: string): ValidationError {
  const ref = dependencyRef(queue, entry);
  return new ValidationError(
    `moveToWaitingChildren: job "${ref.id}" does not exist in queue "${ref.queue}"; add the children first`,
  );
}

// -- enqueue -------------------------------------------------------------------------------------

/**
 * Whether a job added at `now` with dedup `ttl` is a duplicate of the key's holder, added at
 * `addedAt` and now in `holderState`: within the ttl when one is given, else while the holder is unfinished.
 * A duplicate whose dedup has `extend` then sets the key's `addedAt` to `now` (every engine).
 */
export function dedupHolds(
  ttl: number | undefined,
  addedAt: number,
  holderState: JobState,
  now: number,
): boolean {
  return ttl === undefined ? !FINISHED.has(holderState) : now - addedAt < ttl;
}

/**
 * Whether a new job whose dedup key holds (`dedupHolds`) replaces the key's holder, now in
 * `holderState`, instead of being its duplicate: with `replace`, while the holder is `delayed` (it
 * has not started, so nothing of it has run). The holder is then removed as `removeJob` removes it
 * and the new job is inserted in the same transition, taking the key.
 */
export function dedupReplaces(dedup: NewJob["dedup"], holderState: JobState): boolean {
  return dedup?.replace === true && holderState === "delayed";
}

/** A new job's parents, sorted. */
export interface SortedParents<Row> {
  /** The parents it waits on (unfinished), or undefined when none (also under "continue" with a dead one). */
  pending: Row[] | undefined;
  /** The first dead parent, when the job fails with its parents (`onParentFailure` "fail"). */
  failedParent: Row | undefined;
  /**
   * The finished parents it goes on after (completed, or dead under "ignore"/"continue"), whose
   * result or failure it keeps (`getDependencyResults`); undefined when none. Parents gone from
   * storage are not in it (nothing of them is left to keep).
   */
  done?: Row[] | undefined;
}

/**
 * Sorts the (deduplicated) `dependsOn` ids of a new job in `queue` by their rows (`parentOf`);
 * completed parents drop out. A missing parent is a ValidationError.
 */
export function sortParents<Row extends { id: string; state: JobState }>(
  queue: string,
  dependsOn: readonly string[],
  onParentFailure: OnParentFailure | undefined,
  parentOf: (id: string) => Row | undefined,
  isGone?: (row: Row) => boolean,
): SortedParents<Row> {
  let pending: Row[] | undefined;
  let failedParent: Row | undefined;
  let done: Row[] | undefined;
  let dead = false;
  const policy = onParentFailure ?? "fail";
  for (const parentId of dependsOn) {
    const parent = parentOf(parentId);
    if (!parent) throw missingParentError(queue, parentId);
    if (FINISHED.has(parent.state)) {
      if (DEAD.has(parent.state)) {
        dead = true;
        if (policy === "fail") failedParent ??= parent;
      }
      if (isGone?.(parent) !== true) {
        if (done) done.push(parent);
        else done = [parent];
      }
      continue;
    }
    if (pending) pending.push(parent);
    else pending = [parent];
  }
  // "continue": a dead parent starts the job at once; it waits for none of the others.
  if (dead && policy === "continue") pending = undefined;
  return { pending, failedParent, done };
}

/**
 * How a running job that waits for the jobs `childIds` (the waiting-children finish) moves, given
 * their rows (`childOf`): a child gone since the handler added it was removed by its retention,
 * so it finished and counts as completed. `failed`: the first dead child, when the job fails with it.
 */
export function childWait<Row extends { id: string; state: JobState }>(
  queue: string,
  childIds: readonly string[],
  onParentFailure: OnParentFailure | undefined,
  childOf: (id: string) => Row | undefined,
): {
  ids: string[];
  pending: Row[];
  failed: Row | undefined;
  /** The finished children it goes on after (SortedParents.done), whose results it keeps. */
  done: Row[];
  state: "waiting-children" | "waiting" | "failed";
} {
  const ids = [...new Set(childIds)];
  const gone = new Set<{ id: string; state: JobState }>();
  const sorted = sortParents(
    queue,
    ids,
    onParentFailure,
    (id) => {
      const row = childOf(id);
      if (row !== undefined) return row;
      const placeholder = { id, state: "completed" as JobState };
      gone.add(placeholder);
      return placeholder;
    },
    (row) => gone.has(row),
  );
  const failed = sorted.failedParent as Row | undefined;
  // Completed children drop out, so every pending one is a row.
  const pending = failed ? [] : ((sorted.pending ?? []) as Row[]);
  const state = failed ? "failed" : pending.length > 0 ? "waiting-children" : "waiting";
  return { ids, pending, failed, done: (sorted.done ?? []) as Row[], state };
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

/**
 * A bucket's tokens after a change, from its `refilled` tokens (refillTokens at the change's time):
 * `add` tokens given back (claims that found no job), then at most `ceiling`, never above `rate`.
 */
export function adjustedTokens(refilled: number, rate: number, add: number, ceiling: number): number {
  return Math.min(rate, refilled + add, ceiling);
}

/** The most tokens a bucket may keep for its next whole token to be `ms` away (a hold). */
export function holdCeiling(ms: number, rate: number, intervalMs: number): number {
  return 1 - (ms * rate) / intervalMs;
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

/**
 * Whether a repeatable slot may fire, given what fired before for its id: only a slot later than
 * the last one, and only while fewer than `limit` slots have fired (SQL and Lua state the same rule).
 */
export function mayFire(last: FiredRecord | null | undefined, fire: RepeatableFire): boolean {
  if (last === null || last === undefined) return true;
  return fire.slot > last.slot && (fire.limit === undefined || last.runs < fire.limit);
}
