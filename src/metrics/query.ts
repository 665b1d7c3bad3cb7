/**
 * `queue.getMetrics`: the per-minute rows of a time range, zero-filled, their sum, and the queue's
 * totals, read from the backend's metric store.
 */
import type { Backend, MetricCounts, MetricMinute } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { METRIC_BUCKETS_MS, METRIC_MINUTE_MS } from "./buckets.js";
import { addCounts, emptyCounts } from "./histogram.js";

/** The range of `queue.getMetrics`. */
export interface MetricsRangeOptions {
  /**
   * Start (epoch ms or Date), rounded down to its minute. Default: 59 minutes before the current
   * minute (or 60 minutes before `to`), so the default range is the last hour including now.
   */
  from?: number | Date;
  /**
   * End, exclusive (epoch ms or Date), rounded up to a whole minute, so the minute it falls in is
   * included. Default: the end of the current minute.
   */
  to?: number | Date;
}

/** What `queue.getMetrics` returns; times are epoch ms, durations ms. */
export interface QueueMetrics {
  queue: string;
  /** Start of the first minute of the range. */
  from: number;
  /** End of the range (exclusive): the start of the minute after the last one. */
  to: number;
  /** The upper bounds (ms) of the histogram buckets; each histogram has one more count, the open bucket. */
  bucketsMs: readonly number[];
  /** One row per minute in [from, to), ascending; zeros where nothing was recorded. */
  minutes: MetricMinute[];
  /** The sum of `minutes`. */
  range: MetricCounts;
  /** Everything since the queue's first record (kept when minute rows are pruned). */
  total: MetricCounts;
}

/** Default range: 60 minutes. Longest: 31 days (44 640 rows). */
const DEFAULT_MINUTES = 60;
const MAX_SPAN_MS = 31 * 24 * 60 * METRIC_MINUTE_MS;

/** See Queue.getMetrics. `now` is the clock (for tests). */
export async function readQueueMetrics(
  backend: Backend,
  queue: string,
  options: MetricsRangeOptions = {},
  now = Date.now(),
): Promise<QueueMetrics> {
  const store = backend.metrics;
  if (store === undefined) {
    throw new ValidationError(
      `the backend of queue "${queue}" keeps no metrics (capabilities.metrics is false); use a backend that does (memory, SQLite, Redis, Postgres)`,
    );
  }
  const { from, to } = metricsRange(options, now);
  const [rows, total] = await Promise.all([store.minutes(queue, from, to), store.totals(queue)]);
  const byMinute = new Map(rows.map((r) => [r.minute, r]));
  const minutes: MetricMinute[] = [];
  const range = emptyCounts();
  for (let minute = from; minute < to; minute += METRIC_MINUTE_MS) {
    const row = byMinute.get(minute) ?? { minute, ...emptyCounts() };
    minutes.push(row);
    addCounts(range, row);
  }
  return { queue, from, to, bucketsMs: METRIC_BUCKETS_MS, minutes, range, total };
}

/**
 * The whole minutes [from, to) of a getMetrics call.
 * @throws ValidationError for a bound that is not a finite time, from >= to, or a span above 31 days.
 */
export function metricsRange(options: MetricsRangeOptions, now: number): { from: number; to: number } {
  if (options === null || typeof options !== "object") {
    throw new ValidationError("getMetrics takes { from?, to? } (epoch ms or Dates)");
  }
  const givenFrom = toTime(options.from, "from");
  const givenTo = toTime(options.to, "to");
  if (givenFrom !== undefined && givenTo !== undefined && givenFrom >= givenTo) {
    throw new ValidationError(`getMetrics: from (${iso(givenFrom)}) must be before to (${iso(givenTo)})`);
  }
  const to =
    givenTo !== undefined
      ? Math.ceil(givenTo / METRIC_MINUTE_MS) * METRIC_MINUTE_MS
      : floorMinute(now) + METRIC_MINUTE_MS;
  const from = givenFrom !== undefined ? floorMinute(givenFrom) : to - DEFAULT_MINUTES * METRIC_MINUTE_MS;
  if (from >= to) {
    throw new ValidationError(
      `getMetrics: from (${iso(from)}) is not before to (${iso(to)}, by default the end of the current minute)`,
    );
  }
  if (to - from > MAX_SPAN_MS) {
    throw new ValidationError(
      `getMetrics: the range ${iso(from)} .. ${iso(to)} spans more than 31 days; ask for a shorter one`,
    );
  }
  return { from, to };
}

function toTime(value: number | Date | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new ValidationError(
      `getMetrics: ${what} must be epoch ms or a valid Date, got ${value instanceof Date ? "an invalid Date" : String(value)}`,
    );
  }
  return ms;
}

const floorMinute = (ms: number) => Math.floor(ms / METRIC_MINUTE_MS) * METRIC_MINUTE_MS;
const iso = (ms: number) => (Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms));
