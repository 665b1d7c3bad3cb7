/**
 * What the overview shows of each queue: its counts, whether it is paused, and, from the metrics the
 * workers keep in the backend, jobs per second completed and failed and the mean wait over the last
 * few minutes.
 */
import type { JobState } from "../job.js";
import { mean } from "../metrics/histogram.js";
import type { DashboardState } from "./state.js";

/** The window of the rates: the current minute and the four before it. */
export const RATE_WINDOW_MS = 5 * 60_000;

export interface QueueSummary {
  name: string;
  paused: boolean;
  counts: Record<JobState, number>;
  /** Per second over the window; null when the backend keeps no metrics. */
  completedPerSec: number | null;
  failedPerSec: number | null;
  /** Mean wait (ready to started) of the attempts finished in the window, ms; null when none. */
  meanWaitMs: number | null;
}

export async function queueSummary(
  state: DashboardState,
  name: string,
  now = Date.now(),
): Promise<QueueSummary> {
  const queue = state.queue(name);
  const withMetrics = state.config.backend.capabilities.metrics;
  const [counts, paused, metrics] = await Promise.all([
    queue.getJobCounts(),
    queue.isPaused(),
    withMetrics ? queue.getMetrics({ from: now - RATE_WINDOW_MS + 60_000, to: now }) : null,
  ]);
  if (metrics === null)
    return { name, paused, counts, completedPerSec: null, failedPerSec: null, meanWaitMs: null };
  // The last minute is still running: divide by the time that passed, not by whole minutes.
  const seconds = Math.max(1, Math.min(now, metrics.to) - metrics.from) / 1000;
  return {
    name,
    paused,
    counts,
    completedPerSec: metrics.range.completed / seconds,
    failedPerSec: metrics.range.failed / seconds,
    meanWaitMs: mean(metrics.range.wait, metrics.range.waitSum),
  };
}

/** Every queue's summary, by name. */
export async function allSummaries(state: DashboardState, now = Date.now()): Promise<QueueSummary[]> {
  const names = (await state.config.backend.listQueues()).sort();
  return Promise.all(names.map((name) => queueSummary(state, name, now)));
}
