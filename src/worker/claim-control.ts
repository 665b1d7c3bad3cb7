/**
 * What stops a claim loop from claiming, beside its semaphore and rate limiter: a Worker object's
 * local pause (stop claiming, let running jobs finish, resume later without a restart), and a hold
 * of this loop's claims after a handler's RateLimitError. It also gives the Worker its `drained`
 * notice. The loop reports its claims and jobs here, so that `pause()` can wait until nothing it
 * started is in flight.
 */
import { orAbort, sleep } from "./wait.js";

export class ClaimControl {
  #paused = false;
  /** No claim before this time (epoch ms): a rate-limit hold. */
  #holdUntil = 0;
  /** Ends the loop's wait for `resume()`. */
  #resumed: (() => void) | null = null;
  /** Claims in flight (returned jobs not yet started): the loop's, and those made with a finish. */
  #claiming = 0;
  /** `settled()` calls waiting for the claim in flight to end; none in the usual case. */
  #claimWaiters: Array<() => void> = [];
  /** The jobs the loop started and that have not ended: the loop's own set (it adds and deletes). */
  readonly running = new Set<Promise<void>>();
  /** True once a claim found jobs, until one finds none. */
  #busy = false;
  /** What pause() also does: the claim loop's (hands back the jobs it holds unstarted). */
  #onPause: (() => void) | null = null;

  /** @param onDrained called when a claim finds no job after claims that found some. */
  constructor(private readonly onDrained: () => void = () => {}) {}

  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Stops the loop from claiming from its next claim on; jobs already running run on, and with
   * prefetch the loop hands the jobs it holds unstarted back to waiting.
   */
  pause(): void {
    this.#paused = true;
    this.#onPause?.();
  }

  /** Sets (null: clears) what pause() also does; the claim loop's, while it runs. */
  whenPaused(act: (() => void) | null): void {
    this.#onPause = act;
  }

  /** Lets the loop claim again. */
  resume(): void {
    this.#paused = false;
    const resumed = this.#resumed;
    this.#resumed = null;
    resumed?.();
  }

  /** Holds claims for `ms` from now; a longer hold already there stays. */
  hold(ms: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, Date.now() + ms);
  }

  /** True while the loop must not claim: paused, or held. */
  get blocked(): boolean {
    return this.#paused || Date.now() < this.#holdUntil;
  }

  /** Resolves once no claim is in flight and, with `jobs`, every job the loop started has ended. */
  async settled(jobs: boolean): Promise<void> {
    for (;;) {
      if (this.#claiming > 0) await new Promise<void>((resolve) => this.#claimWaiters.push(resolve));
      else if (jobs && this.running.size > 0) await Promise.allSettled([...this.running]);
      else return;
    }
  }

  // -- for the claim loop --------------------------------------------------------------------

  /** Resolves once the loop may claim (not paused, not held); early, without throwing, when `signal` aborts. */
  async pass(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (this.#paused) await this.#resume(signal);
      else if (this.#holdUntil > Date.now()) await sleep(this.#holdUntil - Date.now(), signal);
      else return;
    }
  }

  /** Resolves on resume() or when `signal` aborts. */
  #resume(signal: AbortSignal): Promise<void> {
    const resumed = new Promise<void>((resolve) => {
      this.#resumed = resolve;
    });
    return orAbort(resumed, signal);
  }

  /** Marks a claim as in flight, until {@link ClaimControl.claimEnded}. */
  claimStarted(): void {
    this.#claiming++;
  }

  /**
   * The claim returned `found` jobs, all started (null: it failed): notices the queue drained, and
   * ends the claim.
   */
  claimEnded(found: number | null): void {
    if (found !== null && found > 0) this.#busy = true;
    else if (found === 0 && this.#busy) {
      this.#busy = false;
      this.onDrained();
    }
    this.#claiming--;
    if (this.#claiming > 0 || this.#claimWaiters.length === 0) return;
    const waiters = this.#claimWaiters;
    this.#claimWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
