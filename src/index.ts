/**
 * asyncmq: the public surface, re-exports only. Usage is in README.md, the storage contract in
 * docs/backend-contract.md. Importing this loads no database driver: each backend loads its own
 * (better-sqlite3, or the optional pg / ioredis) when first constructed.
 */

export type {
  Backend,
  BackendCapabilities,
  ClaimOptions,
  DependencyResults,
  EnqueueCallOptions,
  EnqueueResult,
  Finish,
  FinishAndClaim,
  FiredRecord,
  HandOff,
  IdleClaimer,
  JobError,
  LeaderStore,
  MetricCounts,
  MetricMinute,
  MetricStore,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  RepeatableStore,
  StallSweep,
  TransactionClient,
  WakeReason,
  WorkerInfo,
  WorkerRegistry,
} from "./backends/backend.js";
export type {
  Applied,
  Effects,
  Engine,
  EngineContext,
  EngineRepeatables,
  EnqueueAndClaim,
  JobStore,
  Notifier,
} from "./backends/engine.js";
export { ANSWERING, NO_NOTIFIER, REPORTING } from "./backends/engine.js";
export { EngineBackend } from "./backends/engine-backend.js";
export { InMemoryBackend } from "./backends/memory/memory-backend.js";
export {
  type PgPool,
  PostgresBackend,
  type PostgresBackendOptions,
} from "./backends/postgres/postgres-backend.js";
export type { RedisBackendOptions, RedisConnectionLike } from "./backends/redis/options.js";
export { RedisBackend } from "./backends/redis/redis-backend.js";
export {
  type BackendFactory,
  closeSharedBackends,
  createBackend,
  DEFAULT_SQLITE_PATH,
  registerBackend,
  resolveBackend,
} from "./backends/registry.js";
export { EffectsCollector } from "./backends/shared/effects.js";
export { SqliteBackend, type SqliteBackendOptions } from "./backends/sqlite/sqlite-backend.js";
export { type BackoffStrategy, registerBackoff, unregisterBackoff } from "./backoff-registry.js";
export { createDashboard, type Dashboard } from "./dashboard/create.js";
export type { DashboardOptions } from "./dashboard/options.js";
export { type RunningDashboard, type StartDashboardOptions, startDashboard } from "./dashboard/server.js";
export type { DeduplicationOptions } from "./deduplication-options.js";
export {
  AsyncMQError,
  BackendError,
  JobCancelledError,
  JobFailedError,
  JobNotFoundError,
  JobStalledError,
  JobTimeoutError,
  ParentFailedError,
  PayloadTooLargeError,
  SandboxCrashError,
  UnknownTaskError,
  UnrecoverableError,
  ValidationError,
  WaitTimeoutError,
} from "./errors.js";
export {
  type DynamicEventName,
  type EventListener,
  events,
  JOB_EVENT_NAMES,
  type JobEventBase,
  type JobEventError,
  type JobEventListener,
  type JobEventName,
  type JobEventPayload,
  type JobEvents,
  type SafeEmitter,
} from "./events.js";
export {
  type BackoffPolicy,
  type BackoffSpec,
  backoffDelay,
  type ClaimedJob,
  type CustomBackoff,
  type DependencyRef,
  type InheritableOption,
  JOB_STATES,
  type JobRecord,
  type JobRef,
  type JobState,
  MAX_DURATION_MS,
  MAX_NAME_BYTES,
  MAX_PAYLOAD_DEPTH,
  type OnParentFailure,
  type RetentionSpec,
  toMs,
} from "./job.js";
export type { DefaultJobOptions } from "./job-defaults.js";
export type { EnqueueOptions, TaskDefaults } from "./job-options.js";
export type { Logger } from "./logger.js";
export { METRIC_BUCKETS_MS } from "./metrics/buckets.js";
export { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./metrics/prometheus.js";
export type { MetricsRangeOptions, QueueMetrics } from "./metrics/query.js";
export { Queue, type QueueOptions } from "./queue.js";
export type { QueueEvents } from "./queue-events.js";
export { RateLimitError } from "./rate-limit-error.js";
export type { SandboxOptions } from "./sandbox/options.js";
export type { RepeatableDef, RepeatableInfo } from "./schedule/repeatable-def.js";
export { configure, getSettings, resetSettings, type Settings } from "./settings.js";
export { DelayedError, WaitingChildrenError } from "./step-errors.js";
export {
  getTask,
  type JobContext,
  listTasks,
  type Task,
  type TaskHandler,
  type TaskOptions,
  task,
  unregisterTask,
} from "./task.js";
export { type Limiter, type ProcessJobOptions, processJob } from "./worker/claim-loop.js";
export { handleJob } from "./worker/handle-job.js";
export type { Permits } from "./worker/queue-pool.js";
export { RateLimiter } from "./worker/rate-limiter.js";
export { type RunWorkerOptions, runWorker, startWorker, workerLoop } from "./worker/runners.js";
export type { Scanner, ScannerContext } from "./worker/scanners.js";
export { Semaphore } from "./worker/semaphore.js";
export { Worker } from "./worker/worker.js";
export type { WorkerQueue, WorkerQueues } from "./worker/worker-queues.js";
