/**
 * The series behind the charts: per minute, completed and failed attempts and the p95 of wait and
 * run time, for one queue or summed over several (histograms add bucket by bucket, so the p95 of the
 * sum is exact to the buckets). Times are epoch seconds, as uPlot wants them.
 */
import type { MetricCounts } from "../backends/backend.js";
import { METRIC_MINUTE_MS } from "../metrics/buckets.js";
import { addCounts, emptyCounts, quantile } from "../metrics/histogram.js";
import type { DashboardState } from "./state.js";

export const CHART_RANGES = { "1h": 60 * METRIC_MINUTE_MS, "24h": 24 * 60 * METRIC_MINUTE_MS } as const;
export type ChartRange = keyof typeof CHART_RANGES;

export interface ChartSeries {
  range: ChartRange;
  /** Start of each minute, epoch seconds. */
  time: number[];
  completed: number[];
  failed: number[];
  /** p95 wait and run time of the minute's attempts, ms; null when none finished. */
  waitP95: Array<number | null>;
  runP95: Array<number | null>;
}

export function isChartRange(value: unknown): value is ChartRange {
  return typeof value === "string" && Object.hasOwn(CHART_RANGES, value);
}

export async function chartSeries(
  state: DashboardState,
  queues: string[],
  range: ChartRange,
  now = Date.now(),
): Promise<ChartSeries> {
  const span = CHART_RANGES[range];
  const from = now - span + METRIC_MINUTE_MS;
  const byMinute = new Map<number, MetricCounts>();
  const all = await Promise.all(queues.map((q) => state.queue(q).getMetrics({ from, to: now })));
  for (const metrics of all) {
    for (const row of metrics.minutes) {
      let sum = byMinute.get(row.minute);
      if (!sum) {
        sum = emptyCounts();
        byMinute.set(row.minute, sum);
      }
      addCounts(sum, row);
    }
  }
  const series: ChartSeries = { range, time: [], completed: [], failed: [], waitP95: [], runP95: [] };
  // Every minute of the range, so the axis is the same with no queue (or no metrics) at all.
  const first = Math.floor(from / METRIC_MINUTE_MS) * METRIC_MINUTE_MS;
  for (let minute = first; minute <= now; minute += METRIC_MINUTE_MS) {
    const c = byMinute.get(minute) ?? emptyCounts();
    series.time.push(minute / 1000);
    series.completed.push(c.completed);
    series.failed.push(c.failed);
    series.waitP95.push(quantile(c.wait, 0.95));
    series.runP95.push(quantile(c.run, 0.95));
  }
  return series;
}
