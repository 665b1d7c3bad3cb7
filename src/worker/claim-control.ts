/**
 * What stops a claim loop from claiming, beside its semaphore and rate limiter: a Worker object's
 * local pause (stop claiming, let running jobs finish, resume later without a restart), and a hold
 * of this loop's claims after a handler's RateLimitError. It also gives the Worker its `drained`
 * notice. The loop reports its claims and jobs here, so that `pause()` can wait until nothing it
 * started is in flight.
 */
import { sleep } from "./wait.js";

export class ClaimControl {
  #paused = false;
  /** No claim before this time (epoch ms): a rate-limit hold. */
  #holdUntil = 0;
  /** Ends the loop's wait for `resume()`. */
  #resumed: (() => void) | null = null;
  /** Settles when the claim in flight (if any) has returned and its jobs were started. */
  #claim: Promise<void> | null = null;
  #endClaim: (() => void) | null = null;
  readonly #jobs = new Set<Promise<void>>();
  /** True once a claim found jobs, until one finds none. */
  #busy = false;

  /** @param onDrained called when a claim finds no job after claims that found some. */
  constructor(private readonly onDrained: () => void = () => {}) {}

  get paused(): boolean {
    return this.#paused;
  }

  /** Stops the loop from claiming from its next claim on; jobs already claimed run on. */
  pause(): void {
    this.#paused = true;
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
      const pending = [...(this.#claim ? [this.#claim] : []), ...(jobs ? this.#jobs : [])];
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
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
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#resumed = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Marks a claim as in flight, until {@link ClaimControl.claimEnded}. */
  claimStarted(): void {
    this.#claim = new Promise((resolve) => {
      this.#endClaim = resolve;
    });
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
    this.#claim = null;
    this.#endClaim?.();
    this.#endClaim = null;
  }

  /** Tracks a started job until it ends. */
  jobStarted(run: Promise<void>): void {
    this.#jobs.add(run);
    const ended = () => this.#jobs.delete(run);
    run.then(ended, ended);
  }
}
