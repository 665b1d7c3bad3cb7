import { performance } from "node:perf_hooks";
import { ValidationError } from "../errors.js";
import { toMs } from "../job.js";
import { log } from "../logger.js";
import { type LongTimer, setLongTimeout } from "./timer.js";

/** A queued `acquire` call. */
interface Waiter {
  resolve(): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

// Float rounding in the refill maths must not leave a waiter one timer short of a whole token.
const EPSILON = 1e-9;

/**
 * Token bucket: holds up to `max(rate, 1)` tokens (the burst), starts full, and refills
 * continuously at `rate` tokens per `interval`. Each job takes one token.
 *
 * - {@link RateLimiter.acquire} waits exactly until a token is due: one timer, armed for the
 *   head of a FIFO queue, no polling. No timer runs while nobody waits.
 * - `rate: 0` blocks every acquire by design (a warning is logged once, at construction);
 *   aborting the signal still rejects at once.
 */
export class RateLimiter {
  readonly rate: number;
  /** Refill period in ms. */
  readonly interval: number;
  readonly capacity: number;
  #tokens: number;
  #refilledAt = performance.now();
  #timer: LongTimer | undefined;
  // A Set keeps FIFO order and drops an aborted waiter in O(1).
  readonly #waiters = new Set<Waiter>();

  /**
   * @param rate Tokens per `interval`: a finite number >= 0. `0` blocks all acquires.
   * @param interval Refill period: ms or a duration string like `"1s"` (must be > 0).
   * @throws ValidationError on a bad rate or interval.
   */
  constructor(rate: number, interval: number | string) {
    if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0) {
      throw new ValidationError(
        `rateLimit must be a finite number >= 0 (jobs per rateInterval; null for no limit), got ${String(rate)}`,
      );
    }
    const ms = toMs(interval, "rateInterval");
    if (ms <= 0) {
      throw new ValidationError(`rateInterval must be greater than 0, got ${JSON.stringify(interval)}`);
    }
    this.rate = rate;
    this.interval = ms;
    // A fractional rate below 1 still needs room for one whole token, or nothing would ever pass.
    this.capacity = rate === 0 ? 0 : Math.max(rate, 1);
    this.#tokens = this.capacity;
    if (rate === 0) {
      log().warn("rate limit is 0: no job will be processed until the limit is changed (this is by design)");
    }
  }

  /** Callers waiting in {@link RateLimiter.acquire}. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Takes a token if one is available and nobody is waiting (no jumping the queue). */
  tryAcquire(): boolean {
    if (this.#waiters.size > 0) return false;
    this.#refill();
    if (this.#tokens + EPSILON < 1) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /**
   * Gives back `n` tokens taken for work that was not there (a claim that found fewer jobs), up to
   * the capacity, and serves waiters with them.
   */
  refund(n: number): void {
    if (!(n > 0)) return;
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens + n);
    this.#schedule();
  }

  /**
   * Waits until a token is available and takes it.
   * @param signal Optional: when it aborts first, the promise rejects with `signal.reason`,
   *   the caller leaves the queue and no timer is left behind.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.#waiters.delete(waiter);
          if (this.#waiters.size === 0) this.#clearTimer();
          reject(signal?.reason);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#schedule();
    });
  }

  #refill(): void {
    const now = performance.now();
    if (this.rate > 0 && this.#tokens < this.capacity) {
      this.#tokens = Math.min(
        this.capacity,
        this.#tokens + ((now - this.#refilledAt) * this.rate) / this.interval,
      );
    }
    this.#refilledAt = now;
  }

  /** Serves waiters that a token is available for, then arms one timer for the new head. */
  #schedule(): void {
    this.#refill();
    for (const waiter of this.#waiters) {
      if (this.#tokens + EPSILON < 1) break;
      this.#tokens = Math.max(0, this.#tokens - 1);
      this.#waiters.delete(waiter);
      waiter.signal?.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
    }
    if (this.#waiters.size === 0 || this.rate === 0) {
      // rate 0: nothing will ever refill, so only an abort can end a wait; no timer needed.
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined) return;
    const wait = Math.max(1, Math.ceil(((1 - this.#tokens) * this.interval) / this.rate));
    this.#timer = setLongTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, wait);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      this.#timer.clear();
      this.#timer = undefined;
    }
  }
}
