/**
 * One concurrency pool shared by the claim loops of several queues (a multi-queue runtime), fair
 * between them by turns: each queue claims through its own lane, and while several queues have
 * work, the lane that has started the fewest jobs per unit of weight (its "pass", stride
 * scheduling) takes every free permit for its next claim, the others wait their turn. A turn is a
 * whole batch, as a single-queue loop claims it: sharing the pool costs no smaller claims, and a
 * queue of weight 3 gets three batches' worth of jobs to one of weight 1. A queue without work now
 * (its last claim found no job: it ran dry, is paused or at its global concurrency; or its rate
 * limit cut the claim short) takes no turn and holds no one back, and looks for work with one permit
 * a claim; when it has work again its pass starts level with the busy queues', so an idle spell
 * banks no burst.
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
   * A claim found `found` jobs; `rateLimited`: the rate limit gave fewer tokens than permits. No job,
   * or a rate limit, means the queue cannot use more permits now.
   */
  claimed?(found: number, rateLimited: boolean): void;
}

interface Waiter {
  grant(release: () => void): void;
}

class Lane implements Permits {
  /** Permits taken for the claim being made (not yet started jobs); > 0 means a claim is under way. */
  pending = 0;
  /** Counts claims; a permit taken in an earlier one belongs to a job, not to the claim under way. */
  epoch = 0;
  /** Jobs started per unit of weight, with the starting level of a return from idleness. */
  pass = 0;
  /** Its last claim found jobs, as many as its rate limit let it ask: it has more work (assumed at start). */
  hungry = true;
  /**
   * Its claim just ended with work left, and its loop has not asked for permits again yet: it keeps
   * its turn until then (at most until the event loop's next turn). Without this, the permits freed
   * while a slow claim was under way go to the lane waiting when it ends, whatever its turn.
   */
  returning = false;
  readonly waiters = new Set<Waiter>();

  constructor(
    private readonly pool: QueuePool,
    readonly weight: number,
    readonly index: number,
  ) {}

  get permits(): number {
    return this.pool.permits;
  }

  /** Takes turns: has work, and is claiming or waiting to. */
  get contending(): boolean {
    return this.hungry && (this.pending > 0 || this.waiters.size > 0 || this.returning);
  }

  /** Whether this lane's turn comes before `other`'s. */
  before(other: Lane): boolean {
    return this.pass < other.pass || (this.pass === other.pass && this.index < other.index);
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal?.reason);
        this.pool.dispatch(); // this lane may have held the turn
      };
      const waiter: Waiter = {
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

  claimed(found: number, rateLimited: boolean): void {
    this.epoch++;
    this.pending = 0;
    const hungry = found > 0 && !rateLimited;
    if (hungry && !this.hungry) this.pool.rejoin(this);
    this.hungry = hungry;
    this.pass += found / this.weight;
    if (!hungry) {
      this.pool.dispatch(); // the turn passes on
      return;
    }
    this.returning = true;
    setImmediate(() => {
      this.returning = false;
      this.pool.dispatch(); // its loop did not come back (paused, held, stopping): the turn passes on
    });
  }
}

export class QueuePool {
  readonly #semaphore: Semaphore;
  readonly #lanes: Lane[] = [];

  /** @param semaphore Counts the permits (and resizes); only this pool takes from it. */
  constructor(semaphore: Semaphore) {
    this.#semaphore = semaphore;
  }

  get permits(): number {
    return this.#semaphore.permits;
  }

  /** A queue's lane; `weight` is an integer >= 1 (validated by the caller). */
  lane(weight: number): Permits {
    const lane = new Lane(this, weight, this.#lanes.length);
    this.#lanes.push(lane);
    return lane;
  }

  /** Changes the concurrency at once (see Semaphore.resize). */
  resize(n: number): void {
    this.#semaphore.resize(n);
    this.dispatch();
  }

  /** @internal A permit for `lane` if one is free and it is its turn. */
  take(lane: Lane): (() => void) | null {
    if (!this.#mayTake(lane)) return null;
    const release = this.#semaphore.tryAcquire();
    if (release === null) return null;
    lane.pending++;
    const epoch = lane.epoch;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // Given back before its claim ended (a claim that found fewer, a pause): no longer the claim's.
      if (lane.epoch === epoch) lane.pending--;
      release();
      this.dispatch();
    };
  }

  /** @internal A lane with work again starts level with the lowest of the lanes that kept working. */
  rejoin(lane: Lane): void {
    const passes = this.#lanes.filter((other) => other !== lane && other.hungry).map((other) => other.pass);
    if (passes.length > 0) lane.pass = Math.max(lane.pass, Math.min(...passes));
  }

  /** @internal Grants free permits to waiting lanes, earliest turn first. */
  dispatch(): void {
    for (;;) {
      let best: Lane | undefined;
      for (const lane of this.#lanes) {
        if (lane.waiters.size > 0 && (best === undefined || lane.before(best))) best = lane;
      }
      if (best === undefined) return;
      const release = this.take(best);
      // Not its turn (another lane's claim is under way first), or nothing free: try a lane that
      // does not contend (its turn never blocks), else stop until the next release or claim.
      const lane = release === null ? this.#nonContender() : best;
      const granted = release ?? (lane ? this.take(lane) : null);
      if (lane === undefined || granted === null) return;
      const waiter = lane.waiters.values().next().value as Waiter;
      lane.waiters.delete(waiter);
      waiter.grant(granted);
    }
  }

  /** A waiting lane that takes no turns and may take a free permit now, if any. */
  #nonContender(): Lane | undefined {
    return this.#lanes.find((lane) => lane.waiters.size > 0 && !lane.hungry && this.#mayTake(lane));
  }

  /**
   * A free permit, and no lane with work whose turn comes first is claiming or waiting. A lane
   * without work (its last claim found none) looks with one permit: a batch of free permits held
   * through an empty claim would split the busy lanes' next batches.
   */
  #mayTake(lane: Lane): boolean {
    if (this.#semaphore.available === 0 || (!lane.hungry && lane.pending > 0)) return false;
    for (const other of this.#lanes) {
      if (other !== lane && other.contending && other.before(lane)) return false;
    }
    return true;
  }
}
