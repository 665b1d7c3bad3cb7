/**
 * Unknown option keys: every options object (job, task, queue, worker, repeatable, settings) is
 * checked key by key, so that `{ attempts: 3 }` (BullMQ's name for `retries`) is a ValidationError
 * naming the key, not a job that silently runs once. TypeScript already refuses unknown keys in
 * object literals; this is for JavaScript callers and objects built at run time.
 *
 * The hint tables map the names BullMQ and pg-boss use to asyncmq's; any other unknown key gets the
 * closest known name ("did you mean") or, failing that, the list of known names.
 */
import { closest } from "./closest.js";
import { ValidationError } from "./errors.js";

/** What to write instead of a foreign or misplaced key, as one sentence. */
export type KeyHints = Readonly<Record<string, string>>;

/**
 * The keys of `T` as a list, checked by the compiler against `T` both ways: a key of `T` missing
 * here, or one here that `T` lacks, does not compile.
 */
export function keysOf<T>(keys: { readonly [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(keys);
}

/**
 * Throws ValidationError for the first own key of `value` not in `known`, saying what to write
 * instead: the hint from `hints`, else the closest known key, else the known keys.
 * @param where - where the options were given, e.g. `"enqueue options"`, `"new Queue() options"`.
 */
export function checkKeys(
  value: object,
  known: readonly string[],
  where: string,
  hints: KeyHints = {},
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = Object.hasOwn(hints, key) ? hints[key] : undefined;
    const near = closest(key, known);
    const help =
      hint ??
      (near !== undefined
        ? `did you mean "${near}"?`
        : `the keys it takes are ${known.map((k) => `"${k}"`).join(", ")}`);
    throw new ValidationError(`unknown key "${key}" in ${where}: ${help}`);
  }
}

const NOT_SUPPORTED = "asyncmq has no such option; remove it";

/** BullMQ's and pg-boss's job options, and other keys misplaced on a job. */
export const JOB_HINTS: KeyHints = {
  attempts:
    "did you mean \"retries\"? BullMQ's attempts counts every run, asyncmq's retries only the runs after the first: attempts: 3 is retries: 2",
  retryLimit: 'did you mean "retries"? (pg-boss\'s retryLimit: 2 is retries: 2)',
  retry: 'did you mean "retries"?',
  maxRetries: 'did you mean "retries"? (the job record\'s maxRetries is set from it)',
  retryDelay:
    'did you mean "backoff"? pg-boss\'s retryDelay counts seconds: retryDelay: 5 is backoff: 5000 (a fixed 5 s)',
  retryBackoff:
    'did you mean "backoff"? pg-boss\'s retryBackoff: true is backoff: { type: "exponential", delay: 1000 } (the default)',
  retryDelayMax:
    'did you mean "backoff"? Cap exponential retries with backoff: { type: "exponential", delay, maxDelay }',
  repeat:
    "a repeating job is a definition, not a job option: use queue.upsertRepeatable({ task, every | cron, ... }) (docs/repeatables.md)",
  parent:
    "asyncmq has no parent option: the job that waits names the jobs it waits for, as dependsOn: [ids]. BullMQ's parent waits for its children: add the children first, then the parent with dependsOn: [their ids]",
  failParentOnFailure:
    'did you mean "onParentFailure"? Set it on the waiting job: onParentFailure: "fail" (the default) fails it when a job it depends on fails',
  continueParentOnFailure:
    'did you mean "onParentFailure"? Set it on the waiting job: onParentFailure: "continue" starts it at once when a job it depends on fails (ctx.childrenFailures() tells which)',
  ignoreDependencyOnFailure:
    'did you mean "onParentFailure"? Set it on the waiting job: onParentFailure: "ignore" lets it run once the others complete (ctx.childrenFailures() tells which failed)',
  removeDependencyOnFailure:
    'did you mean "onParentFailure"? Set it on the waiting job: onParentFailure: "ignore" drops the failed dependency and lets it run once the others complete',
  id: 'did you mean "jobId"?',
  startAfter:
    'did you mean "delay" or "runAt"? pg-boss\'s startAfter: 30 (seconds) is delay: "30s"; a Date or ISO string is runAt: new Date(...)',
  singletonKey: 'did you mean "deduplication"? singletonKey: "k" is deduplication: { id: "k" }',
  singletonSeconds: 'did you mean "deduplication"? singletonSeconds: 60 is deduplication: { id, ttl: "60s" }',
  singletonMinutes: 'did you mean "deduplication"? singletonMinutes: 5 is deduplication: { id, ttl: "5m" }',
  singletonHours: 'did you mean "deduplication"? singletonHours: 1 is deduplication: { id, ttl: "1h" }',
  singletonNextSlot: NOT_SUPPORTED,
  debounce:
    'did you mean "deduplication"? BullMQ\'s debounce: { id, ttl } is deduplication: { id, ttl } (extend: true restarts the ttl at each duplicate; replace: true replaces a delayed holder)',
  expireInSeconds:
    'did you mean "timeout"? pg-boss\'s expireIn limits how long a job runs: expireInSeconds: 60 is timeout: "60s" (asyncmq\'s ttl is how long a job may wait before it starts)',
  expireInMinutes: 'did you mean "timeout"? expireInMinutes: 5 is timeout: "5m"',
  expireInHours: 'did you mean "timeout"? expireInHours: 1 is timeout: "1h"',
  retentionSeconds:
    'did you mean "ttl"? pg-boss\'s retention is how long a job may wait unstarted: retentionSeconds: 60 is ttl: "60s"',
  retentionMinutes: 'did you mean "ttl"? retentionMinutes: 30 is ttl: "30m"',
  retentionHours: 'did you mean "ttl"? retentionHours: 2 is ttl: "2h"',
  retentionDays: 'did you mean "ttl"? retentionDays: 1 is ttl: "1d"',
  keepUntil: 'did you mean "ttl"? ttl is how long a job may wait unstarted, counted from when it was added',
  deleteAfterSeconds:
    'did you mean "removeOnComplete"? deleteAfterSeconds: 60 is removeOnComplete: { age: "60s" }',
  deleteAfterMinutes:
    'did you mean "removeOnComplete"? deleteAfterMinutes: 5 is removeOnComplete: { age: "5m" }',
  deleteAfterHours: 'did you mean "removeOnComplete"? deleteAfterHours: 1 is removeOnComplete: { age: "1h" }',
  deleteAfterDays: 'did you mean "removeOnComplete"? deleteAfterDays: 7 is removeOnComplete: { age: "7d" }',
  deadLetter:
    'asyncmq keeps a queue\'s finally failed jobs in its dead-letter list (queue.getJobs(["failed"]), queue.retryJob(id)); there is no separate dead-letter queue',
  timestamp: 'asyncmq sets the creation time itself; to start a job later use "delay" or "runAt"',
  expire: 'did you mean "ttl" (how long it may wait unstarted) or "timeout" (how long one run may last)?',
  keepLogs: NOT_SUPPORTED,
  stackTraceLimit: NOT_SUPPORTED,
  sizeLimit: "asyncmq limits every payload with the maxPayloadBytes setting: configure({ maxPayloadBytes })",
  telemetry: NOT_SUPPORTED,
  prevMillis: NOT_SUPPORTED,
  repeatJobKey: NOT_SUPPORTED,
  backend:
    "a backend is chosen by new Queue(name, { backend }), task.enqueue(data, { backend }) or configure({ backend })",
  concurrency:
    "concurrency is the worker's: new Worker(queue, { concurrency }) or queue.run({ concurrency })",
};

/** Retention objects (`removeOnComplete: { age, count }`). */
export const RETENTION_HINTS: KeyHints = {
  keep: 'did you mean "count"?',
  max: 'did you mean "count"?',
  limit: 'did you mean "count"?',
};

/** BullMQ's and pg-boss's queue options. */
export const QUEUE_HINTS: KeyHints = {
  connection:
    'did you mean "backend"? backend: "redis://127.0.0.1:6379" (a URL) or a backend instance, e.g. new RedisBackend({ url })',
  prefix:
    'a Redis key prefix belongs to the backend: backend: "redis://127.0.0.1:6379?prefix=myapp" or new RedisBackend({ url, prefix })',
  limiter:
    'did you mean "rateLimit"? limiter: { max: 10, duration: 1000 } is rateLimit: 10, rateInterval: 1000',
  streams: NOT_SUPPORTED,
  skipVersionCheck: NOT_SUPPORTED,
  skipMetasUpdate: NOT_SUPPORTED,
  telemetry: NOT_SUPPORTED,
  retryLimit: "job options of every job of the queue go in defaultJobOptions: { retries }",
  attempts:
    "job options of every job of the queue go in defaultJobOptions: { retries } (attempts: 3 is retries: 2)",
  removeOnComplete: "job options of every job of the queue go in defaultJobOptions: { removeOnComplete }",
  removeOnFail: "job options of every job of the queue go in defaultJobOptions: { removeOnFail }",
};

/** BullMQ's and pg-boss's worker options. */
export const WORKER_HINTS: KeyHints = {
  connection: QUEUE_HINTS.connection as string,
  prefix: QUEUE_HINTS.prefix as string,
  limiter: QUEUE_HINTS.limiter as string,
  lockDuration: 'did you mean "leaseDuration"? (BullMQ\'s lockDuration)',
  lockRenewTime: "leases renew by themselves, three times per leaseDuration; set leaseDuration",
  stalledInterval:
    'did you mean "scanInterval"? Stalled jobs are looked for every scanInterval (at most half a leaseDuration)',
  drainDelay: 'did you mean "scanInterval"? An idle worker waits for a wake-up, at most scanInterval',
  pollingIntervalSeconds: 'did you mean "scanInterval"? pollingIntervalSeconds: 2 is scanInterval: "2s"',
  teamSize: 'did you mean "concurrency"?',
  teamConcurrency: 'did you mean "concurrency"?',
  localConcurrency: 'did you mean "concurrency"?',
  batchSize: 'did you mean "concurrency"? A worker claims up to concurrency jobs at once',
  autorun: "new Worker(...) waits for worker.start(); runWorker(...) and queue.run() start at once",
  removeOnComplete:
    "retention is the job's: set removeOnComplete on the job, its task(), or the queue's defaultJobOptions",
  removeOnFail:
    "retention is the job's: set removeOnFail on the job, its task(), or the queue's defaultJobOptions",
  metrics: "metrics are recorded by default; turn them off with configure({ metrics: false })",
  useWorkerThreads: NOT_SUPPORTED,
  skipStalledCheck: NOT_SUPPORTED,
  skipLockRenewal: NOT_SUPPORTED,
  settings: NOT_SUPPORTED,
  name: "a worker's id is made for it (worker.id)",
  runRetryDelay: NOT_SUPPORTED,
  maxStartedAttempts: 'did you mean "maxStalledCount"? Retries are the job\'s "retries"',
  grace: 'did you mean "shutdownGrace"?',
  telemetry: NOT_SUPPORTED,
};

/** BullMQ's repeat options and scheduler template, pg-boss's schedule options. */
export const REPEAT_HINTS: KeyHints = {
  pattern: 'did you mean "cron"? (BullMQ\'s pattern)',
  name: "did you mean \"task\"? (BullMQ's job name is asyncmq's task name)",
  key: 'did you mean "id"?',
  jobId: 'did you mean "id"? Each slot\'s job id is made from it: repeat-<id>-<slot>',
  opts: "give job options beside the schedule: { task, every, retries, priority, ttl }",
  utc: 'cron runs in UTC unless "tz" names another zone',
  count: NOT_SUPPORTED,
  attempts: JOB_HINTS.attempts as string,
};
