/**
 * RateLimitError: in its own module, not errors.ts, because it parses durations (job.ts), which
 * errors.ts must not import (job.ts imports errors.ts).
 */
import { AsyncMQError } from "./errors.js";
import { toMs } from "./job.js";

/**
 * Thrown by a handler (or by `ctx.rateLimit(ms)`) when a remote service says to slow down (HTTP
 * 429): the job goes back to `waiting` without using an attempt, and claims wait `delay`: the
 * queue's, in every process, under a queue-wide rate limit (`rateScope: "queue"` with a
 * `rateLimit`); this worker's otherwise. No event is emitted.
 */
export class RateLimitError extends AsyncMQError {
  /** How long claims wait, in ms. */
  readonly delay: number;

  /**
   * @param delay How long claims wait: ms or a duration string like `"30s"`. Default 1000 ms.
   * @param message Default `"rate limited for <delay> ms"`.
   * @throws ValidationError on a bad delay.
   */
  constructor(delay: number | string = 1000, message?: string) {
    const ms = toMs(delay, "rate limit delay");
    super(message ?? `rate limited for ${ms} ms`);
    this.delay = ms;
  }
}

// Branded, as UnrecoverableError is (see errors.ts).
const RATE_LIMITED = Symbol.for("asyncmq.RateLimitError");
Object.defineProperty(RateLimitError.prototype, RATE_LIMITED, { value: true });

/** The delay of a {@link RateLimitError} from any copy of asyncmq, or null when `err` is none. */
export function rateLimitDelay(err: unknown): number | null {
  if (typeof err !== "object" || err === null || (err as Record<symbol, unknown>)[RATE_LIMITED] !== true) {
    return null;
  }
  return (err as RateLimitError).delay;
}
