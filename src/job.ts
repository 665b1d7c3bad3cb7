import { PayloadTooLargeError, ValidationError } from "./errors.js";

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
/** Finished states that count as the dead-letter list (retryable). */
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
  completed: [],
  failed: ["waiting"],
  expired: ["waiting"],
  cancelled: ["waiting"],
};

/** Fixed delay in ms, or a policy. */
export type BackoffSpec =
  | number
  | {
      type: "fixed" | "exponential";
      delay: number | string;
      /** 0..1: the delay is spread by up to this fraction either way. */
      jitter?: number;
      maxDelay?: number | string;
    };

/** Retention of finished jobs: `true` removes at once, `{ age }` after that long, `{ count }` keeps the newest N. */
export type RetentionSpec = boolean | { age?: number | string; count?: number };

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
  dependsOn?: string[];
  stalledCount: number;
  /** What happens to this job when a parent fails or expires: `"fail"` (default) or `"ignore"`. */
  onParentFailure?: "fail" | "ignore";
  removeOnComplete?: RetentionSpec;
  removeOnFail?: RetentionSpec;
  /**
   * Options the enqueuer left to the task because its process did not know the task;
   * the worker fills them from its registered task.
   */
  inherit?: InheritableOption[];
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
// Durations

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: a number of milliseconds, or a string like `"250ms"`, `"5s"`, `"2m"`, `"1h"`, `"1d"`.
 * @throws ValidationError naming the option when the value is not a finite, non-negative duration.
 */
export function toMs(value: number | string, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new ValidationError(`${what} must be a non-negative number of milliseconds, got ${value}`);
    }
    return value;
  }
  if (typeof value === "string") {
    const m = DURATION.exec(value.trim());
    const unit = m ? UNIT_MS[m[2] as string] : undefined;
    if (m && unit !== undefined) return Math.round(Number(m[1]) * unit);
  }
  throw new ValidationError(
    `${what} must be milliseconds or a string like "250ms", "5s", "2m", "1h", "1d"; got ${JSON.stringify(value)}`,
  );
}

/** {@link toMs} for optional values. */
export function toMsOpt(value: number | string | undefined | null, what: string): number | undefined {
  return value === undefined || value === null ? undefined : toMs(value, what);
}

// ---------------------------------------------------------------------------------------------
// Validation

/** Checks that `n` is an integer >= `min` (concurrency, retries, counts...). */
export function checkInt(n: unknown, what: string, min = 0): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) {
    throw new ValidationError(`${what} must be an integer >= ${min}, got ${String(n)}`);
  }
  return n;
}

/** Validates a custom job id: non-empty, not all digits (those are generated ids), no `:`. */
export function checkJobId(id: unknown): string {
  if (typeof id !== "string" || id.length === 0) {
    throw new ValidationError(`jobId must be a non-empty string, got ${JSON.stringify(id)}`);
  }
  if (/^\d+$/.test(id)) {
    throw new ValidationError(
      `jobId "${id}" is all digits, which is reserved for generated ids; add a prefix`,
    );
  }
  if (id.includes(":")) throw new ValidationError(`jobId "${id}" contains ":"; use another separator`);
  return id;
}

/** Validates a queue or task name. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== "string" || name.trim().length === 0) {
    throw new ValidationError(`${what} must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  if (name.includes(":")) throw new ValidationError(`${what} "${name}" contains ":"; use another separator`);
  return name;
}

/**
 * Serialises a payload or result to JSON, refusing what JSON would silently drop or mangle
 * (functions, symbols, BigInt, cycles, undefined at top level, non-finite numbers, class instances
 * other than Date), and enforcing `maxBytes`. Returns the JSON text.
 */
export function encodeJson(value: unknown, what: string, maxBytes: number | null): string {
  checkJsonValue(value, what, new Set());
  const text = JSON.stringify(value === undefined ? null : value);
  if (maxBytes !== null) {
    // Cheap upper bound first: UTF-8 uses at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > maxBytes) {
      const size = Buffer.byteLength(text, "utf8");
      if (size > maxBytes) throw new PayloadTooLargeError(size, maxBytes);
    }
  }
  return text;
}

function checkJsonValue(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "boolean":
    case "undefined":
      return;
    case "number":
      if (!Number.isFinite(value)) throw notJson(path, `the number ${value}`);
      return;
    case "bigint":
      throw notJson(path, "a BigInt (convert it to a string)");
    case "function":
      throw notJson(path, "a function");
    case "symbol":
      throw notJson(path, "a symbol");
  }
  if (value === null) return;
  const obj = value as object;
  if (obj instanceof Date) return;
  if (seen.has(obj)) throw notJson(path, "a circular reference");
  seen.add(obj);
  if (Array.isArray(obj)) {
    for (let i = 0; i < obj.length; i++) checkJsonValue(obj[i], `${path}[${i}]`, seen);
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw notJson(path, `an instance of ${obj.constructor?.name ?? "a class"} (pass a plain object)`);
    }
    for (const key of Object.keys(obj)) {
      const v = (obj as Record<string, unknown>)[key];
      if (v !== undefined) checkJsonValue(v, `${path}.${key}`, seen);
    }
  }
  seen.delete(obj);
}

function notJson(path: string, what: string): ValidationError {
  return new ValidationError(`${path} must be JSON-serialisable, but it holds ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Backoff

/** The default retry backoff: exponential from 1s with 10% jitter. */
export const DEFAULT_BACKOFF: BackoffSpec = Object.freeze({ type: "exponential", delay: 1000, jitter: 0.1 });

/** Validates a backoff spec and returns it with durations in ms. */
export function normalizeBackoff(spec: BackoffSpec): BackoffSpec {
  if (typeof spec === "number" || typeof spec === "string") return toMs(spec, "backoff");
  if (typeof spec !== "object" || spec === null || (spec.type !== "fixed" && spec.type !== "exponential")) {
    throw new ValidationError(
      `backoff must be a number of ms or { type: "fixed" | "exponential", delay, jitter?, maxDelay? }, got ${JSON.stringify(spec)}`,
    );
  }
  const jitter = spec.jitter ?? 0;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1)) {
    throw new ValidationError(`backoff.jitter must be a number from 0 to 1, got ${String(spec.jitter)}`);
  }
  const out: BackoffSpec = { type: spec.type, delay: toMs(spec.delay, "backoff.delay") };
  if (spec.jitter !== undefined) out.jitter = jitter;
  if (spec.maxDelay !== undefined) out.maxDelay = toMs(spec.maxDelay, "backoff.maxDelay");
  return out;
}

/**
 * The delay before retry number `attempt` (1 for the first retry).
 * Exponential: `delay * 2^(attempt-1)`, capped by `maxDelay`; `jitter` then only lowers it, to a
 * random point between `d * (1 - jitter)` and `d` (as BullMQ does), so `maxDelay` stays a cap.
 */
export function backoffDelay(spec: BackoffSpec | undefined, attempt: number, random = Math.random): number {
  const s: BackoffSpec = spec ?? DEFAULT_BACKOFF;
  if (typeof s === "number") return s;
  const base = toMs(s.delay, "backoff.delay");
  let delay = s.type === "fixed" ? base : base * 2 ** Math.max(0, attempt - 1);
  if (s.maxDelay !== undefined) delay = Math.min(delay, toMs(s.maxDelay, "backoff.maxDelay"));
  const jitter = s.jitter ?? 0;
  if (jitter > 0) delay = delay * (1 - jitter * random());
  return Math.max(0, Math.round(delay));
}

/** Validates a priority: an integer, lower runs first. */
export function checkPriority(p: unknown): number {
  if (typeof p !== "number" || !Number.isInteger(p)) {
    throw new ValidationError(`priority must be an integer (lower runs first), got ${String(p)}`);
  }
  return p;
}

/** Default priority. */
export const DEFAULT_PRIORITY = 5;
