/** A job running in this process, and why its `ctx.signal` was aborted. */
import type { ClaimedJob } from "../job.js";

/** Why a running job's signal was aborted; decides what handleJob writes afterwards. */
export type AbortCause = "timeout" | "cancelled" | "lost" | "shutdown";

/**
 * A job running in this process, from its claim until the write that ends its attempt. Its
 * AbortController is created only when the handler reads `ctx.signal`: most handlers never do, and
 * a controller costs more than a no-op job.
 */
export class ActiveJob {
  cause?: AbortCause;
  reason?: Error;
  /** Called once on abort, by whoever waits for the handler. */
  onAbort?: (reason: Error) => void;
  /** True once the handler has returned and the attempt's end is being written. */
  ended = false;
  /**
   * Set by an abort that comes after the handler ended (lease lost, job cancelled or removed, the
   * shutdown grace over): a finish write being retried gives up.
   */
  dropped = false;
  #controller?: AbortController;
  #drop?: AbortController;

  /**
   * @param leaseUntil when the lease expires as far as this process knows (epoch ms): the claim's
   *   expiry, moved on by each renewal. 0: unknown, a failed finish is not retried.
   */
  constructor(
    readonly queue: string,
    readonly jobId: string,
    readonly token: string,
    public leaseUntil = 0,
  ) {}

  /**
   * The attempt of a claimed job: its lease runs to the claim's expiry, else (an engine that does
   * not report it) `leaseMs` from now, as for a claim made just now.
   */
  static of(queue: string, job: ClaimedJob, leaseMs: number): ActiveJob {
    return new ActiveJob(queue, job.id, job.token, job.leaseExpiresAt ?? Date.now() + leaseMs);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.reason) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  /** Aborts when the job is dropped; made on first use (only a failed finish write waits on it). */
  get dropSignal(): AbortSignal {
    this.#drop ??= new AbortController();
    if (this.dropped) this.#drop.abort();
    return this.#drop.signal;
  }

  /** Aborts for `cause`; the first cause wins. After the handler ended, it drops the job instead. */
  abort(cause: AbortCause, reason: Error): void {
    if (this.ended) {
      this.dropped = true;
      this.#drop?.abort(reason);
      return;
    }
    if (this.cause) return;
    this.cause = cause;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.onAbort?.(reason);
  }
}
