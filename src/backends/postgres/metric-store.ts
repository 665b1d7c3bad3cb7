/**
 * The PostgreSQL engine's metric store: the `metrics` table (migrations/002_metrics.sql), written
 * by sql/metrics.sql. A `record` call is one statement (prune and upserts that add), so it costs
 * one round trip and processes recording at once add exactly.
 */
import type { MetricCounts, MetricMinute, MetricStore } from "../backend.js";
import {
  MetricPruneClock,
  metricRange,
  minuteFromRow,
  planMetricRecord,
  totalsFromRow,
} from "../shared/metric-rows.js";
import type { Connection } from "./connection.js";

type MetricRow = { minute: number } & Record<string, number>;

export class PostgresMetrics implements MetricStore {
  readonly #clock = new MetricPruneClock();

  constructor(private readonly db: Connection) {}

  async record(queue: string, samples: MetricMinute[], now: number, retentionMs: number): Promise<void> {
    const { rows, pruneBefore } = planMetricRecord(queue, samples, now, retentionMs, this.#clock);
    if (rows.length === 0 && pruneBefore === null) return;
    const json = JSON.stringify(rows.map(({ minute, values }) => ({ minute, v: values })));
    await this.db.one("metricsRecord", [queue, json, pruneBefore]);
  }

  async minutes(queue: string, from: number, to: number): Promise<MetricMinute[]> {
    const range = metricRange(from, to);
    if (range === null) return [];
    return (await this.db.one<MetricRow>("metricsRange", [queue, range.from, range.to])).map(minuteFromRow);
  }

  async totals(queue: string): Promise<MetricCounts> {
    const [row] = await this.db.one<MetricRow>("metricsTotals", [queue]);
    return totalsFromRow(row);
  }
}
