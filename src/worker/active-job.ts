/** A job running in this process, and why its `ctx.signal` was aborted. */

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
