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

/** The spacing of the grid that idle timers land on (ms). */
export const GRID_MS = 2500;
/** This process's offset of the grid: processes do not all wake in the same instant. */
const GRID_PHASE = Math.floor(Math.random() * GRID_MS);

/**
 * `ms` moved to the nearest point of this process's timer grid, for a delay of at least GRID_MS / 2
 * (shorter ones are kept): the result is at least `ms / 2` and at most `ms + GRID_MS / 2`, or
 * `ms / 2 + GRID_MS` for a delay under GRID_MS (a leader renewing every ttl / 3 still renews well
 * before its lease ends). For the timers of an idle runtime (safety polls, heartbeat, leader
 * rounds): landing on the same points they share one wake-up of the process instead of one each,
 * which is most of what an idle worker costs. Never for a timer whose moment matters (a due job,
 * a lease about to lapse).
 */
export function onGrid(ms: number, now = Date.now()): number {
  if (ms < GRID_MS / 2) return ms;
  let at = Math.round((now + ms - GRID_PHASE) / GRID_MS) * GRID_MS + GRID_PHASE;
  if (at - now < ms / 2) at += GRID_MS;
  return at - now;
}
