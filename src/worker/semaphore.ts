import { ValidationError } from "../errors.js";

/** A queued `acquire` call. */
interface Waiter {
  grant(release: () => void): void;
}

/**
 * Counting semaphore bounding how many jobs a worker runs at once.
 *
 * - FIFO: waiters are admitted in the order they called {@link Semaphore.acquire}, and
 *   {@link Semaphore.tryAcquire} never jumps ahead of a waiter.
 * - The release function is idempotent: calling it twice frees one permit only.
 * - {@link Semaphore.resize} takes effect at once; shrinking below the permits in use lets the
 *   holders finish and admits no one until fewer than `permits` are in use.
 */
export class Semaphore {
  #permits: number;
  #inUse = 0;
  // A Set keeps insertion order (FIFO) and deletes an aborted waiter in O(1).
  readonly #waiters = new Set<Waiter>();

  /**
   * @param permits How many holders at once: an integer >= 1.
   * @throws ValidationError when `permits` is not an integer >= 1.
   */
  constructor(permits: number) {
    this.#permits = checkPermits(permits);
  }

  /** Permits in total (the concurrency). */
  get permits(): number {
    return this.#permits;
  }

  /** Permits held right now (may exceed `permits` for a while after a shrink). */
  get inUse(): number {
    return this.#inUse;
  }

  /** Permits free right now; never negative. */
  get available(): number {
    return Math.max(0, this.#permits - this.#inUse);
  }

  /** Callers waiting in {@link Semaphore.acquire}. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for a permit and resolves with its release function.
   * @param signal Optional: when it aborts before a permit is granted, the promise rejects with
   *   `signal.reason` and the caller leaves the queue.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Takes a permit if one is free and nobody is waiting; returns its release function, else `null`. */
  tryAcquire(): (() => void) | null {
    if (this.#waiters.size > 0 || this.#inUse >= this.#permits) return null;
    this.#inUse++;
    return this.#releaser();
  }

  /**
   * Changes the number of permits at once: growing admits waiters now; shrinking takes no permit
   * away from its holder.
   * @throws ValidationError when `n` is not an integer >= 1.
   */
  resize(n: number): void {
    this.#permits = checkPermits(n);
    this.#admit();
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse--;
      this.#admit();
    };
  }

  #admit(): void {
    while (this.#inUse < this.#permits) {
      const next = this.#waiters.values().next();
      if (next.done) return;
      this.#waiters.delete(next.value);
      // Counted before the waiter's continuation runs, so no one else can take this permit.
      this.#inUse++;
      next.value.grant(this.#releaser());
    }
  }
}

function checkPermits(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new ValidationError(
      `semaphore permits (concurrency) must be an integer >= 1, got ${typeof n === "number" ? n : JSON.stringify(n)}`,
    );
  }
  return n;
}
