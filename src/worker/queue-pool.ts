/**
 * One concurrency pool shared by the claim loops of several queues (a multi-queue runtime), fair
 * between them: each queue claims through its own lane, and while several queues have work, a
 * queue of weight w may hold about w / (sum of the busy queues' weights) of the permits, so a busy
 * queue cannot starve another. A queue with no work leaves its share to the others (the pool never
 * idles a permit that no busy queue below its share could use). Among lanes waiting at once, the
 * one holding the fewest permits per unit of weight goes first, then the one that waited longest.
 */
import type { Semaphore } from "./semaphore.js";

/** What a claim loop takes its permits from: a Semaphore, or a queue's lane of a QueuePool. */
export interface Permits {
  /** The pool's permits in total (the runtime's concurrency). */
  readonly permits: number;
  /** Waits for a permit; rejects with `signal.reason` when it aborts first. */
  acquire(signal?: AbortSignal): Promise<() => void>;
  /** A permit now, or `null`. */
  tryAcquire(): (() => void) | null;
  /**
   * A claim made with `took` permits found `found` jobs: fewer means the queue cannot use more
   * permits now (it ran dry, or its rate limit gave fewer tokens).
   */
  claimed?(took: number, found: number): void;
}

interface Waiter {
  seq: number;
  grant(release: () => void): void;
}

class Lane implements Permits {
  held = 0;
  /** Its last claim found all it asked for: it has more work (assumed until a claim says otherwise). */
  hungry = true;
  readonly waiters = new Set<Waiter>();

  constructor(
    private readonly pool: QueuePool,
    readonly weight: number,
  ) {}

  get permits(): number {
    return this.pool.permits;
  }

  /** Wants permits now: waiting for one, or running jobs with more work behind them. */
  get busy(): boolean {
    return this.waiters.size > 0 || (this.hungry && this.held > 0);
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal?.reason);
        this.pool.dispatch(); // this lane may no longer be busy: others' shares grow
      };
      const waiter: Waiter = {
        seq: this.pool.nextSeq(),
        grant: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pool.dispatch();
    });
  }

  tryAcquire(): (() => void) | null {
    return this.pool.take(this);
  }

  claimed(took: number, found: number): void {
    const hungry = found >= took;
    if (hungry === this.hungry) return;
    this.hungry = hungry;
    if (!hungry) this.pool.dispatch();
  }
}

export class QueuePool {
  readonly #semaphore: Semaphore;
  readonly #lanes: Lane[] = [];
  #seq = 0;

  /** @param semaphore Counts the permits (and resizes); only this pool takes from it. */
  constructor(semaphore: Semaphore) {
    this.#semaphore = semaphore;
  }

  get permits(): number {
    return this.#semaphore.permits;
  }

  /** A queue's lane; `weight` is an integer >= 1 (validated by the caller). */
  lane(weight: number): Permits {
    const lane = new Lane(this, weight);
    this.#lanes.push(lane);
    return lane;
  }

  /** Changes the concurrency at once (see Semaphore.resize). */
  resize(n: number): void {
    this.#semaphore.resize(n);
    this.dispatch();
  }

  /** @internal */
  nextSeq(): number {
    return this.#seq++;
  }

  /** @internal A permit for `lane` if one is free and its share allows it. */
  take(lane: Lane): (() => void) | null {
    if (!this.#mayTake(lane)) return null;
    const release = this.#semaphore.tryAcquire();
    if (release === null) return null;
    lane.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      lane.held--;
      release();
      this.dispatch();
    };
  }

  /** @internal Grants free permits to waiting lanes, fewest held per weight first. */
  dispatch(): void {
    for (;;) {
      let best: Lane | undefined;
      let bestWaiter: Waiter | undefined;
      for (const lane of this.#lanes) {
        const first = lane.waiters.values().next().value;
        if (first === undefined || !this.#mayTake(lane)) continue;
        const order = best === undefined ? -1 : lane.held / lane.weight - best.held / best.weight;
        if (order < 0 || (order === 0 && first.seq < (bestWaiter?.seq ?? 0))) {
          best = lane;
          bestWaiter = first;
        }
      }
      if (best === undefined || bestWaiter === undefined) return;
      const release = this.take(best);
      if (release === null) return;
      best.waiters.delete(bestWaiter);
      bestWaiter.grant(release);
    }
  }

  /**
   * Below its share, a lane may take a free permit; at or above it, only when every other busy
   * lane is at or above its own (none of them could use the permit).
   */
  #mayTake(lane: Lane): boolean {
    if (this.#semaphore.available === 0) return false;
    let weights = lane.weight;
    for (const other of this.#lanes) if (other !== lane && other.busy) weights += other.weight;
    if (lane.held < this.#share(lane, weights)) return true;
    for (const other of this.#lanes) {
      if (other !== lane && other.busy && other.held < this.#share(other, weights)) return false;
    }
    return true;
  }

  #share(lane: Lane, weights: number): number {
    return Math.max(1, Math.ceil((this.permits * lane.weight) / weights));
  }
}
