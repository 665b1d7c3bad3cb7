/**
 * Pure helpers over `MetricCounts` (no I/O): fill the histograms of METRIC_BUCKETS_MS, add counts
 * together, and read quantiles and means back out. The recorder, `queue.getMetrics`, the
 * Prometheus renderer and the CLI share them, so every view computes the same numbers.
 */
import type { MetricCounts } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { METRIC_BUCKET_COUNT, METRIC_BUCKETS_MS } from "./buckets.js";

/** Counts of nothing: zero attempts, every bucket 0. */
export function emptyCounts(): MetricCounts {
  return {
    completed: 0,
    failed: 0,
    retried: 0,
    wait: new Array<number>(METRIC_BUCKET_COUNT).fill(0),
    waitSum: 0,
    run: new Array<number>(METRIC_BUCKET_COUNT).fill(0),
    runSum: 0,
  };
}

/**
 * The bucket of a duration: the first whose (inclusive) upper bound is >= `ms`, else the open
 * bucket above the last bound (index METRIC_BUCKETS_MS.length).
 */
export function bucketIndex(ms: number): number {
  const bounds = METRIC_BUCKETS_MS;
  // 14 bounds: a linear scan beats a binary search at this size, and most jobs land early.
  for (let i = 0; i < bounds.length; i++) if (ms <= (bounds[i] as number)) return i;
  return bounds.length;
}

/**
 * Adds one attempt's wait and run times (ms; negative ones count as 0) to the histograms and sums
 * of `counts`, in place. The completed/failed/retried counters are the caller's to bump.
 */
export function observe(counts: MetricCounts, waitMs: number, runMs: number): void {
  const wait = Math.max(waitMs, 0);
  const run = Math.max(runMs, 0);
  (counts.wait[bucketIndex(wait)] as number)++;
  counts.waitSum += wait;
  (counts.run[bucketIndex(run)] as number)++;
  counts.runSum += run;
}

/** Adds `source` into `target` (counters, sums and each bucket) and returns `target`. */
export function addCounts(target: MetricCounts, source: MetricCounts): MetricCounts {
  target.completed += source.completed;
  target.failed += source.failed;
  target.retried += source.retried;
  target.waitSum += source.waitSum;
  target.runSum += source.runSum;
  for (let i = 0; i < METRIC_BUCKET_COUNT; i++) {
    target.wait[i] = (target.wait[i] ?? 0) + (source.wait[i] ?? 0);
    target.run[i] = (target.run[i] ?? 0) + (source.run[i] ?? 0);
  }
  return target;
}

/** How many observations a histogram holds. */
export function histogramCount(buckets: readonly number[]): number {
  let n = 0;
  for (const c of buckets) n += c;
  return n;
}

/**
 * The `q` quantile (0..1) of a histogram of METRIC_BUCKETS_MS, in ms, or null when it is empty.
 * As Prometheus' histogram_quantile: the rank `q x count` is found in its bucket and interpolated
 * linearly between the bucket's bounds (the first bucket starts at 0); a rank in the open bucket
 * reports its lower bound, the last bound (300 000 ms), since the bucket has no upper one.
 * @throws ValidationError when `q` is not a number in [0, 1].
 */
export function quantile(buckets: readonly number[], q: number): number | null {
  if (typeof q !== "number" || !(q >= 0 && q <= 1)) {
    throw new ValidationError(`a quantile must be a number between 0 and 1 (0.95 for p95), got ${String(q)}`);
  }
  const total = histogramCount(buckets);
  if (total === 0) return null;
  const rank = q * total;
  const bounds = METRIC_BUCKETS_MS;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      if (i >= bounds.length) return lower;
      const upper = bounds[i] as number;
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return null; // unreachable: the last non-empty bucket always holds rank <= total
}

/** The mean of a histogram's observations, ms (`sum` is its `waitSum`/`runSum`), or null when empty. */
export function mean(buckets: readonly number[], sum: number): number | null {
  const total = histogramCount(buckets);
  return total === 0 ? null : sum / total;
}
