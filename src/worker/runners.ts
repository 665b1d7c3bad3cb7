/**
 * The entry points, all one runtime (`launchRuntime`): `runWorker` (the orchestrator: semaphore,
 * rate limit, scanners, repeatables, heartbeat; one queue or several sharing one concurrency pool,
 * see queue-pool.ts), and its shorthands `workerLoop` (one consumer) and
 * `startWorker` (N at once). Each resolves only after it has shut down: claiming stopped, in-flight
 * jobs finished or handed back, scanners returned.
 */

import { setMaxListeners } from "node:events";
import type { Backend } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { isFatal, ValidationError } from "../errors.js";
import { checkInt, toMs } from "../job.js";
import { log } from "../logger.js";
import { checkKeys, keysOf, WORKER_HINTS } from "../option-keys.js";
import { holdSandboxes } from "../sandbox/sandboxed-handler.js";
import { prepareRepeatable, type RepeatableDef } from "../schedule/repeatable-def.js";
import { checkLeaderLease, getSettings } from "../settings.js";
import { loadOtelApi } from "../telemetry/otel-api.js";
import type { ActiveJob } from "./active-job.js";
import type { ClaimControl } from "./claim-control.js";
import { claimJobs, type Limiter, newWorkerId, type ProcessJobOptions } from "./claim-loop.js";
import { type MaintenanceGate, maintenanceGate } from "./leader-gate.js";
import { MetricsRecorder } from "./metrics-recorder.js";
import { type Permits, QueuePool } from "./queue-pool.js";
import { QueueRateLimiter } from "./queue-rate-limiter.js";
import { RateLimiter } from "./rate-limiter.js";
import { repeatableScheduler } from "./repeatable-scheduler.js";
import { housekeeper, type Scanner, stallSweeper, workerHeartbeat } from "./scanners.js";
import { Semaphore } from "./semaphore.js";
import { checkQueues, type QueueSpec, type WorkerQueues } from "./worker-queues.js";

/** Options of `runWorker`, `Worker` and `queue.run()`. */
export interface RunWorkerOptions {
  /** Default: the configured default backend. */
  backend?: Backend | string;
  /**
   * Jobs run at once, over all the worker's queues (one pool, shared fairly: see WorkerQueue.weight).
   * Default 3 (settings.concurrency).
   */
  concurrency?: number;
  /**
   * Jobs started per `rateInterval`; `null` (default) means no limit, `0` blocks all processing.
   * With rateScope "worker", one bucket for all the worker's queues.
   */
  rateLimit?: number | null;
  /** Default 1000 ms. */
  rateInterval?: number | string;
  /**
   * `"worker"` (default): a bucket per worker (shared by its queues); `"queue"`: a bucket per queue,
   * shared by every worker of the queue, which needs `rateLimit >= 1` (raise `rateInterval` for slower rates).
   */
  rateScope?: "worker" | "queue";
  /** In-process repeatable definitions this worker schedules (single-queue workers only). Default: none. */
  repeatables?: RepeatableDef[];
  /**
   * Shortest sleep of the maintenance loops and the first safety poll of an idle claim loop; idle
   * ones sleep longer, up to `idlePoll` where the backend's wake-ups are reliable (the stall sweep
   * up to half of `leaseDuration`). Default 1000 ms (settings.scanInterval).
   */
  scanInterval?: number | string;
  /** Aborting it shuts the worker down. Default: none (the worker runs until the process ends). */
  signal?: AbortSignal;
  /** How long in-flight jobs may finish after shutdown starts. Default 10 s (settings.shutdownGrace). */
  shutdownGrace?: number | string;
  /**
   * Extra long-running loops, run beside the built-in ones until the signal aborts, once per queue.
   * Default: none.
   */
  scanners?: Scanner[];
  /** How long a claimed job's lease lasts without renewal. Default 30 s (settings.leaseDuration). */
  leaseDuration?: number | string;
  /**
   * Jobs a busy worker holds beyond its concurrency, claimed with the end of others (as
   * graphile-worker's local queue): a slot then frees when its handler returns, the next held job
   * starts in it at once, and the end is written behind, with the claim that tops the held jobs up.
   * A held job is active and leased (renewed while it waits) and starts in claim order; a cancel
   * drops it, a stop hands it back unstarted. For many short jobs. Single-queue workers without a
   * rate limit only (ignored otherwise). Default 0: a claim takes jobs for free slots only, and a
   * slot frees once its job's end is written.
   */
  prefetch?: number;
  /** Stalls a job survives before it fails. Default 1 (settings.maxStalledCount). */
  maxStalledCount?: number;
  /**
   * How long this worker's leader lease on the queue lasts without renewal: the leader runs the
   * maintenance loops, and another worker takes over within about this plus a third of it (at
   * least 2.5 s, the idle timer grid, once a third is 1.25 s or more) after it dies. At
   * most a quarter of `leaseDuration` (a shorter one is used). Default 5 s (settings.leaderLease).
   */
  leaderLease?: number | string;
  /**
   * Longest sleep of an idle claim loop, of the retention/ttl sweep and of the leader's look for
   * changed repeatables when the backend's wake-ups reach every process (reached by doubling from
   * scanInterval); elsewhere they sleep at most scanInterval. Default 30 s (settings.idlePoll).
   */
  idlePoll?: number | string;
}

const RUN_WORKER_KEYS = keysOf<RunWorkerOptions>({
  backend: true,
  concurrency: true,
  rateLimit: true,
  rateInterval: true,
  rateScope: true,
  repeatables: true,
  scanInterval: true,
  signal: true,
  shutdownGrace: true,
  scanners: true,
  leaseDuration: true,
  prefetch: true,
  maxStalledCount: true,
  leaderLease: true,
  idlePoll: true,
});

/**
 * Throws ValidationError for a key RunWorkerOptions lacks (BullMQ's `lockDuration`, a typo), and for
 * in-process repeatables on a worker of several queues.
 */
export function checkWorkerKeys(queues: readonly QueueSpec[], options: RunWorkerOptions): void {
  const label =
    queues.length === 1
      ? `queue "${queues[0]?.name}"`
      : `queues ${queues.map((q) => `"${q.name}"`).join(", ")}`;
  if (typeof options !== "object" || options === null) {
    throw new ValidationError(`worker options of ${label} must be an object like { concurrency: 5 }`);
  }
  checkKeys(options, RUN_WORKER_KEYS, `worker options of ${label}`, WORKER_HINTS);
  if ((options.repeatables?.length ?? 0) > 0 && queues.length > 1) {
    throw new ValidationError(
      `repeatables need a single-queue worker (they are scheduled into its queue), got ${queues.length} queues: add them with queue.upsertRepeatable(), or run a worker on their queue alone`,
    );
  }
}

/** A running runtime, for the Worker object. */
export interface RuntimeHandle {
  readonly workerId: string;
  /** The concurrency of all its queues. */
  readonly semaphore: Pick<Semaphore, "permits" | "resize">;
  /** Resolves once the runtime has shut down. */
  readonly done: Promise<void>;
  /** Changes the shutdown grace before the signal aborts. */
  setShutdownGrace(ms: number): void;
}

/**
 * One consumer: the runtime of `runWorker` with concurrency 1 (heartbeat and maintenance included),
 * sleeping on the queue's wake-up signal when there is no job, with a safety poll of `idleSleep`
 * (default settings.scanInterval), doubling up to settings.idlePoll where wake-ups are reliable.
 * `workerId` is appended to the id recorded on its jobs. `backend` defaults to the configured
 * default backend; without `signal` it runs until the process ends.
 */
export async function workerLoop(
  queueName: string,
  workerId: number,
  backend?: Backend,
  options?: { signal?: AbortSignal; idleSleep?: number | string },
): Promise<void> {
  if (options !== undefined) checkKeys(options, ["signal", "idleSleep"], "workerLoop options", WORKER_HINTS);
  const runtime = { backend, concurrency: 1, signal: options?.signal, scanInterval: options?.idleSleep };
  await launchRuntime(queueName, runtime, `${newWorkerId()}:${workerId}`).done;
}

/**
 * The runtime of `runWorker` with `concurrency` jobs at once (default 1), until `signal` aborts.
 * `backend` defaults to the configured default backend.
 */
export async function startWorker(
  queueName: string,
  concurrency = 1,
  backend?: Backend,
  options?: { signal?: AbortSignal },
): Promise<void> {
  if (options !== undefined) checkKeys(options, ["signal"], "startWorker options", WORKER_HINTS);
  await launchRuntime(queueName, { backend, concurrency, signal: options?.signal }).done;
}

/**
 * The full orchestrator; see RunWorkerOptions. `queues`: one queue name, or several queues (names or
 * `{ name, weight }`) served by one runtime with one concurrency pool, one heartbeat entry and one
 * wake-up connection.
 */
export async function runWorker(queues: WorkerQueues, options: RunWorkerOptions = {}): Promise<void> {
  await launchRuntime(queues, options).done;
}

/**
 * Validates everything, then starts the runtime; throws ValidationError before starting anything.
 * `controlFor`: a Worker object's pause and drained notice, per queue.
 */
export function launchRuntime(
  queues: WorkerQueues,
  options: RunWorkerOptions = {},
  workerId = newWorkerId(),
  controlFor?: (queue: string) => ClaimControl,
): RuntimeHandle {
  const specs = checkQueues(queues);
  const names = specs.map((q) => q.name);
  checkWorkerKeys(specs, options);
  const settings = getSettings();
  const concurrency = checkInt(options.concurrency ?? settings.concurrency, "concurrency", 1);
  const scanInterval = toMs(options.scanInterval ?? settings.scanInterval, "scanInterval");
  const leaseMs = toMs(options.leaseDuration ?? settings.leaseDuration, "leaseDuration");
  const grace = toMs(options.shutdownGrace ?? settings.shutdownGrace, "shutdownGrace");
  const maxStalled = checkInt(options.maxStalledCount ?? settings.maxStalledCount, "maxStalledCount");
  const prefetch = checkInt(options.prefetch ?? 0, "prefetch", 0, 100_000);
  // At most a quarter of the job lease: a leader that dies holding jobs is replaced (within its
  // lease plus a round: a third of the job lease, the round being on the 2.5 s grid only for leader
  // leases of 3.75 s or more) before those jobs' leases can run out (2/3 of the job lease
  // after their last renewal at the earliest), so their recovery waits for nothing more than before.
  const leaderMs = Math.max(
    30,
    Math.min(checkLeaderLease(options.leaderLease ?? settings.leaderLease, "leaderLease"), leaseMs / 4),
  );
  const idlePoll = toMs(options.idlePoll ?? settings.idlePoll, "idlePoll");
  const rateInterval = toMs(options.rateInterval ?? 1000, "rateInterval");
  const scope = options.rateScope ?? "worker";
  if (scope !== "worker" && scope !== "queue") {
    throw new ValidationError(`rateScope must be "worker" or "queue", got ${String(scope)}`);
  }
  for (const def of options.repeatables ?? []) prepareRepeatable(def);
  for (const s of options.scanners ?? []) {
    if (typeof s !== "function")
      throw new ValidationError("scanners must be functions (ctx) => Promise<void>");
  }
  const backend = resolveBackend(options.backend);
  // rateScope "worker": one bucket for all the queues; "queue": one per queue (made below).
  let limiter: Limiter | undefined;
  let queueLimiter: ((queue: string) => Limiter) | undefined;
  if (options.rateLimit !== undefined && options.rateLimit !== null) {
    if (
      typeof options.rateLimit !== "number" ||
      !Number.isFinite(options.rateLimit) ||
      options.rateLimit < 0
    ) {
      throw new ValidationError(`rateLimit must be a number >= 0 or null, got ${String(options.rateLimit)}`);
    }
    if (rateInterval <= 0) throw new ValidationError("rateInterval must be greater than 0");
    if (scope === "queue" && options.rateLimit > 0) {
      if (options.rateLimit < 1) {
        // The shared bucket holds at most rateLimit tokens and a claim takes a whole one: below 1 it
        // would never start a job. (The per-worker limiter rounds its bucket up to 1 instead.)
        throw new ValidationError(
          `rateScope "queue" needs rateLimit >= 1, got ${options.rateLimit}: for one job every ${Math.round(rateInterval / options.rateLimit)} ms use rateLimit: 1, rateInterval: ${Math.round(rateInterval / options.rateLimit)}`,
        );
      }
      if (backend.rateLimits === undefined) {
        throw new ValidationError(
          `rateScope "queue" needs a backend with a shared rate-limit store (capabilities.rateLimits); this one has none: use rateScope "worker"`,
        );
      }
      const store = backend.rateLimits;
      const rate = options.rateLimit;
      queueLimiter = (queue) => new QueueRateLimiter(store, queue, rate, rateInterval);
    } else limiter = new RateLimiter(options.rateLimit, rateInterval);
  }
  if ((options.repeatables?.length ?? 0) > 0 && backend.repeatables === undefined) {
    throw new ValidationError(
      "repeatables need a backend with a repeatable store (capabilities.repeatables); this one has none",
    );
  }
  const semaphore = new Semaphore(concurrency);
  // One queue claims from the semaphore itself; several share it through a fair pool.
  const pool = specs.length > 1 ? new QueuePool(semaphore) : null;
  const permitsOf = (spec: QueueSpec): Permits => pool?.lane(spec.weight) ?? semaphore;
  const controller = internalController(options.signal);
  const signal = controller.signal;
  const startedAt = Date.now();
  // In the background: a failure here shows in the claims, which report it.
  backend.warmUp?.().catch(() => {});
  // The optional OpenTelemetry API's import (~15 ms, once per process) is not paid by a first job.
  void loadOtelApi();
  const recorder = MetricsRecorder.for(backend);
  const inflight = new Set<ActiveJob>();
  const releaseSandboxes = holdSandboxes();

  // Maintenance of each queue runs on that queue's leader only (see leader-election.ts); in-process
  // repeatables on every runtime that has them (only it knows them; `fire` keeps each slot once).
  const leads = new Map(names.map((queue) => [queue, maintenanceGate(backend, queue, leaderMs)]));
  const leadOf = (queue: string) => leads.get(queue) as MaintenanceGate;
  const gated =
    (scanner: Scanner): Scanner =>
    (ctx) =>
      leadOf(ctx.queue).gate(scanner)(ctx);
  const local = options.repeatables ?? [];
  // Per queue, as in a single-queue runtime: its maintenance and the caller's scanners.
  // An idle queue's loops back off: the stall sweep to half the job lease (stallSweeper says why);
  // the claim loop's safety poll, retention and ttl, and the look for changed repeatables to
  // idlePoll where every wake-up is heard (capabilities.reliableWakeups).
  const sweepMs = Math.max(10, Math.min(scanInterval, leaseMs / 2));
  const maxIdleMs = backend.capabilities.reliableWakeups ? idlePoll : scanInterval;
  const queueScanners: Scanner[] = [
    // Delayed jobs are promoted by the claim loop's delayed scanner, gated the same way.
    gated(stallSweeper(sweepMs, maxStalled, recorder, Math.min(idlePoll, leaseMs / 2))),
    gated(housekeeper(scanInterval, maxIdleMs)),
    local.length > 0
      ? (ctx) => repeatableScheduler(local, scanInterval, leadOf(ctx.queue).leading, maxIdleMs)(ctx)
      : gated(repeatableScheduler([], scanInterval, undefined, maxIdleMs)),
    ...(options.scanners ?? []),
  ];
  // Once per runtime: one registry entry listing all its queues.
  const heartbeat = workerHeartbeat(
    () => ({
      id: workerId,
      queues: names,
      concurrency: semaphore.permits,
      startedAt,
      active: inflight.size,
    }),
    Math.max(scanInterval, 5000),
  );
  const contexts = names.map((queue) => ({ queue, backend, signal }));
  const claimOptions: ProcessJobOptions[] = specs.map((spec) => ({
    backend,
    semaphore: permitsOf(spec),
    rateLimiter: queueLimiter?.(spec.name) ?? limiter,
    signal,
    workerId,
    shutdownGrace: grace,
    leaseDuration: leaseMs,
    idleSleep: scanInterval,
    prefetch,
  }));
  // A claim loop that fails (e.g. on a closed backend) stops the scanners too: `done` settles only
  // once everything has returned, and nothing keeps running (or the process alive) after it.
  // With several queues, it settles once every queue's loop has drained, with the first failure.
  const claiming = Promise.allSettled(
    specs.map((spec, i) =>
      claimJobs(
        spec.name,
        claimOptions[i] as ProcessJobOptions,
        recorder,
        inflight,
        controlFor?.(spec.name),
        { maintain: leadOf(spec.name).gate, maxIdleMs },
      ).catch((err: unknown) => {
        controller.abort(err);
        throw err;
      }),
    ),
  ).then((results) => {
    for (const r of results) if (r.status === "rejected") throw r.reason;
  });
  // A fatal backend error (a corrupt SQLite file) met by a scanner stops the runtime, which then
  // rejects with it: retrying against a broken backend would only repeat it forever.
  let fatal: { error: unknown } | undefined;
  const stopOn = (err: unknown) => {
    fatal ??= { error: err };
    controller.abort(err);
  };
  const running = contexts.flatMap((ctx) => queueScanners.map((s) => runScanner(s, ctx, stopOn)));
  running.push(runScanner(heartbeat, contexts[0] as Parameters<Scanner>[0], stopOn));
  // The metrics observed until the end are written before `done` settles (flush never rejects).
  const done = Promise.allSettled([claiming, ...running]).then(async () => {
    // Resigned once its loops stopped, so another worker takes over without waiting for the expiry.
    await Promise.all([...leads.values()].map((lead) => lead.leave()));
    await recorder?.flush();
    await releaseSandboxes(); // the last runtime to stop ends the sandboxed tasks' threads and processes
    await claiming;
    if (fatal) throw fatal.error;
  });
  const setShutdownGrace = (ms: number) => {
    for (const o of claimOptions) o.shutdownGrace = ms;
  };
  return { workerId, semaphore: pool ?? semaphore, done, setShutdownGrace };
}

/**
 * A signal that follows the caller's, for the runtime's own use: its loops, sleeps and waits each
 * listen to it, more than Node's default of 10 listeners, which would print a leak warning.
 */
function internalController(outer: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener("abort", () => controller.abort(outer.reason), { once: true });
  return controller;
}

/** Runs a scanner to its end; a fatal backend error goes to `onFatal` (the runner reports it), others are logged. */
async function runScanner(
  scanner: Scanner,
  ctx: Parameters<Scanner>[0],
  onFatal: (err: unknown) => void,
): Promise<void> {
  try {
    await scanner(ctx);
  } catch (err) {
    if (isFatal(err)) onFatal(err);
    else log().error(`a scanner of queue "${ctx.queue}" stopped with an error`, { queue: ctx.queue, err });
  }
}
