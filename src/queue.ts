/**
 * `Queue`: the producer and admin side of one named queue, over a Backend.
 */
import type { Backend, RepeatableStore, TransactionClient, WorkerInfo } from "./backends/backend.js";
import { resolveBackend } from "./backends/registry.js";
import { checkGlobalConcurrency } from "./backends/shared/rules.js";
import { AsyncMQError, ValidationError } from "./errors.js";
import {
  checkInt,
  checkJobRef,
  checkName,
  checkPriority,
  encodeJson,
  FINISHED_STATES,
  JOB_STATES,
  type JobRecord,
  type JobState,
  toMs,
  toMsOpt,
} from "./job.js";
import { checkDefaultJobOptions, type DefaultJobOptions } from "./job-defaults.js";
import { type EnqueueOptions, enqueueJobs, type TaskDefaults } from "./job-options.js";
import { JobWaiters } from "./job-waiter.js";
import { type MetricsRangeOptions, type QueueMetrics, readQueueMetrics } from "./metrics/query.js";
import { checkKeys, keysOf, QUEUE_HINTS } from "./option-keys.js";
import { QueueEvents } from "./queue-events.js";
import {
  firstSlot,
  hasEnded,
  prepareRepeatable,
  type RepeatableDef,
  type RepeatableInfo,
} from "./schedule/repeatable-def.js";
import { getSettings } from "./settings.js";
import { getTask } from "./task.js";
import { loadOtelApi } from "./telemetry/otel-api.js";
import { abortActiveJob } from "./worker/lease-keeper.js";
import { type RunWorkerOptions, runWorker } from "./worker/runners.js";

export interface QueueOptions {
  /** A Backend or URL; default: the configured default backend (SQLite file unless configured). */
  backend?: Backend | string;
  /** Default concurrency for `run()`. */
  concurrency?: number;
  /** Default rate limit for `run()` (null: none). */
  rateLimit?: number | null;
  /** The window `rateLimit` counts in, for `run()`. Default 1000 ms. */
  rateInterval?: number | string;
  /** How often `run()`'s maintenance loops look for due and stalled jobs. Default: the `scanInterval` setting (1000 ms). */
  scanInterval?: number | string;
  /**
   * Options for every job this object adds (`add`, `addBulk`) that neither the job nor its task
   * sets, e.g. `{ removeOnComplete: { count: 1000 }, retries: 2 }`; validated here. Jobs added by
   * other means (`task.enqueue`, repeatables, other processes) do not see them. Default: the
   * `defaultJobOptions` setting, else none (finished jobs are kept until removed).
   */
  defaultJobOptions?: DefaultJobOptions;
}

const QUEUE_KEYS = keysOf<QueueOptions>({
  backend: true,
  concurrency: true,
  rateLimit: true,
  rateInterval: true,
  scanInterval: true,
  defaultJobOptions: true,
});

/** An item of addBulk, in BullMQ's words too (`{ name, data, opts }`). */
const BULK_ITEM_KEYS = ["task", "data", "options"] as const;
const BULK_ITEM_HINTS = {
  name: "did you mean \"task\"? (BullMQ's job name is asyncmq's task name)",
  opts: 'did you mean "options"?',
};

/**
 * One queue. `D` and `R` type its jobs' data and results where all its jobs share them
 * (`new Queue<{ to: string }, string>("emails")`): `add` checks the data and `getJob(s)` return
 * `JobRecord<D, R>`. They default to `unknown`; `task.getJob(id)` types one task's jobs instead.
 */
export class Queue<D = unknown, R = unknown> {
  readonly name: string;
  readonly #options: QueueOptions;
  readonly #jobDefaults: DefaultJobOptions;
  readonly #repeatables: RepeatableDef[] = [];
  #backend: Backend | null = null;
  /** Events of this queue from every process sharing the backend. */
  readonly events: QueueEvents;
  readonly #waiters: JobWaiters;

  constructor(name: string, options: QueueOptions = {}) {
    this.name = checkName(name, "queue name");
    if (typeof options !== "object" || options === null)
      throw new ValidationError(`new Queue("${name}") options must be an object like { backend }`);
    checkKeys(options, QUEUE_KEYS, `new Queue("${name}") options`, QUEUE_HINTS);
    if (options.concurrency !== undefined) checkInt(options.concurrency, "concurrency", 1);
    if (options.rateInterval !== undefined) toMs(options.rateInterval, "rateInterval");
    if (options.scanInterval !== undefined) toMs(options.scanInterval, "scanInterval");
    if (options.rateLimit !== undefined && options.rateLimit !== null)
      checkInt(options.rateLimit, "rateLimit");
    this.#jobDefaults =
      options.defaultJobOptions === undefined
        ? {}
        : checkDefaultJobOptions(options.defaultJobOptions, `defaultJobOptions of new Queue("${name}")`);
    this.#options = { ...options };
    this.events = new QueueEvents(this.name, () => this.backend);
    this.#waiters = new JobWaiters(this.name, this.events, (id) => this.getJob(id));
    // The optional OpenTelemetry API's import (~15 ms, once per process) is not paid by a first add.
    void loadOtelApi();
  }

  /** The backend this queue uses (resolved on first use). */
  get backend(): Backend {
    this.#backend ??= resolveBackend(this.#options.backend);
    return this.#backend;
  }

  /**
   * Enqueues a job of `task` by name; resolves to its id. With a `jobId` that exists already, returns
   * that id and enqueues nothing. If this process knows the task, its options apply to what
   * `options` leaves unset; otherwise the worker applies them.
   */
  async add(task: string, data?: D, options?: EnqueueOptions): Promise<string> {
    const [id] = await enqueueJobs(
      () => this.backend,
      this.name,
      [{ task, data, options }],
      taskDefaults,
      this.#jobDefaults,
    );
    return id as string;
  }

  /**
   * Enqueues several jobs atomically: all are validated first, then written in one step, or none.
   * @param options.client - write them inside your open transaction, as `add`'s `client` option. Default: none.
   */
  async addBulk(
    jobs: Array<{ task: string; data?: D; options?: EnqueueOptions }>,
    options?: { client?: TransactionClient },
  ): Promise<string[]> {
    if (!Array.isArray(jobs))
      throw new ValidationError("addBulk takes an array of { task, data?, options? }");
    jobs.forEach((j, i) => {
      if (typeof j !== "object" || j === null)
        throw new ValidationError(`addBulk item ${i} must be { task, data?, options? }`);
      checkKeys(j, BULK_ITEM_KEYS, `addBulk item ${i}`, BULK_ITEM_HINTS);
    });
    if (options !== undefined) checkKeys(options, ["client"], "addBulk options");
    return enqueueJobs(() => this.backend, this.name, jobs, taskDefaults, this.#jobDefaults, options?.client);
  }

  /** Adds an in-process repeatable definition, scheduled by this queue's `run()`. */
  addRepeatable(def: RepeatableDef): void {
    prepareRepeatable(def);
    this.#repeatables.push({ ...def });
  }

  /**
   * Stores a durable repeatable definition, scheduled by every worker of the queue; returns its next
   * run. Replacing a definition keeps its runs (what counts against `limit`): remove it first to
   * start again.
   * @throws ValidationError for a new definition whose `endDate` leaves no slot to fire.
   */
  async upsertRepeatable(def: RepeatableDef): Promise<number> {
    const prepared = prepareRepeatable(def);
    const { id } = prepared;
    const store = this.#repeatableStore();
    const fired = await store.lastFired(this.name, id);
    const nextRun = firstSlot(prepared, Date.now(), fired !== null);
    if (fired === null && hasEnded(prepared, 0, nextRun)) {
      throw new ValidationError(
        `repeatable "${id}" would never fire: its first slot (${new Date(nextRun).toISOString()}) is after its endDate; give a later endDate`,
      );
    }
    await store.upsert(this.name, {
      id,
      def: { ...def, id } as Record<string, unknown>,
      nextRun,
      paused: false,
    });
    return nextRun;
  }

  /** The backend's repeatable store. @throws ValidationError when the backend has none. */
  #repeatableStore(): RepeatableStore {
    const store = this.backend.repeatables;
    if (store === undefined) {
      throw new ValidationError(
        `the backend of queue "${this.name}" stores no repeatable definitions (capabilities.repeatables is false); use one that does, or pass repeatables to run()`,
      );
    }
    return store;
  }

  /** The queue's durable definitions, each with its runs so far and whether it has ended. */
  async listRepeatables(): Promise<RepeatableInfo[]> {
    const list = (await this.backend.repeatables?.list(this.name)) ?? [];
    return list.map((r) => {
      const def = r.def as unknown as RepeatableDef;
      const runs = r.runs ?? 0;
      return {
        id: r.id,
        def,
        nextRun: r.nextRun,
        paused: r.paused,
        runs,
        ended: ended(r.id, def, runs, r.nextRun),
      };
    });
  }

  removeRepeatable(id: string): Promise<boolean> {
    return this.#repeatableStore().remove(this.name, checkJobRef(id, "repeatable id"));
  }

  async pauseRepeatable(id: string): Promise<void> {
    if (!(await this.#repeatableStore().setPaused(this.name, checkJobRef(id, "repeatable id"), true)))
      throw unknownRepeatable(this.name, id);
  }

  /** Resumes a paused definition from its next slot; returns that time. */
  async resumeRepeatable(id: string): Promise<number> {
    const found = (await this.#repeatableStore().list(this.name)).find((r) => r.id === id);
    if (!found) throw unknownRepeatable(this.name, id);
    const { schedule } = prepareRepeatable({ ...(found.def as unknown as RepeatableDef), id });
    const nextRun = schedule.nextAfter(Date.now());
    await this.#repeatableStore().setPaused(this.name, id, false, nextRun);
    return nextRun;
  }

  /** Stops every worker of the queue from starting jobs (at once); running jobs finish. */
  pause(): Promise<void> {
    return this.backend.setPaused(this.name, true);
  }

  resume(): Promise<void> {
    return this.backend.setPaused(this.name, false);
  }

  isPaused(): Promise<boolean> {
    return this.backend.isPaused(this.name);
  }

  /**
   * Caps how many jobs of this queue are active at once across ALL its workers, in every process
   * (BullMQ's `queue.setGlobalConcurrency`): a worker starts a job only while fewer than `n` are
   * active, and within its own `concurrency` too. Stored in the backend, so every worker obeys it
   * from its next claim, without a restart; jobs already running above a lowered limit finish.
   * Default: no limit (see `removeGlobalConcurrency`).
   * @param n - the most jobs active at once: an integer >= 1.
   * @throws ValidationError for any other `n`; nothing is stored.
   */
  async setGlobalConcurrency(n: number): Promise<void> {
    // The backend takes null as "no limit"; here it is a mistake (removeGlobalConcurrency lifts it).
    await this.backend.setGlobalConcurrency(this.name, checkGlobalConcurrency(n === null ? undefined : n));
  }

  /** The queue's global concurrency (see `setGlobalConcurrency`), or null when it has none (the default). */
  getGlobalConcurrency(): Promise<number | null> {
    return this.backend.getGlobalConcurrency(this.name);
  }

  /** Lifts the queue's global concurrency: each worker is bound by its own `concurrency` only. */
  async removeGlobalConcurrency(): Promise<void> {
    await this.backend.setGlobalConcurrency(this.name, null);
  }

  /**
   * Releases deduplication id `id` (BullMQ's `queue.removeDeduplicationKey`): the next job added
   * with `deduplication: { id }` is a new job, whatever its ttl and whatever state the job that held
   * the id is in. That job itself stays as it is.
   * @returns whether a job held the id.
   * @throws ValidationError when `id` is not a valid id (a string of at most 512 bytes).
   */
  async removeDeduplicationKey(id: string): Promise<boolean> {
    return this.backend.removeDeduplicationKey(this.name, dedupRef(id));
  }

  /**
   * The id of the job that holds deduplication id `id` (BullMQ's `queue.getDeduplicationJobId`):
   * the last job added with it that was not a duplicate, until that job is deleted or the id
   * released (`removeDeduplicationKey`); null when none. Whether the next add with this id is a
   * duplicate also depends on that add's ttl (or, without one, on whether the job has finished), so
   * this does not say; read the job's state with `getJob`.
   * @throws ValidationError when `id` is not a valid id (a string of at most 512 bytes).
   */
  async getDeduplicationJobId(id: string): Promise<string | null> {
    return this.backend.getDeduplicationJobId(this.name, dedupRef(id));
  }

  getJob(id: string): Promise<JobRecord<D, R> | null> {
    return this.backend.getJob(this.name, jobRef(id)) as Promise<JobRecord<D, R> | null>;
  }

  /**
   * Jobs in `states` (all when omitted), newest first unless `asc`; `start`/`end` are inclusive
   * indexes into that order. A negative index counts from the end, as in BullMQ (and Redis'
   * LRANGE): `{ start: -10 }` is the last ten, `{ end: -2 }` all but the last.
   * @param range.start - Default 0.
   * @param range.end - Default -1 (the last job).
   */
  async getJobs(
    states?: JobState[],
    range?: { start?: number; end?: number; asc?: boolean },
  ): Promise<JobRecord<D, R>[]> {
    const list = states ?? [];
    for (const s of list) {
      if (!JOB_STATES.includes(s))
        throw new ValidationError(`unknown job state "${s}"; use one of ${JOB_STATES.join(", ")}`);
    }
    let start = checkInt(range?.start ?? 0, "range.start", Number.MIN_SAFE_INTEGER);
    let end = checkInt(range?.end ?? -1, "range.end", Number.MIN_SAFE_INTEGER);
    if (start < 0 || end < -1) {
      // Counted from the end: resolved against how many jobs the states hold now.
      const counts = await this.getJobCounts();
      let total = 0;
      for (const s of list.length > 0 ? list : JOB_STATES) total += counts[s];
      if (start < 0) start = Math.max(0, total + start);
      if (end < 0) end = total + end;
      if (end < start) return [];
    }
    return (await this.backend.getJobs(this.name, list, {
      start,
      end,
      asc: range?.asc ?? false,
    })) as JobRecord<D, R>[];
  }

  /**
   * Waits for job `id` to finish, whichever process runs it (BullMQ's `job.waitUntilFinished`):
   * resolves with its result. Rejects with JobFailedError when it fails for good, expires or is
   * cancelled (`message` is the job's error message, `jobError` its stored error), JobNotFoundError
   * when the queue has no such job (a job removed on completion must be awaited before it ends),
   * and WaitTimeoutError after `options.timeout` (the job itself goes on). Retries in between do not
   * settle it. Any number of waits share one event subscription per queue.
   * @param options.timeout - the longest wait, in ms or as a duration ("30s"). Default: no limit.
   */
  async waitFor(id: string, options?: { timeout?: number | string }): Promise<R> {
    const timeout = options?.timeout === undefined ? undefined : toMs(options.timeout, "timeout");
    return (await this.#waiters.wait(jobRef(id), timeout)) as R;
  }

  getJobCounts(): Promise<Record<JobState, number>> {
    return this.backend.getJobCounts(this.name);
  }

  /**
   * Metrics of the queue's finished attempts, recorded by its workers in the backend (every process
   * sees the same numbers; docs/metrics.md): one row per minute of [`from`, `to`) with zeros where
   * nothing finished, their sum (`range`) and the totals since the first record (`total`).
   * Default range: the last 60 minutes including the current one. `from` is rounded down and `to`
   * up to whole minutes.
   * @throws ValidationError for a bound that is not a finite time or valid Date, `from >= to`, a
   * span above 31 days, or a backend without a metric store (`capabilities.metrics`).
   */
  getMetrics(options?: MetricsRangeOptions): Promise<QueueMetrics> {
    return readQueueMetrics(this.backend, this.name, options);
  }

  /**
   * The live workers of this queue, in every process that shares the backend, as their heartbeats
   * last recorded them (every `max(scanInterval, 5 s)`; a worker is listed from its start until it
   * stops, or three beats after it died). Empty when the backend keeps no worker registry
   * (`capabilities.workers`).
   */
  async getWorkers(): Promise<WorkerInfo[]> {
    const all = (await this.backend.workers?.list(Date.now())) ?? [];
    return all.filter((w) => w.queues.includes(this.name));
  }

  /** waiting/delayed: never runs; active: its `ctx.signal` aborts and its result is discarded. */
  async cancelJob(id: string): Promise<boolean> {
    const ref = jobRef(id);
    const ok = await this.backend.cancelJob(this.name, ref, Date.now());
    if (ok) abortActiveJob(this.backend, this.name, ref, "cancelled");
    return ok;
  }

  /**
   * failed/expired/cancelled -> waiting, attempts reset to 0, error and result cleared
   * (job:waiting); false for a job in another state or missing.
   * @param options.completed - also retry a completed job (BullMQ's `job.retry("completed")`).
   *   Default false: a completed job is left alone, as the contract has always said.
   */
  async retryJob(id: string, options?: { completed?: boolean }): Promise<boolean> {
    const ref = jobRef(id);
    if (options?.completed !== true) {
      // A finished state never changes but by a retry or a removal, so this read cannot go stale
      // into a completed job that the retry below would take.
      const job = await this.backend.getJob(this.name, ref);
      if (job === null || job.state === "completed") return false;
    }
    return this.backend.retryJob(this.name, ref);
  }

  /**
   * Retries (as `retryJob`) up to `limit` jobs in one finished `state`, oldest finished first, in
   * one atomic step per call; resolves to how many. Call again while it returns `limit` to retry
   * them all.
   * - `state`: `"failed"`, `"completed"`, `"expired"` or `"cancelled"`. Default: `"failed"`.
   * - `olderThan`: only jobs that finished at least this long ago (ms or `"1h"`). Default: any.
   * - `limit`: at most this many. Default: 1000.
   * @throws ValidationError for another state, a bad duration or a limit below 1.
   */
  async retryJobs(options?: {
    state?: "failed" | "completed" | "expired" | "cancelled";
    olderThan?: number | string;
    limit?: number;
  }): Promise<number> {
    const state = options?.state ?? "failed";
    if (!FINISHED_STATES.includes(state)) {
      throw new ValidationError(
        `retryJobs takes a finished state (${FINISHED_STATES.join(", ")}), got ${JSON.stringify(state)}`,
      );
    }
    const age = toMsOpt(options?.olderThan, "olderThan");
    const limit = checkInt(options?.limit ?? 1000, "limit", 1);
    // "At least `age` ago": finished at or before now - age; the backend takes a strict bound.
    const before = age === undefined ? Number.MAX_SAFE_INTEGER : Date.now() - age + 1;
    return this.backend.retryJobs(this.name, state, before, limit);
  }

  /** delayed -> waiting now (BullMQ's `job.promote()`); false for a job in any other state. */
  promoteJob(id: string): Promise<boolean> {
    return this.backend.promoteJob(this.name, jobRef(id), Date.now());
  }

  /**
   * Promotes (as `promoteJob`) up to `limit` delayed jobs, soonest due first, in one atomic step per
   * call; resolves to how many. Call again while it returns `limit` to promote them all.
   * - `limit`: at most this many. Default: 1000.
   * @throws ValidationError for a limit below 1.
   */
  async promoteJobs(options?: { limit?: number }): Promise<number> {
    const limit = checkInt(options?.limit ?? 1000, "limit", 1);
    return this.backend.promoteJobs(this.name, limit, Date.now());
  }

  /**
   * Replaces the data of job `id`, in any state (as BullMQ's `job.updateData`); false when it is
   * missing. A running attempt keeps the data it started with; its retries get the new data.
   * @throws ValidationError / PayloadTooLargeError for data `add` would refuse.
   */
  async updateData(id: string, data: D): Promise<boolean> {
    const dataJson = encodeJson(data, "data", getSettings().maxPayloadBytes);
    return this.backend.updateData(this.name, jobRef(id), dataJson);
  }

  /**
   * Sets the priority of job `id`, in any state (as BullMQ's `job.changePriority`): a waiting job
   * moves behind the jobs already waiting at its new priority; for another state it applies from
   * its next time in waiting. False when the job is missing.
   * @throws ValidationError for a priority `add` would refuse (a 32-bit integer; lower runs first).
   */
  async changePriority(id: string, priority: number): Promise<boolean> {
    return this.backend.changePriority(this.name, jobRef(id), checkPriority(priority));
  }

  /**
   * Makes delayed job `id` due `delay` from now (ms or `"5m"`; 0: now), behind the jobs already due
   * then (as BullMQ's `job.changeDelay`); emits job:delayed. False when the job is missing or not
   * delayed (use `add` with a delay, or `promoteJob`, for other states).
   * @throws ValidationError for a duration `add` would refuse.
   */
  async changeDelay(id: string, delay: number | string): Promise<boolean> {
    const ms = toMs(delay, "delay");
    return this.backend.changeDelay(this.name, jobRef(id), Date.now() + ms);
  }

  /**
   * The log lines of job `id` (what its handler wrote with `ctx.log`), oldest first; `start`/`end`
   * are inclusive indexes (`end: -1`: to the last). Default: every line. `[]` for a missing job.
   */
  async getJobLogs(id: string, range?: { start?: number; end?: number }): Promise<string[]> {
    const start = checkInt(range?.start ?? 0, "range.start");
    const end = checkInt(range?.end ?? -1, "range.end", -1);
    return this.backend.getLogs(this.name, jobRef(id), { start, end });
  }

  /**
   * The jobs that still wait on job `id` (it is in their `dependsOn` and has not finished): ids of
   * this queue's jobs, and `"<queue>:<id>"` for jobs of other queues.
   */
  getDependants(id: string): Promise<string[]> {
    return this.backend.getDependants(this.name, jobRef(id));
  }

  /**
   * The results of the completed jobs job `id` depended on, keyed `"<queue>:<id>"` (BullMQ's
   * `job.getChildrenValues()`); kept with job `id` even when those jobs are removed. `{}` when none
   * or for a missing job. Its handler reads the same with `ctx.childrenValues()`.
   */
  async getChildrenValues(id: string): Promise<Record<string, unknown>> {
    return (await this.backend.getDependencyResults(this.name, jobRef(id))).values;
  }

  /**
   * The error messages of the jobs job `id` depended on that failed (or expired, were cancelled or
   * removed) while its `onParentFailure` let it go on, keyed `"<queue>:<id>"` (BullMQ's
   * `job.getIgnoredChildrenFailures()`). `{}` when none.
   */
  async getChildrenFailures(id: string): Promise<Record<string, string>> {
    return (await this.backend.getDependencyResults(this.name, jobRef(id))).failures;
  }

  async removeJob(id: string): Promise<boolean> {
    const ref = jobRef(id);
    const ok = await this.backend.removeJob(this.name, ref, Date.now());
    if (ok) abortActiveJob(this.backend, this.name, ref, "removed");
    return ok;
  }

  /** Removes waiting jobs (and delayed ones with `includeDelayed`); returns how many. */
  drain(options?: { includeDelayed?: boolean }): Promise<number> {
    return this.backend.drain(this.name, options?.includeDelayed ?? false, Date.now());
  }

  /** Removes jobs in `state` older than `grace` (default 0), at most `limit` (default 1000); returns their ids. */
  clean(state: JobState, options?: { grace?: number | string; limit?: number }): Promise<string[]> {
    if (!JOB_STATES.includes(state))
      throw new ValidationError(`unknown job state "${state}"; use one of ${JOB_STATES.join(", ")}`);
    if (state === "active")
      throw new ValidationError("active jobs cannot be cleaned; cancel them or stop their workers");
    const grace = toMs(options?.grace ?? 0, "grace");
    const limit = checkInt(options?.limit ?? 1000, "limit", 1);
    const now = Date.now();
    return this.backend.clean(this.name, state, now - grace, limit, now);
  }

  /** Removes the queue and everything in it. Refuses while jobs are active unless `force`. */
  obliterate(options?: { force?: boolean }): Promise<void> {
    return this.backend.obliterate(this.name, options?.force ?? false);
  }

  /** Runs a worker on this queue with the queue's settings and in-process repeatables (see runWorker). */
  run(options: RunWorkerOptions = {}): Promise<void> {
    const o = this.#options;
    return runWorker(this.name, {
      backend: this.backend,
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.rateLimit !== undefined ? { rateLimit: o.rateLimit } : {}),
      ...(o.rateInterval !== undefined ? { rateInterval: o.rateInterval } : {}),
      ...(o.scanInterval !== undefined ? { scanInterval: o.scanInterval } : {}),
      ...options,
      repeatables: [...this.#repeatables, ...(options.repeatables ?? [])],
    });
  }

  /**
   * Releases what the queue holds: its event subscription (a `waitFor` still waiting rejects). A backend passed in as an instance is the
   * caller's to close; backends opened from URLs are shared (see closeSharedBackends).
   */
  async close(): Promise<void> {
    this.#waiters.abortAll(new AsyncMQError(`queue "${this.name}" was closed while waitFor() was waiting`));
    this.events.close();
  }
}

/**
 * A job id given to a lookup (numbers are taken as their text): a string no engine refuses, else a
 * ValidationError; an id that names no job finds nothing.
 */
function jobRef(id: string): string {
  return checkJobRef(String(id), "job id");
}

function dedupRef(id: string): string {
  return checkJobRef(id, "deduplication id");
}

/** A task's options, when this process registered it (otherwise the worker applies its own). */
function taskDefaults(task: string): TaskDefaults | undefined {
  return getTask(task)?.options;
}

/** Whether a stored definition has ended; one that no longer validates is reported as not ended. */
function ended(id: string, def: RepeatableDef, runs: number, nextRun: number): boolean {
  try {
    return hasEnded(prepareRepeatable({ ...def, id }), runs, nextRun);
  } catch {
    return false;
  }
}

function unknownRepeatable(queue: string, id: string): ValidationError {
  return new ValidationError(`queue "${queue}" has no repeatable "${id}"; see listRepeatables()`);
}
