/**
 * The SQLite engine's metric store: the `metrics` table (migrations/003_metrics.sql), written by
 * sql/metrics.sql. A `record` call is one write transaction, so processes sharing the file add
 * exactly (each holds the write lock in turn).
 */
import type { MetricStore } from "../backend.js";
import {
  MetricPruneClock,
  metricRange,
  minuteFromRow,
  planMetricRecord,
  totalsFromRow,
} from "../shared/metric-rows.js";
import type { SqliteConnection } from "./connection.js";

type MetricRow = { minute: number } & Record<string, number>;

export function sqliteMetrics(conn: SqliteConnection): MetricStore {
  const { s } = conn;
  const clock = new MetricPruneClock();
  return {
    record: async (queue, samples, now, retentionMs) => {
      const { rows, pruneBefore } = planMetricRecord(queue, samples, now, retentionMs, clock);
      conn.transaction(() => {
        if (pruneBefore !== null) s.metricsPrune.run(queue, pruneBefore);
        for (const { minute, values } of rows) s.metricsAdd.run(queue, minute, ...values);
      });
    },

    minutes: async (queue, from, to) => {
      const range = metricRange(from, to);
      if (range === null) return [];
      return conn.read(() =>
        (s.metricsRange.all(queue, range.from, range.to) as MetricRow[]).map(minuteFromRow),
      );
    },

    totals: async (queue) => conn.read(() => totalsFromRow(s.metricsTotals.get(queue) as MetricRow)),
  };
}
