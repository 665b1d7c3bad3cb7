/**
 * The fixed histogram buckets of asyncmq's metrics. Every engine stores one count per bucket, so
 * the list is part of the storage format: append-only (a change needs a migration of every engine).
 */

/** Upper bounds (ms, inclusive) of the wait-time and run-time buckets; one open bucket follows the last. */
export const METRIC_BUCKETS_MS: readonly number[] = Object.freeze([
  5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000,
]);

/** Counts per histogram: one per bound of METRIC_BUCKETS_MS plus the open one (15). */
export const METRIC_BUCKET_COUNT = METRIC_BUCKETS_MS.length + 1;

/** Metric minutes are epoch ms rounded down to a multiple of this. */
export const METRIC_MINUTE_MS = 60_000;
