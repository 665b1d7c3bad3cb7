/**
 * The queue-wide rate limit (`rateScope: "queue"`): one token bucket in the backend, shared by every
 * worker of the queue in every process.
 */
import type { RateLimitStore } from "../backends/backend.js";
import type { Limiter } from "./claim-loop.js";
import { sleep } from "./wait.js";

export class QueueRateLimiter implements Limiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly queue: string,
    private readonly rate: number,
    private readonly intervalMs: number,
  ) {}

  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const wait = await this.store.take(this.queue, this.rate, this.intervalMs, Date.now());
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  }

  /** The shared bucket is remote: one token per claim keeps it exact. */
  tryAcquire(): boolean {
    return false;
  }

  /** Holds the claims of every worker of the queue, in every process, for `ms`. */
  async hold(ms: number): Promise<void> {
    await this.store.hold(this.queue, ms, this.rate, this.intervalMs, Date.now());
  }

  /** Gives back, in one atomic step, tokens taken for claims that found no job. */
  async refund(n: number): Promise<void> {
    await this.store.refund(this.queue, n, this.rate, this.intervalMs, Date.now());
  }
}
