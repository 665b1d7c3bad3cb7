/**
 * The storage contract as the runtime, `Queue` and the CLI see it: one `Backend` object per
 * storage. Every backend is an engine (a job store, a notifier and optional stores; see
 * `engine.ts`) wrapped by `EngineBackend` (`engine-backend.ts`), which delivers what each
 * transition returns (events, wake-ups) the same way for every engine (`delivery.ts`).
 *
 * Rules every backend follows (docs/backend-contract.md has the details the conformance suite checks):
 * - Every job transition is ONE atomic step (a transaction, a Lua script, a synchronous section).
 * - Writes from a worker carry the lease token it got from a claim; a write whose token no longer
 *   matches the job's current lease changes nothing and reports `ok: false` (fencing).
 * - Events reach the exported `events` emitter and `subscribe` listeners of this process after the
 *   change is durable; `subscribe` listeners also get the events of other processes, where the
 *   engine can carry them (`capabilities.multiProcess`).
 * - Each transition that makes work available (enqueue, promote, retry now, resume, release; and,
 *   on a queue with a global concurrency, any that ends an active job) wakes `onWake` listeners of
 *   that queue, in this process and, where the engine allows, in others.
 * - Nothing is O(N) in the queue size on the hot path (enqueue, claim, finish, extend).
 * - Times are epoch milliseconds; `now` comes from the caller so that one clock drives a transition.
 */
import type { JobEventName, JobEventPayload } from "../events.js";
import type {
  BackoffSpec,
  ClaimedJob,
  InheritableOption,
  JobRecord,
  JobState,
  OnParentFailure,
  RetentionSpec,
} from "../job.js";

/** What a job kept of the jobs it depended on (`Backend.getDependencyResults`). */
export interface DependencyResults {
  /** Results of the completed dependencies, by `"<queue>:<id>"`. */
  values: Record<string, unknown>;
  /** Error messages of the dependencies that failed (or expired, ...) while the job went on, by `"<queue>:<id>"`. */
  failures: Record<string, string>;
}

/** A job to insert, already validated and encoded by the caller. */
export interface NewJob {
  /** A custom id; when absent the backend assigns the next numeric id (as a string). */
  id?: string;
  task: string;
  /** The payload as JSON text. */
  dataJson: string;
  priority: number;
  /**
   * Last in, first out: the job enters `waiting` (when added, or promoted from `delayed`) ahead of
   * every waiting job of its priority, the newest lifo job first. Retries, releases and stall
   * recovery put it at the tail as any other job.
   */
  lifo?: true;
  maxRetries: number;
  backoff?: BackoffSpec;
  ttl?: number;
  timeout?: number;
  createdAt: number;
  /** When set and in the future, the job starts `delayed`. */
  runAt?: number;
  /**
   * Jobs that must complete first: ids of the same queue, or `"<queue>:<id>"` for a job of another
   * queue (queue names and job ids never contain `:`, so the two never clash; a job of this queue
   * is always a bare id). Unknown jobs are a ValidationError. See `dependencyRef` of shared/rules.ts.
   */
  dependsOn?: string[];
  onParentFailure?: OnParentFailure;
  removeOnComplete?: RetentionSpec;
  removeOnFail?: RetentionSpec;
  inherit?: InheritableOption[];
  /**
   * The producer's trace context (propagation headers such as `traceparent`), stored as given and
   * returned on the job's records (`JobRecord.traceContext`). Absent when tracing was off.
   */
  traceContext?: Record<string, string>;
  /**
   * Throttle: while a job with this key was added less than `ttl` ms ago (or, without ttl, is
   * unfinished), return it instead. `extend` (with `ttl`): such a duplicate restarts the key's ttl
   * window from its own `createdAt`. `replace`: when that job is `delayed`, remove it (as
   * `removeJob`) and insert this one, which takes the key (`dedupReplaces` of shared/rules.ts).
   */
  dedup?: { key: string; ttl?: number; extend?: boolean; replace?: boolean };
}

export interface EnqueueResult {
  id: string;
  state: JobState;
  /** True when an existing job (same `id` or dedup key) was returned and nothing was inserted. */
  duplicate: boolean;
}

export interface ClaimOptions {
  workerId: string;
  /** Most jobs to claim in this call (>= 1). */
  limit: number;
  /** Lease length in ms; the worker renews it with `extendLeases`. */
  leaseMs: number;
  now: number;
  /** Claim this one job only, if it is waiting (`handleJob` given a record it did not claim). Default: any. */
  jobId?: string;
  /**
   * The most jobs the claiming worker runs at once (its concurrency). Stored on each claimed job:
   * if the worker dies, each job it held is charged at most 1/concurrency of a stall (see
   * `chargeStall`). Default: `limit`.
   */
  concurrency?: number;
}

/** An idle claim loop's offer to claim as this process enqueues (`Backend.offerIdleClaim`). */
export interface IdleClaimer {
  /**
   * Called as an enqueue of `count` jobs that start waiting is about to be sent: the claim to make
   * once they are stored (for at most `count` jobs, each taking one of the loop's free slots), or
   * null (not now).
   */
  take(count: number): HandOff | null;
}

/** A claim sent with an enqueue for an idle claim loop: its options, and where its jobs go. */
export interface HandOff {
  claim: ClaimOptions;
  /** Called once with the jobs claimed (null: the claim failed, nothing was claimed). */
  adopt(jobs: ClaimedJob[] | null): void;
}

/** What `finishAndClaim` did: per item whether its token held, and the jobs claimed after. */
export interface FinishAndClaim {
  held: boolean[];
  claimed: ClaimedJob[];
}

/** What one stall sweep (`recoverStalled`) did, and when the next one has work. */
export interface StallSweep {
  /** Jobs put back to `waiting` (job:stalled). */
  stalled: string[];
  /** Jobs failed past `maxStalledCount` (job:failed). */
  failed: string[];
  /**
   * The earliest lease expiry among the queue's jobs still `active` after the sweep, null when
   * none is; the sweeper sleeps until then (a lease renewed meanwhile only moves it later).
   * Undefined (a backend that does not say): the sweeper looks every interval.
   */
  nextLeaseExpiry?: number | null;
}

/** How a worker ends one attempt. Every kind is fenced by `token`. */
export type Finish =
  | { kind: "completed"; jobId: string; token: string; resultJson: string }
  /** Back to `delayed` until `runAt` (or `waiting` when `runAt <= now`); emits `job:retrying`. */
  | { kind: "retry"; jobId: string; token: string; error: JobError; runAt: number }
  /** Final failure: dead-letter list; dependants follow their `onParentFailure` policy. */
  | { kind: "failed"; jobId: string; token: string; error: JobError }
  /** The job's ttl passed before its handler ran. */
  | { kind: "expired"; jobId: string; token: string }
  /** Handed back unfinished (shutdown): `waiting` again, the attempt not counted. */
  | { kind: "released"; jobId: string; token: string }
  /**
   * The handler moved its job on (`ctx.moveToDelayed`, a step job): `delayed` until `runAt` (or
   * `waiting` when `runAt <= now`) at the FIFO tail, the attempt not counted (attempts - 1), its data
   * replaced by `dataJson` when given; emits job:delayed (or job:waiting). No error is stored.
   */
  | { kind: "delayed"; jobId: string; token: string; runAt: number; dataJson?: string }
  /**
   * The handler added jobs and waits for them (`ctx.moveToWaitingChildren`, a step job): the job
   * now depends on `childIds` (entries as `NewJob.dependsOn`; one gone counts as completed) as with
   * `dependsOn`, the attempt not counted (attempts - 1): `waiting-children` while any is
   * unfinished, `failed` (ParentFailedError, job:failed) when one is dead and its
   * `onParentFailure` is "fail", else `waiting` at once (job:waiting). Its `dependsOn` becomes `childIds`.
   */
  | { kind: "waiting-children"; jobId: string; token: string; childIds: string[] };

export interface JobError {
  name: string;
  message: string;
  stack?: string;
}

export interface RepeatableInfoRecord {
  id: string;
  /** The definition as JSON-ready data (see RepeatableDef). */
  def: Record<string, unknown>;
  nextRun: number;
  paused: boolean;
  /** Slots fired so far for this id (its `runs` record); set by `list`, ignored by `upsert`. */
  runs?: number;
}

/** The last slot fired for a repeat id and how many slots have fired for it. */
export interface FiredRecord {
  slot: number;
  runs: number;
}

/** A claimable repeatable slot: fire `job` for slot time `slot` unless that slot already fired. */
export interface RepeatableFire {
  repeatId: string;
  slot: number;
  job: NewJob;
  /** The next slot after this one; stored as the durable definition's `nextRun` when there is one. */
  nextRun: number;
  /** Fire only while fewer than this many slots have fired for `repeatId` (a definition's `limit`). Default: no limit. */
  limit?: number;
}

export interface WorkerInfo {
  id: string;
  queues: string[];
  host: string;
  pid: number;
  concurrency: number;
  startedAt: number;
  heartbeatAt: number;
  /** Jobs it holds now. */
  active: number;
}

export type WakeReason = "job" | "delayed" | "resume";

/**
 * Finished attempts of one queue, over one minute or since its first record. Histograms hold one
 * count per bucket of `METRIC_BUCKETS_MS` (src/metrics/buckets.ts) plus the open bucket.
 */
export interface MetricCounts {
  /** Attempts that completed. */
  completed: number;
  /** Attempts that failed for good (dead letters), including jobs failed by the stall rule. */
  failed: number;
  /** Attempts that failed and were scheduled again. */
  retried: number;
  /** Wait time (ready to started) of each finished attempt, counted per bucket. */
  wait: number[];
  /** The sum of those wait times, ms. */
  waitSum: number;
  /** Run time (started to finished) of each finished attempt, counted per bucket. */
  run: number[];
  /** The sum of those run times, ms. */
  runSum: number;
}

/** The counts of one minute; `minute` is epoch ms, a multiple of 60 000. */
export interface MetricMinute extends MetricCounts {
  minute: number;
}

export interface QueueEvent {
  name: JobEventName;
  payload: JobEventPayload;
}

/**
 * What a backend can do. The optional stores are reported here AND present on the backend
 * (`backend.repeatables` etc.) exactly when their flag is true; the runtime adapts to what is absent.
 */
export interface BackendCapabilities {
  /** Data survives a restart of the process. */
  durable: boolean;
  /** Several processes can share the queue (events, wake-ups, locks). */
  multiProcess: boolean;
  /** `backend.repeatables`: durable repeatable definitions and exactly-once slots. */
  repeatables: boolean;
  /** `backend.rateLimits`: the queue-wide token bucket (`rateScope: "queue"`). */
  rateLimits: boolean;
  /** `backend.workers`: the live-worker registry (`asyncmq worker list`). */
  workers: boolean;
  /** `backend.metrics`: per-minute and total counts and histograms of finished attempts. */
  metrics: boolean;
  /** `backend.leaders`: leader leases, so that one worker per queue runs the maintenance loops. */
  leaders: boolean;
  /**
   * `onWake` hears the wake-ups of every process that writes to this storage (a transport that
   * lost messages while disconnected wakes every queue when it reconnects), so an idle worker
   * needs only a slow safety poll. False, e.g., for Postgres behind a transaction pooler without
   * `listenUrl`: workers then poll at `scanInterval`.
   */
  reliableWakeups: boolean;
}

/** Durable repeatable definitions and the exactly-once slot record. */
export interface RepeatableStore {
  /** Stores (or replaces) a durable definition; returns it as stored. */
  upsert(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord>;
  /** Definitions of `queue`, by id, each with `runs`: the slots fired for its id so far (0 when none). */
  list(queue: string): Promise<RepeatableInfoRecord[]>;
  /** Removes the definition and its slot record; false when there was neither. */
  remove(queue: string, id: string): Promise<boolean>;
  setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean>;
  /**
   * Fires a repeatable slot exactly once across all schedulers: if `slot` is later than the last slot
   * fired for `repeatId`, fewer than `limit` slots have fired for it (when given), and the durable
   * definition, if any, is not paused: enqueues `job`, records the slot, counts the run, sets the
   * definition's `nextRun`, and returns the job id; otherwise returns null and changes nothing.
   */
  fire(queue: string, fire: RepeatableFire): Promise<string | null>;
  /**
   * The last slot fired for `repeatId` and how many have fired, or null when none has (lets a
   * restarted scheduler catch up once, and stop a definition whose `limit` is used up).
   */
  lastFired(queue: string, repeatId: string): Promise<FiredRecord | null>;
}

/** The token bucket shared by every worker of a queue (`rateScope: "queue"`). */
export interface RateLimitStore {
  /** Takes one token, or returns ms to wait (> 0). A bucket of `rate` tokens refilled over `intervalMs`. */
  take(queue: string, rate: number, intervalMs: number, now: number): Promise<number>;
  /**
   * Gives back `n` tokens taken for claims that found no job: the bucket, refilled to `now`, gains
   * `n`, up to `rate` (as if they had never been taken). A bucket never used stays full.
   */
  refund(queue: string, n: number, rate: number, intervalMs: number, now: number): Promise<void>;
  /**
   * Holds the queue's claims for `ms` (a handler said the remote side is rate limiting): the bucket,
   * refilled to `now`, keeps at most `1 - ms * rate / intervalMs` tokens (holdCeiling of rules.ts),
   * so its next token is `ms` away and the rate resumes from there. A longer hold already there stays.
   */
  hold(queue: string, ms: number, rate: number, intervalMs: number, now: number): Promise<void>;
}

/** Live workers, for operators. */
export interface WorkerRegistry {
  /** Records a live worker; entries older than `ttlMs` without heartbeat are dropped by `list`. */
  heartbeat(info: WorkerInfo, ttlMs: number): Promise<void>;
  remove(id: string): Promise<void>;
  list(now: number): Promise<WorkerInfo[]>;
}

/**
 * Leader leases: named scopes (the runtime uses one per queue, its name), each held by at most one
 * holder at a time until its expiry. A holder that stops renewing loses it `ttlMs` after its last
 * renewal. The runtime's correctness never depends on it (every maintenance step is atomic and safe
 * to run twice); it only spares the other workers the cost.
 */
export interface LeaderStore {
  /**
   * For each scope, atomically: takes the lease when it is free or expired (`expiresAt <= now`), or
   * renews it when `holder` holds it; either way it then expires at `now + ttlMs`. A lease another
   * holder holds unexpired stays as it is. Returns the scopes `holder` holds after the call.
   */
  tryLead(scopes: string[], holder: string, ttlMs: number, now: number): Promise<string[]>;
  /** Frees the scopes `holder` holds, at once (another holder may take them on its next try). */
  resign(scopes: string[], holder: string): Promise<void>;
}

/**
 * Metrics kept in the storage itself, so every process reads the same numbers. Written by workers
 * once per finish batch (not per job), read by `queue.getMetrics`, the dashboard and `/metrics`.
 */
export interface MetricStore {
  /**
   * Adds each sample into its minute's row and into the queue's totals, in one atomic step (one
   * statement or script); minute rows older than `now - retentionMs` are dropped (not necessarily
   * in this call, but by some call within a minute). Samples have distinct minutes.
   */
  record(queue: string, samples: MetricMinute[], now: number, retentionMs: number): Promise<void>;
  /** The minute rows of `queue` with `from <= minute < to`, ascending; only minutes that were recorded. */
  minutes(queue: string, from: number, to: number): Promise<MetricMinute[]>;
  /** The queue's totals since its first record (never pruned; `obliterate` removes them), zeros when none. */
  totals(queue: string): Promise<MetricCounts>;
}

/**
 * The caller's own database connection, inside its open transaction (the transactional outbox): a
 * `pg` Client or PoolClient for the Postgres backend (after its `BEGIN`), a better-sqlite3
 * `Database` on the backend's file for the SQLite backend (inside `BEGIN IMMEDIATE` ... `COMMIT`).
 * Typed by shape so that neither driver is needed to compile.
 */
export type TransactionClient =
  | { query(...args: never[]): unknown }
  | { prepare(source: string): unknown; readonly inTransaction: boolean; readonly name: string };

/** How one `enqueue` call is made. */
export interface EnqueueCallOptions {
  /** Write inside this open transaction of the caller's (see {@link TransactionClient}). Default: the backend's own. */
  client?: TransactionClient;
}

export interface Backend {
  readonly capabilities: BackendCapabilities;

  // -- producer ------------------------------------------------------------------------------
  /**
   * Inserts jobs in one atomic step: all or nothing. Emits job:waiting / job:delayed / job:duplicated.
   * With `options.client` (Postgres and SQLite; the others throw ValidationError), the jobs are written
   * inside the caller's open transaction on that connection and exist only if the caller commits;
   * their events and wake-ups reach every process, this one included, through the engine's
   * transport once it commits (none are delivered by this call).
   */
  enqueue(queue: string, jobs: NewJob[], options?: EnqueueCallOptions): Promise<EnqueueResult[]>;

  // -- worker --------------------------------------------------------------------------------
  /**
   * Claims up to `limit` waiting jobs (priority, then FIFO; or only `jobId`) unless the queue is
   * paused: each becomes `active` with `attempts + 1`, a fresh token and
   * `leaseExpiresAt = now + leaseMs`. Jobs whose ttl has passed are moved to `expired` instead
   * (job:expired) and not returned. Emits job:started. With a global concurrency set
   * (`setGlobalConcurrency`), takes no more than the room left under it, atomically with every other
   * claimer.
   */
  claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]>;
  /** Ends attempts in one batch; returns per item whether the token still held. */
  finish(queue: string, items: Finish[], now: number): Promise<boolean[]>;
  /**
   * `finish` of `items`, then `claim` with `claim`, in one step where the engine can (one statement,
   * transaction or script): the runtime hands the slots of the ended attempts to the claimed jobs,
   * so a busy worker makes one write per turn instead of a finish and a claim. The claim sees the
   * finish (slots freed under a global concurrency). Optional; `EngineBackend` runs the two calls in
   * turn for an engine without a combined step, and then a failed claim returns no jobs (the finish
   * stands, and the claim loop claims on its own).
   */
  finishAndClaim?(queue: string, items: Finish[], now: number, claim: ClaimOptions): Promise<FinishAndClaim>;
  /**
   * Optional (an engine that can enqueue and claim in one step, `JobStore.enqueueAndClaim`: Redis
   * without a cluster or `waitReplicas`): registers an idle claim loop of `queue` until the returned
   * function is called. An enqueue made in this process that makes jobs claimable asks it for a
   * claim and makes that claim in the same step, right after storing the jobs, so the loop's next
   * job needs neither a wake-up nor a claim call of its own.
   */
  offerIdleClaim?(queue: string, claimer: IdleClaimer): () => void;
  /**
   * Optional: the most jobs a worker asks for in one claim, and (with `prefetch`) the most ends it
   * writes in one call. An engine whose every call costs a commit gains from larger ones (PostgreSQL
   * flushes its WAL once per finish call: 256). Default 64.
   */
  readonly claimBatch?: number;
  /**
   * Optional: readies what a worker's claims and finishes use, so that its first jobs do not pay for
   * it (PostgreSQL: a few pooled connections opened, the claim, finish and enqueue statements
   * prepared on them). The runtime calls it when a worker starts and ignores its failure.
   */
  warmUp?(): Promise<void>;
  /** Renews leases to `now + leaseMs`; returns the ids whose lease is lost (recovered, cancelled, removed). */
  extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]>;
  /** Stores progress (fenced); emits job:progress. */
  updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<boolean>;
  /** Appends a line to the job's log. */
  addLog(queue: string, jobId: string, message: string): Promise<void>;
  /**
   * The job's log lines, oldest first; with `range`, those from index `start` to `end` inclusive
   * (`end: -1`: to the last). `[]` for a missing job. Default range: every line.
   */
  getLogs(queue: string, jobId: string, range?: { start: number; end: number }): Promise<string[]>;

  // -- maintenance (run by scanners) -----------------------------------------------------------
  /** Moves due delayed jobs to waiting (job:waiting); returns how many and when the next one is due. */
  promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }>;
  /**
   * Returns active jobs whose lease expired to waiting with `stalledCount + 1` (job:stalled). A
   * worker found dead holding N jobs charges each 1/N of a stall (`chargeStall` of rules.ts); a job
   * whose charge passes `maxStalledCount` fails instead (job:failed, with `stallLimitError`).
   * Returns the ids it touched, and when the next lease may lapse (see StallSweep).
   */
  recoverStalled(queue: string, now: number, maxStalledCount: number): Promise<StallSweep>;
  /** Removes finished jobs whose retention age passed; returns how many. */
  removeExpiredFinished(queue: string, now: number, limit: number): Promise<number>;
  /** Moves unstarted jobs whose ttl passed to expired (job:expired); returns how many. */
  expireDue(queue: string, now: number, limit: number): Promise<number>;

  // -- admin -----------------------------------------------------------------------------------
  getJob(queue: string, jobId: string): Promise<JobRecord | null>;
  /** Jobs in `states` (all when empty), newest first unless `asc`; `start`/`end` inclusive indexes. */
  getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]>;
  getJobCounts(queue: string): Promise<Record<JobState, number>>;
  /** waiting/delayed/waiting-children: cancelled, never runs. active: cancelled, its lease revoked. */
  cancelJob(queue: string, jobId: string, now: number): Promise<boolean>;
  /** delayed -> waiting at once (runAt = now), ahead of nothing it was not already behind; emits job:waiting and wakes workers. Other states: false. */
  promoteJob(queue: string, jobId: string, now: number): Promise<boolean>;
  /**
   * The jobs that still wait on `jobId` (it is in their dependsOn and not yet settled), in creation
   * order: ids for jobs of `queue`, `"<queue>:<id>"` for jobs of other queues.
   */
  getDependants(queue: string, jobId: string): Promise<string[]>;
  /**
   * What job `jobId` has kept of the jobs it depended on, keyed `"<queue>:<id>"`: the results of
   * those that completed (`values`), and the error texts of those that failed, expired, were
   * cancelled or removed while its `onParentFailure` let it go on (`failures`). Copied to the
   * waiting job as each dependency settles it (or at enqueue), so they outlive the dependency;
   * removed with the job. Empty for a missing job.
   */
  getDependencyResults(queue: string, jobId: string): Promise<DependencyResults>;
  /** failed/expired/cancelled/completed -> waiting with attempts 0. Other states: false. */
  retryJob(queue: string, jobId: string): Promise<boolean>;
  /**
   * `retryJob` for up to `limit` jobs in the finished `state` that finished before `olderThan`,
   * oldest finished first, in one atomic step; returns how many.
   */
  retryJobs(queue: string, state: JobState, olderThan: number, limit: number): Promise<number>;
  /**
   * `promoteJob` for up to `limit` delayed jobs whatever their runAt, earliest runAt first, in one
   * atomic step: each enters waiting with `runAt = min(runAt, now)`; returns how many.
   */
  promoteJobs(queue: string, limit: number, now: number): Promise<number>;
  /** Replaces the data (JSON text) of a job in any state; false when it is missing. No event. */
  updateData(queue: string, jobId: string, dataJson: string): Promise<boolean>;
  /**
   * Sets the priority of a job in any state (a waiting job moves to the FIFO tail of its new
   * priority); false when it is missing. No event.
   */
  changePriority(queue: string, jobId: string, priority: number): Promise<boolean>;
  /**
   * A delayed job's runAt becomes `runAt` (it re-enters delayed, behind the jobs due at the same
   * time); emits job:delayed and wakes "delayed". Other states: false.
   */
  changeDelay(queue: string, jobId: string, runAt: number): Promise<boolean>;
  /** Removes a job; children still waiting on it fail (or go on, per `onParentFailure`) at `now`. */
  removeJob(queue: string, jobId: string, now: number): Promise<boolean>;
  /** Removes waiting (and optionally delayed) jobs; returns how many. */
  drain(queue: string, includeDelayed: boolean, now: number): Promise<number>;
  /** Removes up to `limit` jobs in `state` finished (or created, for unfinished states) before `olderThan`. */
  clean(queue: string, state: JobState, olderThan: number, limit: number, now: number): Promise<string[]>;
  /**
   * Removes everything of the queue. Without `force`, refuses (ValidationError) while jobs are
   * active. Jobs of OTHER queues still waiting on its jobs are settled as for a removed parent,
   * at `now` (default: the current time).
   */
  obliterate(queue: string, force: boolean, now?: number): Promise<void>;
  setPaused(queue: string, paused: boolean): Promise<void>;
  isPaused(queue: string): Promise<boolean>;
  /**
   * Sets the queue's global concurrency: from now on `claim` never lets more than `limit` of its
   * jobs be active at once, across every worker and process; null removes the limit. Wakes
   * `"resume"`. `ValidationError` (nothing written) unless `limit` is null or an integer >= 1.
   */
  setGlobalConcurrency(queue: string, limit: number | null): Promise<void>;
  /** The queue's global concurrency, or null when it has none. */
  getGlobalConcurrency(queue: string): Promise<number | null>;
  /**
   * Releases dedup key `key`: the next job added with it is a new job, whatever the ttl. The job
   * that held it stays as it is. Returns whether the key was held.
   */
  removeDeduplicationKey(queue: string, key: string): Promise<boolean>;
  /**
   * The id of the job dedup key `key` points at: the last job added with it, until that job is
   * deleted or the key released; null when none. Whether it would still deduplicate depends on the
   * ttl of the next add, so that is not checked here.
   */
  getDeduplicationJobId(queue: string, key: string): Promise<string | null>;
  /** Every queue that has jobs, repeatables or a pause flag. */
  listQueues(): Promise<string[]>;

  // -- optional stores (present exactly when `capabilities` says so) ---------------------------
  readonly repeatables?: RepeatableStore;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;
  readonly metrics?: MetricStore;
  readonly leaders?: LeaderStore;

  // -- notifications ---------------------------------------------------------------------------
  /** Calls `listener` when work may be available in `queue`. Returns the unsubscribe function. */
  onWake(queue: string, listener: (reason: WakeReason) => void): () => void;
  /** Delivers the events of every process using this storage for `queue`. Returns the unsubscribe. */
  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void;

  /** Releases connections, timers and files. Idempotent. */
  close(): Promise<void>;
}
