/**
 * `task()` and the process-wide task registry. A worker finds a job's handler by the job's task
 * name in its own process's registry.
 */
import type { Backend } from "./backends/backend.js";
import { resolveBackend } from "./backends/registry.js";
import { ValidationError } from "./errors.js";
import type { BackoffSpec, DependencyRef, JobRecord } from "./job.js";
import { checkChildIds, checkName, toMs } from "./job.js";
import { checkDefaults } from "./job-defaults.js";
import { type EnqueueOptions, enqueueJobs, type TaskDefaults } from "./job-options.js";
import { JobWaiters } from "./job-waiter.js";
import { checkKeys, JOB_HINTS, keysOf } from "./option-keys.js";
import { QueueEvents } from "./queue-events.js";
import { RateLimitError } from "./rate-limit-error.js";
import type { SandboxOptions } from "./sandbox/options.js";
import { sameSandbox, sandboxedHandler } from "./sandbox/sandboxed-handler.js";
import { DelayedError, WaitingChildrenError } from "./step-errors.js";

/** Options fixed at task definition; enqueue options win over them. */
export interface TaskOptions extends TaskDefaults {
  /** The queue its jobs go to. */
  queue: string;
  /** Retries after a failed attempt (`2`: at most 3 runs). Default 0. */
  retries?: number;
  /**
   * Delay between retries: ms, a built-in policy, or `{ type: name }` of a strategy given to
   * `registerBackoff`. Default `{ type: "exponential", delay: 1000, jitter: 0.1 }`.
   */
  backoff?: BackoffSpec;
  /** A job still unstarted this long after it was added expires and never runs. Default: none. */
  ttl?: number | string;
  /** An attempt running longer than this is aborted (its `ctx.signal`) and fails. Default: none. */
  timeout?: number | string;
  /**
   * Lower runs first. Default 5. Applied where the enqueuing process has the task registered; a job
   * added by name elsewhere gets 5 (priority orders claims, so the worker cannot apply it afterwards).
   */
  priority?: number;
  /**
   * Runs the handler in a pool of worker threads or child processes (see docs/sandbox.md), for
   * CPU-bound work that would otherwise block the worker's event loop (its lease renewals) and
   * handlers that must be stoppable: a timeout or cancel kills its thread or process. Needs the
   * handler as a module path. Default: `true` when the handler is a module path, else in-process.
   */
  sandbox?: true | SandboxOptions;
}

const TASK_KEYS = keysOf<TaskOptions>({
  queue: true,
  retries: true,
  backoff: true,
  ttl: true,
  timeout: true,
  priority: true,
  removeOnComplete: true,
  removeOnFail: true,
  sandbox: true,
});

/** What a handler gets beside its data; `job.data` is the task's data type `D`. */
export interface JobContext<D = unknown> {
  job: Readonly<JobRecord<D>>;
  /** Aborts on timeout, on cancelJob, and when a stopping worker's grace runs out. */
  signal: AbortSignal;
  /** Stores progress on the job and emits `job:progress`. */
  progress(value: number | Record<string, unknown>): Promise<void>;
  /** Appends a line to the job's log. */
  log(message: string): Promise<void>;
  /**
   * Ends this attempt as rate limited (a remote API answered 429): throws a `RateLimitError`, to
   * let propagate. The job goes back to `waiting` without using an attempt, and claims wait
   * `delay`: the whole queue's under a queue-wide rate limit (`rateScope: "queue"` with a
   * `rateLimit`), this worker's otherwise.
   * @param delay ms or a duration string like `"30s"`. Default 1000 ms.
   */
  rateLimit(delay?: number | string): never;
  /**
   * Replaces the job's stored data (as `queue.updateData`): its next run (a retry, the next step)
   * gets it; `job.data` of this run stays as it started.
   * @throws ValidationError / PayloadTooLargeError for data `add` would refuse.
   */
  updateData(data: D): Promise<void>;
  /**
   * Ends this attempt as a step of a step job: throws a `DelayedError`, to let propagate. The job
   * goes back to `delayed` until `runAt` (or `waiting` if that has passed) without using an attempt,
   * then runs the handler again, with `data` as its data when given (in the same atomic step).
   * @param runAt epoch ms or a Date.
   * @param data The job's data from its next run on. Default: the stored data, unchanged.
   * @throws ValidationError (before anything is written) on a bad runAt or data.
   */
  moveToDelayed(runAt: number | Date, data?: D): never;
  /**
   * Ends this attempt as a step of a step job, waiting for jobs the handler added: rejects with a
   * `WaitingChildrenError`, to let propagate (`await` it). The job waits in `waiting-children`
   * without using an attempt until they all complete (its `dependsOn` becomes `childIds`; one that
   * fails fails it too, unless its `onParentFailure` says otherwise), then runs the handler again.
   * @param childIds ids of jobs in this job's queue, or `{ queue, id }` for jobs of other queues.
   * @throws ValidationError (before anything is written) when `childIds` is empty, holds this job's
   *   id, or names a job that does not exist.
   */
  moveToWaitingChildren(childIds: readonly DependencyRef[]): Promise<never>;
  /**
   * The results of the completed jobs this job depended on (`dependsOn`, `moveToWaitingChildren`),
   * keyed `"<queue>:<id>"` (BullMQ's `job.getChildrenValues()`). Kept with this job, so they are
   * there even when those jobs were removed (`removeOnComplete: true`). `{}` when none.
   */
  childrenValues(): Promise<Record<string, unknown>>;
  /**
   * The error messages of the jobs this job depended on that failed (or expired, were cancelled or
   * removed) while its `onParentFailure` ("ignore" or "continue") let it go on, keyed
   * `"<queue>:<id>"` (BullMQ's `job.getIgnoredChildrenFailures()`). `{}` when none.
   */
  childrenFailures(): Promise<Record<string, string>>;
}

export type TaskHandler<D, R> = (data: D, ctx: JobContext<D>) => R | Promise<R>;

export interface Task<D = unknown, R = unknown> {
  readonly name: string;
  readonly queue: string;
  /** Validated options, durations in ms. */
  readonly options: Readonly<TaskDefaults>;
  readonly handler: TaskHandler<D, R>;
  /** Enqueues a job of this task on its queue; resolves to the job id. */
  enqueue(data: D, options?: EnqueueOptions & { backend?: Backend | string }): Promise<string>;
  /**
   * The job `id` of this task, typed: its `data` is `D` and its `result` `R`. Null when the task's
   * queue has no such job, or the job is another task's.
   * @param options.backend - where to look; default: the configured default backend, as `enqueue`.
   */
  getJob(id: string, options?: { backend?: Backend | string }): Promise<JobRecord<D, R> | null>;
  /** Calls the handler directly, in this process, with a context made of `ctx` and harmless defaults. */
  run(data: D, ctx?: Partial<JobContext<D>>): Promise<R>;
  /**
   * Enqueues a job as `enqueue` does and waits for a worker (in any process) to finish it, as
   * `queue.waitFor`: resolves with its result, rejects with JobFailedError or WaitTimeoutError.
   * @param wait.timeout - the longest wait, in ms or as a duration ("30s"); the job goes on after it. Default: no limit.
   */
  enqueueAndWait(
    data: D,
    options?: EnqueueOptions & { backend?: Backend | string },
    wait?: { timeout?: number | string },
  ): Promise<R>;
}

/**
 * One registry per process, whichever copy of asyncmq registers or reads: a global `asyncmq` CLI
 * loading a project's tasks module that imports the project's own asyncmq would otherwise see none
 * of its tasks ("0 task(s)", every job failing with "no task named ...").
 */
const REGISTRY_KEY = Symbol.for("asyncmq.taskRegistry");
const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Map<string, Task<never, unknown>> };
holder[REGISTRY_KEY] ??= new Map<string, Task<never, unknown>>();
const registry = holder[REGISTRY_KEY];

/**
 * Defines a sandboxed task (see {@link TaskOptions.sandbox}) and registers it under `name`.
 * @param module The path of the module whose default export (else its export named `handler`) is
 *   the handler: absolute, relative to the current directory, or a `file:` URL
 *   (`new URL(path, import.meta.url)`, `import.meta.resolve(path)`).
 * @throws ValidationError if another, different task already has that name, or `module` names no file.
 */
export function task<D = unknown, R = unknown>(
  name: string,
  options: TaskOptions,
  module: string | URL,
): Task<D, R>;
/**
 * Defines a task and registers it under `name`.
 * @throws ValidationError if another, different task already has that name.
 */
export function task<D = unknown, R = unknown>(
  name: string,
  options: TaskOptions,
  handler: TaskHandler<D, R>,
): Task<D, R>;
export function task<D = unknown, R = unknown>(
  name: string,
  options: TaskOptions,
  given: TaskHandler<D, R> | string | URL,
): Task<D, R> {
  checkName(name, "task name");
  if (typeof options !== "object" || options === null) {
    throw new ValidationError(`task "${name}" needs options with a queue, like { queue: "emails" }`);
  }
  checkKeys(options, TASK_KEYS, `task "${name}" options`, JOB_HINTS);
  const queue = checkName(options.queue, `task "${name}" queue`);
  if (typeof given === "function" && options.sandbox !== undefined) {
    throw new ValidationError(
      `task "${name}" is sandboxed, so its handler must be the path of a module, like "./handlers/${name}.js", not a function (a function cannot move to another thread or process)`,
    );
  }
  const handler =
    typeof given === "function"
      ? given
      : (sandboxedHandler(name, given, options.sandbox ?? true) as TaskHandler<D, R>);
  // Its keys were checked above: only TaskDefaults' come back (and not the queue).
  const defaults = checkDefaults(options) as TaskDefaults;

  const existing = registry.get(name);
  if (existing) {
    // Re-running the same definition (e.g. a module evaluated twice) is harmless; a different one is a bug.
    const same = existing.handler === handler || sameSandbox(existing.handler, handler);
    if (same && existing.queue === queue && sameJson(existing.options, defaults)) {
      return existing as unknown as Task<D, R>;
    }
    throw new ValidationError(
      `a different task named "${name}" is already registered; give each task a unique name (or unregisterTask("${name}") first)`,
    );
  }

  const defined: Task<D, R> = {
    name,
    queue,
    options: Object.freeze(defaults),
    handler,
    async enqueue(data, opts) {
      const { backend, ...options } = opts ?? {};
      const [id] = await enqueueJobs(backend, queue, [{ task: name, data, options }], () => defaults);
      return id as string;
    },
    async enqueueAndWait(data, opts, wait) {
      const { backend, ...options } = opts ?? {};
      if (options.client !== undefined) {
        throw new ValidationError(
          'enqueueAndWait takes no "client": a job added in your transaction cannot start before you commit, so waiting for it there would never end; use enqueue(data, { client }), commit, then queue.waitFor(id)',
        );
      }
      const timeout = wait?.timeout === undefined ? undefined : toMs(wait.timeout, "wait.timeout");
      const b = resolveBackend(backend);
      const waiters = new JobWaiters(queue, new QueueEvents(queue, () => b), (id) => b.getJob(queue, id));
      const release = waiters.hold(); // listening before the job exists: its end cannot slip by
      let waiting: Promise<unknown>;
      try {
        const [id] = await enqueueJobs(b, queue, [{ task: name, data, options }], () => defaults);
        waiting = waiters.wait(id as string, timeout, true);
      } finally {
        release(); // the wait is made (or the add failed): the endings of other jobs are not kept
      }
      return (await waiting) as R;
    },
    async getJob(id, opts) {
      const job = await resolveBackend(opts?.backend).getJob(queue, String(id));
      return job?.task === name ? (job as JobRecord<D, R>) : null;
    },
    async run(data, ctx) {
      return await handler(data, {
        job: ctx?.job ?? localRecord(name, queue, data),
        signal: ctx?.signal ?? new AbortController().signal,
        progress: ctx?.progress ?? (async () => {}),
        log: ctx?.log ?? (async () => {}),
        rateLimit:
          ctx?.rateLimit ??
          ((delay) => {
            throw new RateLimitError(delay);
          }),
        updateData: ctx?.updateData ?? (async () => {}),
        moveToDelayed:
          ctx?.moveToDelayed ??
          ((runAt) => {
            throw new DelayedError(runAt);
          }),
        moveToWaitingChildren:
          ctx?.moveToWaitingChildren ??
          (async (childIds) => Promise.reject(new WaitingChildrenError(checkChildIds(childIds, "")))),
        childrenValues: ctx?.childrenValues ?? (async () => ({})),
        childrenFailures: ctx?.childrenFailures ?? (async () => ({})),
      });
    },
  };
  registry.set(name, defined as unknown as Task<never, unknown>);
  return defined;
}

/** The registered task called `name`, if any. */
export function getTask(name: string): Task | undefined {
  return registry.get(name) as unknown as Task | undefined;
}

/** Every registered task. */
export function listTasks(): Task[] {
  return [...registry.values()] as unknown as Task[];
}

/** Removes a task from the registry; returns whether it was there. */
export function unregisterTask(name: string): boolean {
  return registry.delete(name);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function localRecord<D>(name: string, queue: string, data: D): JobRecord<D> {
  return {
    id: "local",
    queue,
    task: name,
    data,
    state: "active",
    priority: 5,
    attempts: 1,
    maxRetries: 0,
    createdAt: Date.now(),
    stalledCount: 0,
  };
}
