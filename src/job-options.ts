/**
 * Turns what a producer passes (`EnqueueOptions`, task defaults) into a validated, encoded `NewJob`,
 * and enqueues it. Everything is checked here, before any backend call, so bad input writes nothing.
 */
import type { Backend, NewJob, TransactionClient } from "./backends/backend.js";
import { resolveBackend } from "./backends/registry.js";
import { checkDeduplication, type DeduplicationOptions } from "./deduplication-options.js";
import { ValidationError } from "./errors.js";
import {
  type BackoffSpec,
  checkDependencyRefs,
  checkInt,
  checkJobId,
  checkName,
  checkPriority,
  DEFAULT_PRIORITY,
  type DependencyRef,
  encodeJson,
  type InheritableOption,
  type JobRecord,
  MAX_RETRIES,
  normalizeBackoff,
  type OnParentFailure,
  ownQueueRefs,
  type RetentionSpec,
  toMsOpt,
  toRunAt,
} from "./job.js";
import {
  checkOnParentFailure,
  checkRetention,
  checkTimeout,
  type DefaultJobOptions,
} from "./job-defaults.js";
import { checkKeys, JOB_HINTS, keysOf } from "./option-keys.js";
import { getEnqueueSettings } from "./settings.js";
import { traceEnqueue } from "./telemetry/producer.js";

/**
 * Options for one job; each wins over the task's options. Durations are ms (fractions rounded) or
 * strings like `"5s"`, at most `MAX_DURATION_MS` (100 years); names and ids have no NUL or lone
 * surrogate and at most `MAX_NAME_BYTES` (512) UTF-8 bytes. Anything else throws ValidationError
 * (docs/reliability.md, "Input every engine stores the same").
 */
export interface EnqueueOptions {
  /** Start no sooner than this long from now. Default: at once. Not with `runAt`. */
  delay?: number | string;
  /** Start no sooner than this time (epoch ms, rounded, or a Date; at most 100 years ahead). Default: at once. */
  runAt?: number | Date;
  /** Lower runs first: an integer from -2^31 to 2^31-1. Default 5 (or the task's). */
  priority?: number;
  /**
   * Last in, first out: the job is claimed before every job already waiting with its priority
   * (several lifo jobs: the newest first). A delayed lifo job goes to the front when it becomes
   * due; a retried or stall-recovered one goes to the tail as any other. Default: false (FIFO).
   */
  lifo?: boolean;
  /** Retries after the first failure: an integer from 0 to 2^31-2. Default 0 (or the task's). */
  retries?: number;
  /**
   * Delay between retries: ms, a built-in policy, or `{ type: name }` of a strategy given to
   * `registerBackoff`. Default exponential from 1s with 10% jitter (or the task's).
   */
  backoff?: BackoffSpec;
  /** Expire the job if it has not started this long after it was added. Default: never (or the task's). */
  ttl?: number | string;
  /** Abort and fail an attempt that runs longer than this (> 0). Default: no limit (or the task's). */
  timeout?: number | string;
  /**
   * A custom id (not all digits, no `:`): adding an existing id returns it and enqueues nothing.
   * Default: a generated id (digits).
   */
  jobId?: string;
  /**
   * Jobs that must complete first (the job waits in `waiting-children`): ids of jobs of the same
   * queue, or `{ queue, id }` for jobs of any queue of the same backend. Each must exist (a
   * same-queue one may also come earlier in the same addBulk). The job reads their results with
   * `ctx.childrenValues()` (docs/flows.md). Default: none.
   */
  dependsOn?: DependencyRef[];
  /**
   * What happens when a job it depends on fails, expires, is cancelled or removed: `"fail"`
   * (default), `"ignore"` or `"continue"` (see {@link OnParentFailure}).
   */
  onParentFailure?: OnParentFailure;
  /** Delete the job when it completes: `true`, or keep by `{ age, count }`. Default: keep. */
  removeOnComplete?: RetentionSpec;
  /** Delete the job when it finally fails or expires: `true`, or keep by `{ age, count }`. Default: keep. */
  removeOnFail?: RetentionSpec;
  /**
   * Throttle: while a job added under `id` is unfinished (or younger than `ttl`), return its id
   * instead (see {@link DeduplicationOptions}). Default: none.
   */
  deduplication?: DeduplicationOptions;
  /**
   * Add the job inside your own open transaction (the transactional outbox): a `pg` Client or
   * PoolClient after its `BEGIN` (Postgres backend), or a better-sqlite3 Database on the backend's
   * file inside `BEGIN IMMEDIATE` (SQLite backend). The job exists only if you commit, and workers
   * wake when you do; a refusal undoes only asyncmq's writes (a savepoint). Other backends, and a
   * client of another database, throw ValidationError. Default: the backend's own connection.
   */
  client?: TransactionClient;
}

/** The options a task fixes for its jobs (each job's own options win). */
export interface TaskDefaults {
  /** Retries after the first failure: an integer from 0 to 2^31-2. Default 0. */
  retries?: number;
  /** Delay between retries (see EnqueueOptions.backoff). Default exponential from 1s with 10% jitter. */
  backoff?: BackoffSpec;
  /** Expire a job not started this long after it was added. Default: never. */
  ttl?: number | string;
  /** Abort and fail an attempt that runs longer than this. Default: no limit. */
  timeout?: number | string;
  /**
   * Lower runs first (an integer from -2^31 to 2^31-1). Default 5. Applied where the enqueuing
   * process has the task registered; a job added by name elsewhere gets 5 (priority orders claims,
   * so the worker cannot apply it afterwards, as it does the others).
   */
  priority?: number;
  /**
   * Delete its jobs when they complete: `true`, or keep by `{ age, count }`. Default: the queue's
   * `defaultJobOptions`, else the `defaultJobOptions` setting, else keep. Applied where the enqueuing
   * process has the task registered (retention is stored on the job when it is added).
   */
  removeOnComplete?: RetentionSpec;
  /** Delete its jobs when they finally fail or expire: as `removeOnComplete`. Default: keep. */
  removeOnFail?: RetentionSpec;
}

/** Every key EnqueueOptions has: any other is a ValidationError (see option-keys.ts). */
const ENQUEUE_KEYS = keysOf<EnqueueOptions>({
  delay: true,
  runAt: true,
  priority: true,
  lifo: true,
  retries: true,
  backoff: true,
  ttl: true,
  timeout: true,
  jobId: true,
  dependsOn: true,
  onParentFailure: true,
  removeOnComplete: true,
  removeOnFail: true,
  deduplication: true,
  client: true,
});

const INHERITABLE: Array<[InheritableOption, keyof EnqueueOptions]> = [
  ["retries", "retries"],
  ["backoff", "backoff"],
  ["ttl", "ttl"],
  ["timeout", "timeout"],
];

const NO_OPTIONS: EnqueueOptions = Object.freeze({});
/** Shared by every job added without options by a process that does not know its task; never mutated. */
const ALL_INHERITED = Object.freeze(INHERITABLE.map(([name]) => name)) as InheritableOption[];

/** One job to add: its task's name, its data and its options. */
export interface JobSpec {
  task: string;
  data?: unknown;
  options?: EnqueueOptions;
}

/**
 * The one enqueue path of `Queue.add`/`addBulk` and `Task.enqueue`: builds every job first (bad
 * input writes nothing and opens no backend), then resolves the backend (a Backend, a URL, the
 * default when undefined, or a getter) and enqueues them in one atomic step, in the caller's
 * transaction when `client` or a spec names one (all that name one must name the same).
 * `defaultsOf` gives a task's options where this process knows the task. Resolves to the ids, in order.
 */
export async function enqueueJobs(
  backend: Backend | string | undefined | (() => Backend),
  queue: string,
  specs: readonly JobSpec[],
  defaultsOf: (task: string) => TaskDefaults | undefined,
  queueDefaults: DefaultJobOptions = NO_OPTIONS,
  client?: TransactionClient,
): Promise<string[]> {
  const now = Date.now();
  const settings = getEnqueueSettings(); // once per call: it reads the environment
  const base = { ...settings.defaultJobOptions, ...queueDefaults };
  // The jobs of one task added without options differ only in their data: the rest is built (and
  // checked) once per task and call, which halves the cost of building a large addBulk.
  const plain = new Map<string, NewJob>();
  const jobs = specs.map((j) => {
    if (j.options === undefined) {
      let shared = plain.get(j.task);
      if (shared === undefined) {
        shared = buildNewJob(j.task, null, undefined, defaultsOf(j.task), now, null, base);
        plain.set(j.task, shared);
      }
      return { ...shared, dataJson: encodeJson(j.data, "data", settings.maxPayloadBytes) };
    }
    const job = buildNewJob(
      j.task,
      j.data,
      j.options,
      defaultsOf(j.task),
      now,
      settings.maxPayloadBytes,
      base,
    );
    // A { queue, id } ref to this very queue is a same-queue parent: the contract wants its bare id.
    if (job.dependsOn !== undefined) job.dependsOn = ownQueueRefs(job.dependsOn, queue);
    return job;
  });
  if (jobs.length === 0) return [];
  const inTx = clientOf(specs, client);
  const target = typeof backend === "function" ? backend() : resolveBackend(backend);
  const results = await traceEnqueue(queue, jobs, () =>
    target.enqueue(queue, jobs, inTx === undefined ? undefined : { client: inTx }),
  );
  return results.map((r) => r.id);
}

/** The one `client` the call and its specs name, if any. @throws ValidationError when they name two. */
function clientOf(
  specs: readonly JobSpec[],
  given: TransactionClient | undefined,
): TransactionClient | undefined {
  let client = given;
  for (const spec of specs) {
    const own = spec.options?.client;
    if (own === undefined) continue;
    if (client !== undefined && own !== client) {
      throw new ValidationError(
        'the jobs of one addBulk name two different "client" connections; one call writes in one transaction: give them all the same client, or add them in two calls',
      );
    }
    client = own;
  }
  return client;
}

/**
 * Builds a NewJob. `defaults` are the task's options when the enqueuing process knows the task;
 * when it does not (`defaults` undefined), what the job leaves unset is marked `inherit` so that
 * the worker applies its task's options. `base` (the queue's `defaultJobOptions` over the setting)
 * fills what the job and its task leave unset.
 */
export function buildNewJob(
  task: string,
  data: unknown,
  options: EnqueueOptions | undefined,
  defaults: TaskDefaults | undefined,
  now: number,
  maxPayloadBytes: number | null = getEnqueueSettings().maxPayloadBytes,
  base: DefaultJobOptions = getEnqueueSettings().defaultJobOptions ?? NO_OPTIONS,
): NewJob {
  checkName(task, "task name");
  const o: EnqueueOptions = options ?? NO_OPTIONS;
  if (typeof o !== "object" || o === null) throw new ValidationError("enqueue options must be an object");
  checkKeys(o, ENQUEUE_KEYS, "enqueue options", JOB_HINTS);
  const dataJson = encodeJson(data, "data", maxPayloadBytes);
  /** The job's own option, else its task's, else the base default. */
  function pick<K extends keyof DefaultJobOptions>(k: K): DefaultJobOptions[K] | undefined {
    const own = o[k];
    if (own !== undefined) return own;
    const task = (defaults as DefaultJobOptions | undefined)?.[k];
    return task !== undefined ? task : base[k];
  }

  const job: NewJob = {
    task,
    dataJson,
    priority: checkPriority(pick("priority") ?? DEFAULT_PRIORITY),
    maxRetries: checkInt(pick("retries") ?? 0, "retries", 0, MAX_RETRIES),
    createdAt: now,
  };
  const backoff = pick("backoff");
  if (backoff !== undefined) job.backoff = normalizeBackoff(backoff);
  const ttl = toMsOpt(pick("ttl"), "ttl");
  if (ttl !== undefined) job.ttl = ttl;
  const timeout = toMsOpt(pick("timeout"), "timeout");
  if (timeout !== undefined) job.timeout = checkTimeout(timeout);
  if (o.jobId !== undefined) job.id = checkJobId(o.jobId);
  if (o.lifo !== undefined) {
    if (typeof o.lifo !== "boolean") {
      throw new ValidationError(`lifo must be true or false, got ${JSON.stringify(o.lifo)}`);
    }
    if (o.lifo) job.lifo = true;
  }

  if (o.delay !== undefined && o.runAt !== undefined) {
    throw new ValidationError("give either delay or runAt, not both");
  }
  const delay = o.runAt === undefined ? toMsOpt(pick("delay"), "delay") : undefined;
  if (delay !== undefined) {
    if (delay > 0) job.runAt = now + delay;
  } else if (o.runAt !== undefined) {
    const runAt = toRunAt(o.runAt, now);
    if (runAt > now) job.runAt = runAt;
  }

  if (o.dependsOn !== undefined) {
    const entries = checkDependencyRefs(o.dependsOn, "dependsOn");
    if (entries.length > 0) job.dependsOn = entries;
  }
  const onParentFailure = pick("onParentFailure");
  if (onParentFailure !== undefined) job.onParentFailure = checkOnParentFailure(onParentFailure);
  const removeOnComplete = pick("removeOnComplete");
  if (removeOnComplete !== undefined)
    job.removeOnComplete = checkRetention(removeOnComplete, "removeOnComplete");
  const removeOnFail = pick("removeOnFail");
  if (removeOnFail !== undefined) job.removeOnFail = checkRetention(removeOnFail, "removeOnFail");
  if (o.deduplication !== undefined) job.dedup = checkDeduplication(o.deduplication);
  if (defaults === undefined) {
    if (o === NO_OPTIONS) job.inherit = ALL_INHERITED;
    else {
      const inherit = INHERITABLE.filter(([, key]) => o[key] === undefined).map(([name]) => name);
      if (inherit.length) job.inherit = inherit;
    }
  }
  return job;
}

/** The options a running attempt obeys; `inherit` may fill them from the worker's task. */
export interface EffectiveOptions {
  maxRetries: number;
  backoff?: BackoffSpec;
  ttl?: number;
  timeout?: number;
}

/**
 * The job's options, with what it left to its task (`inherit`) filled from `defaults`, the options
 * of the task registered in the worker (durations already in ms: see checkTaskDefaults).
 */
export function withInherited(job: JobRecord, defaults: TaskDefaults | undefined): EffectiveOptions {
  if (!job.inherit || !defaults) return job;
  const eff: EffectiveOptions = {
    maxRetries: job.maxRetries,
    backoff: job.backoff,
    ttl: job.ttl,
    timeout: job.timeout,
  };
  for (const key of job.inherit) {
    if (key === "retries" && defaults.retries !== undefined) eff.maxRetries = defaults.retries;
    else if (key === "backoff" && defaults.backoff !== undefined) eff.backoff = defaults.backoff;
    else if (key === "ttl" && defaults.ttl !== undefined) eff.ttl = defaults.ttl as number;
    else if (key === "timeout" && defaults.timeout !== undefined) eff.timeout = defaults.timeout as number;
  }
  return eff;
}
