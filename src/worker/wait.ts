/**
 * Waiting without polling: abortable sleeps, and a wake flag that never loses a wake-up which
 * arrives between "found nothing" and "start waiting".
 */
import type { Backend, WakeReason } from "../backends/backend.js";
import { setLongTimeout } from "./timer.js";

/**
 * Sleeps `ms` (clamped to >= 0; any length, even past Node's 2^31-1 ms timer limit); resolves early,
 * without throwing, when `signal` aborts.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      timer.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setLongTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waits for `promise`, or resolves early, without throwing, when `signal` aborts. */
export function orAbort(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    promise.then(done, done);
  });
}

/**
 * Subscribes to a queue's wake-ups for its whole life. `arm()` before looking for work, then
 * `wait()` if none was found: a wake that came in between makes `wait()` return at once.
 */
export class WakeFlag {
  #pending = false;
  #resolve: (() => void) | null = null;
  readonly #unsubscribe: () => void;

  constructor(backend: Backend, queue: string, filter?: (reason: WakeReason) => boolean) {
    this.#unsubscribe = backend.onWake(queue, (reason) => {
      if (!filter || filter(reason)) this.wake();
    });
  }

  /** Clears the flag; call before each look for work. */
  arm(): void {
    this.#pending = false;
  }

  /** Marks work as possibly available and ends a current wait. */
  wake(): void {
    this.#pending = true;
    const resolve = this.#resolve;
    this.#resolve = null;
    resolve?.();
  }

  /**
   * Waits for a wake-up, at most `ms`, or until `signal` aborts. One callback ends it whichever
   * comes first: no AbortController of its own, whose abort() (a DOMException with a stack trace)
   * cost ~0.1 ms between a wake-up and the claim it starts.
   */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        timer.clear();
        signal.removeEventListener("abort", done);
        this.#resolve = null;
        resolve();
      };
      const timer = setLongTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.#resolve = done;
    });
  }

  /**
   * As `wait`, but a wake-up before `earliest` (epoch ms) ends the wait at `earliest` instead (and
   * never after the `ms` wait would have ended): wake-ups cannot make a loop look more often than
   * that. True when a wake-up came.
   */
  async waitSpaced(ms: number, earliest: number, signal: AbortSignal): Promise<boolean> {
    const end = Date.now() + ms;
    await this.wait(ms, signal);
    if (!this.#pending) return false;
    await sleep(Math.min(earliest, end) - Date.now(), signal);
    return true;
  }

  close(): void {
    this.#unsubscribe();
    this.wake();
  }
}
