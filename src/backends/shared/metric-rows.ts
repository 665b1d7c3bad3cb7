/**
 * The metric rows every engine stores for its `MetricStore` (backend.ts): per queue, one row per
 * minute and one totals row, each a flat list of counters in `METRIC_COLUMNS` order (the SQL column
 * and Redis hash field names). What is shared here: checking a `record` call and turning it into the
 * increments to add (`planMetricRecord`), when to prune (`MetricPruneClock`), and turning stored
 * counters back into `MetricCounts`.
 */

import { ValidationError } from "../../errors.js";
import { METRIC_BUCKET_COUNT, METRIC_MINUTE_MS } from "../../metrics/buckets.js";
import { emptyCounts } from "../../metrics/histogram.js";
import type { MetricCounts, MetricMinute } from "../backend.js";

const bucketColumns = (prefix: string): string[] =>
  Array.from({ length: METRIC_BUCKET_COUNT }, (_, i) => `${prefix}${i}`);

/** The counters of a metric row in storage order: 5 scalars, then the wait and run histograms. */
export const METRIC_COLUMNS: readonly string[] = Object.freeze([
  "completed",
  "failed",
  "retried",
  "wait_sum",
  "run_sum",
  ...bucketColumns("w"),
  ...bucketColumns("r"),
]);

/** Where the histograms start in a row of METRIC_COLUMNS. */
const WAIT_AT = 5;
const RUN_AT = WAIT_AT + METRIC_BUCKET_COUNT;

/** The `minute` of a queue's totals row in the SQL tables (real minutes are never negative). */
export const TOTALS_MINUTE = -1;

/**
 * Counts from stored counters in METRIC_COLUMNS order (missing ones are 0, as an absent Redis hash
 * field; text is parsed, as SQL bigints or Redis replies may come).
 */
export function countsFromValues(values: ArrayLike<number | string | null | undefined>): MetricCounts {
  const at = (i: number) => Number(values[i] ?? 0);
  const histogram = (from: number) => Array.from({ length: METRIC_BUCKET_COUNT }, (_, i) => at(from + i));
  return {
    completed: at(0),
    failed: at(1),
    retried: at(2),
    wait: histogram(WAIT_AT),
    waitSum: at(3),
    run: histogram(RUN_AT),
    runSum: at(4),
  };
}

/** A SQL row (`minute` and the METRIC_COLUMNS) as the contract's MetricMinute. */
export function minuteFromRow(row: { minute: number } & Record<string, unknown>): MetricMinute {
  const counts = countsFromValues(METRIC_COLUMNS.map((c) => row[c] as number | string | null));
  return { minute: Number(row.minute), ...counts };
}

/** The totals from a SQL row, or zeros when the queue has none. */
export function totalsFromRow(row: Record<string, unknown> | undefined): MetricCounts {
  return row === undefined ? emptyCounts() : countsFromValues(METRIC_COLUMNS.map((c) => row[c] as number));
}

/** Counters (METRIC_COLUMNS order) to add into the row of `minute` (TOTALS_MINUTE: the totals). */
export interface MetricRowIncrement {
  minute: number;
  values: number[];
}

/** What one `record` call does. */
export interface MetricRecordPlan {
  /**
   * The rows to add into: the totals first (TOTALS_MINUTE), then minutes ascending (so that
   * concurrent writers lock rows in one order); none all zero, none older than the retention.
   */
  rows: MetricRowIncrement[];
  /** When this call prunes: drop minute rows with `minute < pruneBefore`; null when it does not. */
  pruneBefore: number | null;
}

/**
 * Checks a `record` call and sums its samples: into the totals, and per minute (samples of one
 * minute, which callers should not send, are added together). A sample whose minute is already
 * older than `now - retentionMs` counts in the totals only (its row would be pruned at once), and
 * an all-zero sample adds nothing. Asks `clock` whether this call prunes once the call is valid.
 * @throws ValidationError for a malformed sample, `now` or `retentionMs`.
 */
export function planMetricRecord(
  queue: string,
  samples: readonly MetricMinute[],
  now: number,
  retentionMs: number,
  clock: MetricPruneClock,
): MetricRecordPlan {
  if (!Number.isFinite(now)) throw new ValidationError(`metrics record: now must be epoch ms, got ${now}`);
  if (!Number.isFinite(retentionMs) || retentionMs < 0) {
    throw new ValidationError(
      `metrics record: retentionMs must be a finite number of ms >= 0 (how long minute rows are kept), got ${retentionMs}`,
    );
  }
  const cutoff = now - retentionMs;
  const totals = new Array<number>(METRIC_COLUMNS.length).fill(0);
  const byMinute = new Map<number, number[]>();
  samples.forEach((sample, index) => {
    const values = sampleValues(sample, index);
    addMetricValues(totals, values);
    if (sample.minute < cutoff || values.every((v) => v === 0)) return;
    const row = byMinute.get(sample.minute);
    if (row === undefined) byMinute.set(sample.minute, values);
    else addMetricValues(row, values);
  });
  const rows = [...byMinute].sort((a, b) => a[0] - b[0]).map(([minute, values]) => ({ minute, values }));
  if (totals.some((v) => v !== 0)) rows.unshift({ minute: TOTALS_MINUTE, values: totals });
  return { rows, pruneBefore: clock.due(queue, now) ? cutoff : null };
}

/** Adds counters (METRIC_COLUMNS order) into `into`, element by element. */
export function addMetricValues(into: number[], values: readonly number[]): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (values[i] as number);
}

/** A sample's counters in METRIC_COLUMNS order, checked: whole minutes, histograms of the right size, counts >= 0. */
function sampleValues(sample: MetricMinute, index: number): number[] {
  const where = `metrics record: sample ${index}`;
  const { minute } = sample;
  if (!Number.isSafeInteger(minute) || minute < 0 || minute % METRIC_MINUTE_MS !== 0) {
    throw new ValidationError(
      `${where} has minute ${minute}; a minute is epoch ms rounded down to a multiple of METRIC_MINUTE_MS (${METRIC_MINUTE_MS})`,
    );
  }
  for (const name of ["wait", "run"] as const) {
    const histogram = sample[name];
    if (!Array.isArray(histogram) || histogram.length !== METRIC_BUCKET_COUNT) {
      throw new ValidationError(
        `${where} has a ${name} histogram of ${Array.isArray(histogram) ? histogram.length : typeof histogram} counts; it needs METRIC_BUCKET_COUNT (${METRIC_BUCKET_COUNT}): one per bound of METRIC_BUCKETS_MS plus the open bucket`,
      );
    }
  }
  const values = [
    sample.completed,
    sample.failed,
    sample.retried,
    sample.waitSum,
    sample.runSum,
    ...sample.wait,
    ...sample.run,
  ];
  values.forEach((v, i) => {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new ValidationError(
        `${where} has ${METRIC_COLUMNS[i]} = ${v}; counts and sums (whole ms) must be integers >= 0`,
      );
    }
  });
  return values;
}

/**
 * Decides which `record` calls prune: the first of each minute (of `now`) per queue in this
 * process, so pruning costs one range delete per queue per minute, inside the recording step.
 */
export class MetricPruneClock {
  readonly #lastMinute = new Map<string, number>();

  /** True (and noted) when `queue` was not pruned yet in the minute of `now`. */
  due(queue: string, now: number): boolean {
    const minute = Math.floor(now / METRIC_MINUTE_MS);
    if (this.#lastMinute.get(queue) === minute) return false;
    this.#lastMinute.set(queue, minute);
    return true;
  }
}

/**
 * A `minutes` range as whole ms within what every engine stores (from >= 0, so never the SQL totals
 * row; to <= MAX_SAFE_INTEGER, so `Infinity` reads to the end), or null when it holds no minute.
 * @throws ValidationError for a bound that is not a number.
 */
export function metricRange(from: number, to: number): { from: number; to: number } | null {
  if (typeof from !== "number" || typeof to !== "number" || Number.isNaN(from) || Number.isNaN(to)) {
    throw new ValidationError(`metrics minutes: from and to must be epoch ms, got ${from} and ${to}`);
  }
  const range = { from: Math.max(0, Math.ceil(from)), to: Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(to)) };
  return range.from < range.to ? range : null;
}
