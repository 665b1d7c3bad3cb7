/**
 * The jobs this process is running, per backend: renews their leases in one batched call per queue,
 * and aborts a job's `ctx.signal` when its lease is lost or it is cancelled from this process.
 */
import type { Backend } from "../backends/backend.js";
import { JobCancelledError } from "../errors.js";
import { log } from "../logger.js";

/** Why a running job's signal was aborted; decides what handleJob writes afterwards. */
export type AbortCause = "timeout" | "cancelled" | "lost" | "shutdown";

/**
 * A job running in this process. Its AbortController is created only when the handler reads
 * `ctx.signal`: most handlers never do, and a controller costs more than a no-op job.
 */
export class ActiveJob {
  cause?: AbortCause;
  reason?: Error;
  /** Called once on abort, by whoever waits for the handler. */
  onAbort?: (reason: Error) => void;
  #controller?: AbortController;

  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly token: string,
  ) {}

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.reason) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Aborts for `cause`; the first cause wins. */
  abort(cause: AbortCause, reason: Error): void {
    if (this.cause) return;
    this.cause = cause;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }
}

class LeaseKeeper {
  readonly #byQueue = new Map<string, Map<string, ActiveJob>>();
  #timer: NodeJS.Timeout | null = null;
  #leaseMs = Number.POSITIVE_INFINITY;
  #renewing = false;

  constructor(private readonly backend: Backend) {}

  add(job: ActiveJob, leaseMs: number): void {
    let jobs = this.#byQueue.get(job.queue);
    if (!jobs) {
      jobs = new Map();
      this.#byQueue.set(job.queue, jobs);
    }
    jobs.set(job.jobId, job);
    if (leaseMs < this.#leaseMs) {
      this.#leaseMs = leaseMs;
      this.#stopTimer();
    }
    if (!this.#timer) {
      // A third of the lease: two renewals may fail (slow engine, busy loop) before it expires.
      this.#timer = setInterval(() => void this.#renew(), Math.max(10, Math.floor(this.#leaseMs / 3)));
      this.#timer.unref();
    }
  }

  remove(job: ActiveJob): void {
    const jobs = this.#byQueue.get(job.queue);
    if (jobs?.get(job.jobId) === job) jobs.delete(job.jobId);
    if (jobs?.size === 0) this.#byQueue.delete(job.queue);
    // The timer stops at its next beat if still idle: busy workers empty and refill this set for
    // every batch, and re-arming a timer per batch costs more than one idle beat.
  }

  get(queue: string, jobId: string): ActiveJob | undefined {
    return this.#byQueue.get(queue)?.get(jobId);
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #renew(): Promise<void> {
    if (this.#byQueue.size === 0) {
      this.#stopTimer();
      this.#leaseMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      for (const [queue, jobs] of this.#byQueue) {
        const list = [...jobs.values()];
        const lost = await this.backend.extendLeases(
          queue,
          list.map((j) => ({ jobId: j.jobId, token: j.token })),
          this.#leaseMs,
          Date.now(),
        );
        for (const id of lost) {
          const job = jobs.get(id);
          if (job) {
            job.abort(
              "lost",
              new JobCancelledError(`job ${id} lost its lease (cancelled, removed or recovered elsewhere)`),
            );
          }
        }
      }
    } catch (err) {
      log().warn("lease renewal failed; will retry on the next beat", err);
    } finally {
      this.#renewing = false;
    }
  }
}

const keepers = new WeakMap<Backend, LeaseKeeper>();

/** The lease keeper of `backend` in this process. */
export function leaseKeeper(backend: Backend): LeaseKeeper {
  let keeper = keepers.get(backend);
  if (!keeper) {
    keeper = new LeaseKeeper(backend);
    keepers.set(backend, keeper);
  }
  return keeper;
}

/** Aborts the signal of a job this process runs, after the backend cancelled or removed it. */
export function abortActiveJob(backend: Backend, queue: string, jobId: string, why: string): void {
  const job = keepers.get(backend)?.get(queue, jobId);
  if (job) job.abort("cancelled", new JobCancelledError(`job ${jobId} was ${why}`));
}
