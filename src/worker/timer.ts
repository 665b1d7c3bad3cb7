/**
 * Timers for user durations. Node's timers hold at most 2^31-1 ms (~24.8 days) and fire after 1 ms
 * for anything longer (with a TimeoutOverflowWarning), so `timeout: "25d"` would fail a job at once
 * and `leaseDuration: "100d"` would renew in a loop. Every timer the runtime sets from a duration a
 * user gave goes through here: a longer delay is waited out in steps of at most MAX_TIMER_MS.
 */

/** The longest delay one Node timer can hold (ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setLongTimeout}. */
export interface LongTimer {
  /** Cancels the timer; calling it after the timer fired does nothing. */
  clear(): void;
}

/**
 * Calls `fn` once after `ms` (any finite delay; a negative one counts as 0). Delays above
 * MAX_TIMER_MS are chained steps, each at most MAX_TIMER_MS, adding up to `ms`.
 * @param options.unref when true, the timer does not keep the process alive (default false).
 */
export function setLongTimeout(fn: () => void, ms: number, options?: { unref?: boolean }): LongTimer {
  let left = Math.max(ms, 0);
  let timer: NodeJS.Timeout;
  const arm = () => {
    const step = Math.min(left, MAX_TIMER_MS);
    left -= step;
    timer = setTimeout(left > 0 ? arm : fn, step);
    if (options?.unref) timer.unref();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}

/** An interval for a repeating timer: `ms`, at most MAX_TIMER_MS (beating more often is harmless). */
export function timerInterval(ms: number): number {
  return Math.min(ms, MAX_TIMER_MS);
}
