/**
 * Options given once for many jobs: a task's options, a queue's `defaultJobOptions` and
 * `configure({ defaultJobOptions })`. Each is validated where it is given (task(), new Queue(),
 * configure()), so a bad default fails at once, not at the first add. For one job, precedence is:
 * its own options, then its task's, then its queue's defaultJobOptions, then the setting.
 */
import { ValidationError } from "./errors.js";
import {
  checkInt,
  checkPriority,
  INT32_MAX,
  MAX_RETRIES,
  normalizeBackoff,
  type OnParentFailure,
  type RetentionSpec,
  toMs,
} from "./job.js";
import type { EnqueueOptions } from "./job-options.js";
import { checkKeys, JOB_HINTS, keysOf, RETENTION_HINTS } from "./option-keys.js";

/**
 * Job options that can apply to many jobs (a queue's `defaultJobOptions`, the `defaultJobOptions`
 * setting): those of {@link EnqueueOptions} that do not name one job (not `jobId`, `runAt`,
 * `dependsOn` or `deduplication`).
 */
export type DefaultJobOptions = Pick<
  EnqueueOptions,
  | "delay"
  | "priority"
  | "retries"
  | "backoff"
  | "ttl"
  | "timeout"
  | "onParentFailure"
  | "removeOnComplete"
  | "removeOnFail"
>;

const DEFAULT_JOB_KEYS = keysOf<DefaultJobOptions>({
  delay: true,
  priority: true,
  retries: true,
  backoff: true,
  ttl: true,
  timeout: true,
  onParentFailure: true,
  removeOnComplete: true,
  removeOnFail: true,
});

const ONE_JOB = "it names one job, so it cannot be a default: give it to queue.add";
const DEFAULT_JOB_HINTS = {
  ...JOB_HINTS,
  jobId: ONE_JOB,
  runAt: `${ONE_JOB} (a default start from now is "delay")`,
  dependsOn: ONE_JOB,
  deduplication: ONE_JOB,
};

/**
 * Validates `defaultJobOptions` (of a queue or the setting) and returns them with durations in ms.
 * @param where - e.g. `defaultJobOptions of new Queue("emails")`, for the error messages.
 */
export function checkDefaultJobOptions(o: DefaultJobOptions, where: string): DefaultJobOptions {
  if (typeof o !== "object" || o === null) {
    throw new ValidationError(`${where} must be an object like { removeOnComplete: { count: 1000 } }`);
  }
  checkKeys(o, DEFAULT_JOB_KEYS, where, DEFAULT_JOB_HINTS);
  return checkDefaults(o, `${where}: `);
}

/**
 * Validates options that apply to many jobs (keys already checked by the caller) and returns them
 * with durations in ms. `prefix` starts each error message.
 */
export function checkDefaults(o: DefaultJobOptions, prefix = ""): DefaultJobOptions {
  const out: DefaultJobOptions = {};
  if (o.delay !== undefined) out.delay = toMs(o.delay, `${prefix}delay`);
  if (o.retries !== undefined) out.retries = checkInt(o.retries, `${prefix}retries`, 0, MAX_RETRIES);
  if (o.backoff !== undefined) out.backoff = normalizeBackoff(o.backoff);
  if (o.ttl !== undefined) out.ttl = toMs(o.ttl, `${prefix}ttl`);
  if (o.timeout !== undefined) out.timeout = checkTimeout(toMs(o.timeout, `${prefix}timeout`), prefix);
  if (o.priority !== undefined) out.priority = checkPriority(o.priority);
  if (o.onParentFailure !== undefined) out.onParentFailure = checkOnParentFailure(o.onParentFailure, prefix);
  if (o.removeOnComplete !== undefined)
    out.removeOnComplete = checkRetention(o.removeOnComplete, `${prefix}removeOnComplete`);
  if (o.removeOnFail !== undefined)
    out.removeOnFail = checkRetention(o.removeOnFail, `${prefix}removeOnFail`);
  return out;
}

/** A timeout in ms must be above 0 (0 would fail every attempt at once). */
export function checkTimeout(ms: number, prefix = ""): number {
  if (ms <= 0) throw new ValidationError(`${prefix}timeout must be greater than 0`);
  return ms;
}

export function checkOnParentFailure(value: unknown, prefix = ""): OnParentFailure {
  if (value !== "fail" && value !== "ignore" && value !== "continue") {
    throw new ValidationError(
      `${prefix}onParentFailure must be "fail", "ignore" or "continue", got ${String(value)}`,
    );
  }
  return value;
}

/** Validates `removeOnComplete` / `removeOnFail` and returns it with `age` in ms. */
export function checkRetention(spec: RetentionSpec, what: string): RetentionSpec {
  if (typeof spec === "boolean") return spec;
  if (typeof spec === "number") {
    throw new ValidationError(
      `${what} must be true, false or { age?, count? }, got ${spec}: BullMQ's number shorthand is { count: ${spec} } here (keep the newest ${spec})`,
    );
  }
  if (typeof spec !== "object" || spec === null) {
    throw new ValidationError(`${what} must be true, false or { age?, count? }, got ${JSON.stringify(spec)}`);
  }
  checkKeys(spec, ["age", "count"], what, RETENTION_HINTS);
  const out: { age?: number; count?: number } = {};
  if (spec.age !== undefined) out.age = toMs(spec.age, `${what}.age`);
  if (spec.count !== undefined) out.count = checkInt(spec.count, `${what}.count`, 0, INT32_MAX);
  if (out.age === undefined && out.count === undefined) {
    throw new ValidationError(`${what} needs age or count (or pass true)`);
  }
  return out;
}
