/**
 * The memory engine's metric store: per queue, minute rows and totals as counters in METRIC_COLUMNS
 * order (shared/metric-rows.ts), kept on the queue's state so that `obliterate`, which drops the
 * state, drops them too. A `record` call runs synchronously, so it is one atomic step.
 */
import { emptyCounts } from "../../metrics/histogram.js";
import type { MetricCounts, MetricMinute, MetricStore } from "../backend.js";
import {
  addMetricValues,
  countsFromValues,
  METRIC_COLUMNS,
  MetricPruneClock,
  metricRange,
  planMetricRecord,
  TOTALS_MINUTE,
} from "../shared/metric-rows.js";
import type { MemoryData } from "./queue-state.js";

/** The metric rows of one queue. */
export interface MemoryMetricRows {
  /** Minute (epoch ms) -> counters. */
  readonly minutes: Map<number, number[]>;
  readonly totals: number[];
}

export class MemoryMetrics implements MetricStore {
  readonly #prune = new MetricPruneClock();

  constructor(private readonly data: MemoryData) {}

  async record(queue: string, samples: MetricMinute[], now: number, retentionMs: number): Promise<void> {
    this.data.open();
    const { rows, pruneBefore } = planMetricRecord(queue, samples, now, retentionMs, this.#prune);
    const q = this.data.ensure(queue);
    q.metrics ??= { minutes: new Map(), totals: METRIC_COLUMNS.map(() => 0) };
    const { minutes, totals } = q.metrics;
    for (const { minute, values } of rows) {
      const row = minute === TOTALS_MINUTE ? totals : minutes.get(minute);
      if (row === undefined) minutes.set(minute, values);
      else addMetricValues(row, values);
    }
    if (pruneBefore !== null) {
      for (const minute of minutes.keys()) if (minute < pruneBefore) minutes.delete(minute);
    }
  }

  async minutes(queue: string, from: number, to: number): Promise<MetricMinute[]> {
    const range = metricRange(from, to);
    const rows = this.data.find(queue)?.metrics;
    if (range === null || rows === undefined) return [];
    return [...rows.minutes]
      .filter(([minute]) => range.from <= minute && minute < range.to)
      .sort((a, b) => a[0] - b[0])
      .map(([minute, values]) => ({ minute, ...countsFromValues(values) }));
  }

  async totals(queue: string): Promise<MetricCounts> {
    const rows = this.data.find(queue)?.metrics;
    return rows === undefined ? emptyCounts() : countsFromValues(rows.totals);
  }
}
