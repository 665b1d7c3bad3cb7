import { getBackoff, isBuiltInBackoff } from "./backoff-registry.js";
import { ValidationError } from "./errors.js";
import { isWellFormed, LONE_SURROGATE, toWellFormed } from "./json-value.js";
import { checkKeys } from "./option-keys.js";

export { encodeJson, MAX_PAYLOAD_DEPTH } from "./json-value.js";

/** Every state a job can be in. */
export const JOB_STATES = [
  "waiting",
  "delayed",
  "active",
  "completed",
  "failed",
  "expired",
  "cancelled",
  "waiting-children",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves on its own (only retryJob/removeJob/clean move it). */
export const FINISHED_STATES: readonly JobState[] = ["completed", "failed", "expired", "cancelled"];
/** Finished states that count as the dead-letter list (retryJob also takes `completed`). */
export const DEAD_STATES: readonly JobState[] = ["failed", "expired", "cancelled"];

/**
 * The moves a job may make. Backends perform them atomically; this table documents them and
 * lets tests check that nothing else happens.
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  waiting: ["active", "cancelled", "expired"],
  delayed: ["waiting", "cancelled", "expired"],
  "waiting-children": ["waiting", "failed", "cancelled", "expired"],
  active: ["completed", "failed", "delayed", "waiting", "cancelled", "expired"],
  completed: ["waiting"],
  failed: ["waiting"],
  expired: ["waiting"],
  cancelled: ["waiting"],
};

/** Fixed delay in ms, a built-in policy, or a custom strategy by name. */
export type BackoffSpec = number | BackoffPolicy | CustomBackoff;

/** A built-in backoff: the same `delay` each time, or doubling from it. */
export interface BackoffPolicy {
  type: "fixed" | "exponential";
  delay: number | string;
  /** 0..1: the delay is lowered by up to this fraction (see {@link backoffDelay}). Default 0. */
  jitter?: number;
  /** The longest delay. Default: none (100 years). */
  maxDelay?: number | string;
}

/**
 * A custom backoff, by the name it was registered under with `registerBackoff` (any name but
 * `"fixed"` and `"exponential"`); the job stores only the name.
 */
export interface CustomBackoff {
  type: string;
  /** A registered strategy computes its own delays (absent here, so `spec.delay` reads as undefined). */
  delay?: never;
  jitter?: never;
  maxDelay?: never;
}

/** Retention of finished jobs: `true` removes at once, `{ age }` after that long, `{ count }` keeps the newest N. */
export type RetentionSpec = boolean | { age?: number | string; count?: number };

/** A job named by its queue and id: a dependency in any queue of the same backend. */
export interface JobRef {
  queue: string;
  id: string;
}

/**
 * A job another job waits for (`dependsOn`, `ctx.moveToWaitingChildren`): the id of a job of the
 * same queue, or `{ queue, id }` for a job of any queue of the same backend.
 */
export type DependencyRef = string | JobRef;

/**
 * What a waiting job does when a job it depends on fails, expires, is cancelled or removed:
 * - `"fail"` (default): it fails too, with ParentFailedError (BullMQ's failParentOnFailure);
 * - `"ignore"`: that dependency counts as done; the job runs once the others complete, and
 *   `ctx.childrenFailures()` reports the failure (BullMQ's ignoreDependencyOnFailure and
 *   removeDependencyOnFailure);
 * - `"continue"`: the job starts at once, even while other dependencies are unfinished; it stops
 *   waiting for them (their later completions do nothing to it) and reads the failure with
 *   `ctx.childrenFailures()` (BullMQ's continueParentOnFailure).
 */
export type OnParentFailure = "fail" | "ignore" | "continue";

/** A stored job, as every getter returns it. Times are epoch ms. */
export interface JobRecord<D = unknown, R = unknown> {
  id: string;
  queue: string;
  task: string;
  data: D;
  state: JobState;
  priority: number;
  /** Attempts started so far. */
  attempts: number;
  maxRetries: number;
  backoff?: BackoffSpec;
  ttl?: number;
  timeout?: number;
  createdAt: number;
  runAt?: number;
  startedAt?: number;
  finishedAt?: number;
  progress?: number | Record<string, unknown>;
  result?: R;
  error?: { name: string; message: string; stack?: string };
  /** Ids of the jobs of its own queue it depends on (those of other queues are in `parents`). */
  dependsOn?: string[];
  /**
   * Every job it depends on, as `{ queue, id }`: those of its own queue (also in `dependsOn`) and
   * those of other queues (`dependsOn: [{ queue, id }]`). Absent when it depends on none.
   */
  parents?: JobRef[];
  /** Times its lease lapsed (its worker died or hung) and it was recovered. */
  stalledCount: number;
  /**
   * Stalls charged to it, present once it stalled: a worker of concurrency C that dies charges each
   * job it held 1/C. The job fails with JobStalledError once this passes `maxStalledCount` (docs/reliability.md).
   */
  stallCharge?: number;
  /** What happens to this job when a parent fails or expires (see {@link OnParentFailure}). Default `"fail"`. */
  onParentFailure?: OnParentFailure;
  removeOnComplete?: RetentionSpec;
  removeOnFail?: RetentionSpec;
  /**
   * Options the enqueuer left to the task because its process did not know the task;
   * the worker fills them from its registered task.
   */
  inherit?: InheritableOption[];
  /**
   * The producer's trace context (W3C `traceparent`, `tracestate`, ... as OpenTelemetry's
   * propagator wrote them) when tracing was on at enqueue; each attempt's span links to it
   * (docs/observability.md).
   */
  traceContext?: Record<string, string>;
  /** Id of the worker holding the lease, while active. */
  workerId?: string;
  /** Lease expiry (epoch ms), while active. */
  leaseExpiresAt?: number;
}

/** Not priority: it orders claims, so only the enqueuer can decide it. */
export type InheritableOption = "retries" | "backoff" | "ttl" | "timeout";

/** A job handed to a worker by a claim: the record plus the lease token that fences its writes. */
export interface ClaimedJob<D = unknown, R = unknown> extends JobRecord<D, R> {
  token: string;
}

// ---------------------------------------------------------------------------------------------
// Limits: what every engine stores exactly (memory, SQLite, Redis, Postgres). Input outside them is
// refused here with a ValidationError, before any engine sees it (docs/reliability.md, "Input rules").

/**
 * The longest duration any option accepts: 100 years (3,155,760,000,000 ms). It keeps every time
 * computed from one (`now + delay`, `createdAt + ttl`) an exact integer in every engine (SQL bigint,
 * Redis Lua numbers). Timers longer than Node's 2^31-1 ms limit are the runtime's to split.
 */
export const MAX_DURATION_MS = 36_525 * 86_400_000;
/** Largest and smallest 32-bit integers: priorities, retries and counts are stored as such. */
export const INT32_MAX = 2_147_483_647;
export const INT32_MIN = -2_147_483_648;
/** Most retries: the attempt count (retries + 1) must fit in 32 bits too. */
export const MAX_RETRIES = INT32_MAX - 1;
/**
 * The longest queue name, task name, job id, parent id or deduplication id, in UTF-8 bytes: 512.
 * Postgres indexes (queue, id) pairs and (queue, parent, child) triples in btrees whose entries must
 * stay under 2,704 bytes, and sends queue names in NOTIFY payloads under 8,000 bytes.
 */
export const MAX_NAME_BYTES = 512;

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time given as epoch ms or a Date, in whole ms, at most {@link MAX_DURATION_MS} after `now`.
 * @throws ValidationError naming the option otherwise.
 */
export function toRunAt(value: unknown, now: number, what = "runAt"): number {
  const at = value instanceof Date ? value.getTime() : value;
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new ValidationError(`${what} must be an epoch-ms number or a valid Date, got ${String(value)}`);
  }
  const runAt = Math.round(at); // whole ms, as toMs rounds durations
  if (runAt - now > MAX_DURATION_MS) {
    throw new ValidationError(
      `${what} must be at most ${MAX_DURATION_MS} ms ahead (100 years), got ${String(value)}`,
    );
  }
  return runAt;
}

/**
 * Parses a duration: a number of milliseconds, or a string like `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"1d"`.
 * Fractional milliseconds are rounded to the nearest integer (`123.4` -> 123, `"1.5ms"` -> 2).
 * @throws ValidationError naming the option when the value is not a non-negative duration of at
 * most {@link MAX_DURATION_MS}.
 */
export function toMs(value: number | string, what = "duration"): number {
  let ms: number | undefined;
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new ValidationError(`${what} must be a non-negative number of milliseconds, got ${value}`);
    }
    ms = Math.round(value) + 0; // + 0 turns -0 into 0
  } else if (typeof value === "string") {
    const m = DURATION.exec(value.trim());
    const unit = m ? UNIT_MS[m[2] as string] : undefined;
    if (m && unit !== undefined) ms = Math.round(Number(m[1]) * unit);
  }
  if (ms === undefined) {
    throw new ValidationError(
      `${what} must be milliseconds or a string like "250ms", "5s", "2m", "1h", "1d"; got ${JSON.stringify(value)}`,
    );
  }
  if (ms > MAX_DURATION_MS) {
    throw new ValidationError(
      `${what} must be at most ${MAX_DURATION_MS} ms (100 years), got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** {@link toMs} for optional values. */
export function toMsOpt(value: number | string | undefined | null, what: string): number | undefined {
  return value === undefined || value === null ? undefined : toMs(value, what);
}

// ---------------------------------------------------------------------------------------------
// Validation

/**
 * Checks that `n` is an integer from `min` to `max` (concurrency, retries, counts...); the default
 * `max` is the largest integer a double holds exactly. Returns it (-0 as 0).
 */
export function checkInt(n: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) {
    throw new ValidationError(`${what} must be an integer >= ${min}, got ${String(n)}`);
  }
  if (n > max) throw new ValidationError(`${what} must be at most ${max}, got ${String(n)}`);
  return n + 0;
}

/**
 * Checks text every engine stores and returns unchanged: no NUL (Postgres text cannot hold one), no
 * lone surrogate (UTF-8 cannot encode one), at most `maxBytes` bytes in UTF-8. Returns it.
 */
export function checkText(text: string, what: string, maxBytes = MAX_NAME_BYTES): string {
  if (text.includes("\u0000")) throw new ValidationError(`${what} must not contain NUL (\\u0000)`);
  if (!isWellFormed(text)) throw new ValidationError(`${what} ${LONE_SURROGATE}`);
  // Cheap bound first: UTF-8 uses at most 3 bytes per UTF-16 unit.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, "utf8");
    if (bytes > maxBytes) {
      throw new ValidationError(
        `${what} must be at most ${maxBytes} bytes in UTF-8, got ${bytes}; shorten it`,
      );
    }
  }
  return text;
}

/**
 * Free text (a job's log line) as every engine stores it: each NUL and lone surrogate replaced by
 * U+FFFD. Log lines are never refused, so a handler can log whatever it was given.
 */
export function storableText(text: string): string {
  const wellFormed = toWellFormed(text);
  return wellFormed.includes("\u0000") ? wellFormed.replaceAll("\u0000", "\ufffd") : wellFormed;
}

/** Validates a custom job id: non-empty, not all digits (those are generated ids), no `:`, {@link checkText}. */
export function checkJobId(id: unknown): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new ValidationError(`jobId must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  checkText(id, "jobId");
  if (/^\d+$/.test(id)) {
    throw new ValidationError(
      `jobId "${id}" is all digits, which is reserved for generated ids; add a prefix`,
    );
  }
  if (id.includes(":")) throw new ValidationError(`jobId "${id}" contains ":"; use another separator`);
  return id;
}

/**
 * Validates an id that names an existing job (a lookup's argument, a parent in `dependsOn`): any
 * string {@link checkText} accepts, generated ids included.
 */
export function checkJobRef(id: unknown, what: string): string {
  if (typeof id !== "string")
    throw new ValidationError(`${what} must be a string, got ${JSON.stringify(id)}`);
  return checkText(id, what);
}

/**
 * Validates `dependsOn` (or `childIds`, named by `what`): an array of job ids of the same queue or
 * `{ queue, id }` refs. Returns them as the Backend contract takes them (NewJob.dependsOn): an id,
 * or `"<queue>:<id>"` for a ref (queue names and job ids never contain `:`), deduplicated; a ref to
 * `ownQueue` becomes its bare id.
 */
export function checkDependencyRefs(refs: unknown, what: string, ownQueue?: string): string[] {
  const shape = `${what} must be an array of job ids (strings) or { queue, id } refs`;
  if (!Array.isArray(refs)) throw new ValidationError(`${shape}, got ${JSON.stringify(refs)}`);
  const out = new Set<string>();
  for (const [i, ref] of refs.entries()) {
    if (typeof ref === "string") {
      if (ref === "") throw new ValidationError(`${shape}; ${what}[${i}] is empty`);
      if (ref.includes(":")) {
        throw new ValidationError(
          `${what}[${i}] "${ref}" is not a job id (ids never contain ":"); name a job of another queue as { queue, id }`,
        );
      }
      out.add(checkJobRef(ref, `${what}[${i}]`));
      continue;
    }
    if (typeof ref !== "object" || ref === null || Array.isArray(ref)) {
      throw new ValidationError(`${shape}; ${what}[${i}] is ${JSON.stringify(ref)}`);
    }
    const extra = Object.keys(ref).filter((k) => k !== "queue" && k !== "id");
    if (extra.length > 0) {
      throw new ValidationError(
        `${what}[${i}] has unknown key(s) ${extra.join(", ")}; a ref is { queue, id }`,
      );
    }
    const { queue, id } = ref as { queue?: unknown; id?: unknown };
    const q = checkName(queue, `${what}[${i}].queue`);
    const jobId = checkJobRef(id, `${what}[${i}].id`);
    if (jobId.includes(":")) {
      throw new ValidationError(`${what}[${i}].id "${jobId}" is not a job id (ids never contain ":")`);
    }
    out.add(q === ownQueue ? jobId : `${q}:${jobId}`);
  }
  return [...out];
}

/** Contract entries (checkDependencyRefs) of a job of `queue`, with refs to `queue` itself as bare ids. */
export function ownQueueRefs(entries: readonly string[], queue: string): string[] {
  const own = `${queue}:`;
  return [...new Set(entries.map((e) => (e.startsWith(own) ? e.slice(own.length) : e)))];
}

/**
 * The jobs a running job `jobId` of `queue` waits for (`ctx.moveToWaitingChildren`), as contract
 * entries (see checkDependencyRefs), deduplicated.
 * @throws ValidationError when `ids` is not a non-empty array of job ids or refs, or names `jobId` itself.
 */
export function checkChildIds(ids: unknown, jobId: string, queue?: string): string[] {
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new ValidationError(
      `moveToWaitingChildren needs a non-empty array of the jobs to wait for (ids of this queue or { queue, id }; those the handler added), got ${JSON.stringify(ids)}`,
    );
  }
  const entries = checkDependencyRefs(ids, "childIds", queue);
  if (entries.includes(jobId)) {
    throw new ValidationError(`job ${jobId} cannot wait for itself; give the ids of the jobs it added`);
  }
  return entries;
}

/** Validates a queue or task name: non-empty, no `:`, {@link checkText} (`maxBytes` in UTF-8). */
export function checkName(name: unknown, what: string, maxBytes = MAX_NAME_BYTES): string {
  if (typeof name !== "string" || name.trim().length === 0) {
    throw new ValidationError(`${what} must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  checkText(name, what, maxBytes);
  if (name.includes(":")) throw new ValidationError(`${what} "${name}" contains ":"; use another separator`);
  return name;
}

// ---------------------------------------------------------------------------------------------
// Backoff

/** The default retry backoff: exponential from 1s with 10% jitter. */
export const DEFAULT_BACKOFF: BackoffSpec = Object.freeze({ type: "exponential", delay: 1000, jitter: 0.1 });

/** Whether `spec` is a built-in policy (not a number, not a custom strategy). */
export function isBackoffPolicy(spec: BackoffSpec): spec is BackoffPolicy {
  return typeof spec === "object" && isBuiltInBackoff(spec.type);
}

/**
 * Validates a backoff spec and returns it with durations in ms. A custom strategy must be
 * registered in this process (registerBackoff), and is kept as its name only.
 */
export function normalizeBackoff(spec: BackoffSpec): BackoffSpec {
  if (typeof spec === "number" || typeof spec === "string") return toMs(spec, "backoff");
  if (typeof spec !== "object" || spec === null || typeof spec.type !== "string") {
    throw new ValidationError(
      `backoff must be a number of ms, { type: "fixed" | "exponential", delay, jitter?, maxDelay? } or { type: <a name given to registerBackoff> }, got ${JSON.stringify(spec)}`,
    );
  }
  if (!isBackoffPolicy(spec)) {
    checkKeys(spec, ["type"], "backoff (a registered strategy computes its own delays)");
    if (getBackoff(spec.type) === undefined) {
      throw new ValidationError(
        `no backoff strategy named "${spec.type}" is registered in this process: call registerBackoff("${spec.type}", fn) before defining tasks or adding jobs that use it (in every process that adds or runs them), or use "fixed" or "exponential"`,
      );
    }
    return { type: spec.type };
  }
  checkKeys(spec, ["type", "delay", "jitter", "maxDelay"], "backoff");
  const jitter = spec.jitter ?? 0;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new ValidationError(`backoff.jitter must be a number from 0 to 1, got ${String(spec.jitter)}`);
  }
  const out: BackoffSpec = { type: spec.type, delay: toMs(spec.delay, "backoff.delay") };
  if (spec.jitter !== undefined) out.jitter = jitter + 0; // -0 as 0, as JSON stores it
  if (spec.maxDelay !== undefined) out.maxDelay = toMs(spec.maxDelay, "backoff.maxDelay");
  return out;
}

/**
 * The delay before retry number `attempt` (1 for the first retry), for a number or a built-in policy.
 * Exponential: `delay * 2^(attempt-1)`, capped by `maxDelay` (and {@link MAX_DURATION_MS}); `jitter` then only lowers it, to a
 * random point between `d * (1 - jitter)` and `d` (as BullMQ does), so `maxDelay` stays a cap.
 * @throws ValidationError for a custom strategy: the worker calls it, with the error and the job.
 */
export function backoffDelay(spec: BackoffSpec | undefined, attempt: number, random = Math.random): number {
  const s: BackoffSpec = spec ?? DEFAULT_BACKOFF;
  if (typeof s === "number") return s;
  if (!isBackoffPolicy(s)) {
    throw new ValidationError(
      `backoff "${s.type}" is a custom strategy: the worker calls it with the attempt's error and the job, backoffDelay cannot`,
    );
  }
  const base = toMs(s.delay, "backoff.delay");
  let delay = s.type === "fixed" ? base : base * 2 ** Math.max(0, attempt - 1);
  // Capped like any duration: the doubling reaches Infinity after ~1,000 retries.
  delay = Math.min(delay, MAX_DURATION_MS);
  if (s.maxDelay !== undefined) delay = Math.min(delay, toMs(s.maxDelay, "backoff.maxDelay"));
  const jitter = s.jitter ?? 0;
  if (jitter > 0) delay = delay * (1 - jitter * random());
  return Math.max(0, Math.round(delay));
}

/** Validates a priority: a 32-bit integer, lower runs first. Returns it (-0 as 0). */
export function checkPriority(p: unknown): number {
  if (typeof p !== "number" || !Number.isInteger(p) || p < INT32_MIN || p > INT32_MAX) {
    throw new ValidationError(
      `priority must be an integer from ${INT32_MIN} to ${INT32_MAX} (lower runs first), got ${String(p)}`,
    );
  }
  return p + 0;
}

/** Default priority. */
export const DEFAULT_PRIORITY = 5;
