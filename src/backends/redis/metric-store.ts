/**
 * The Redis engine's metric store: per queue, the hash "<Q>metrics-total", a hash per recorded
 * minute "<Q>metrics:<minute>" and the ZSET "<Q>metrics-minutes" indexing them, fields named as
 * METRIC_COLUMNS (only non-zero counters are written; absent fields read as 0). `record` is one
 * script (lua/record-metrics.lua: HINCRBY, so processes recording at once add exactly); `minutes`
 * one script; `totals` one HGETALL.
 */
import type { MetricCounts, MetricMinute, MetricStore } from "../backend.js";
import {
  countsFromValues,
  METRIC_COLUMNS,
  MetricPruneClock,
  type MetricRowIncrement,
  metricRange,
  planMetricRecord,
} from "../shared/metric-rows.js";
import type { RedisConnection } from "./connection.js";
import type { ScriptArg } from "./scripts.js";

export class RedisMetrics implements MetricStore {
  readonly #clock = new MetricPruneClock();

  constructor(private readonly io: RedisConnection) {}

  async record(queue: string, samples: MetricMinute[], now: number, retentionMs: number): Promise<void> {
    this.io.assertOpen();
    const { rows, pruneBefore } = planMetricRecord(queue, samples, now, retentionMs, this.#clock);
    if (rows.length === 0 && pruneBefore === null) return;
    const args: ScriptArg[] = [now, retentionMs, pruneBefore ?? ""];
    for (const row of rows) args.push(...rowArgs(row));
    await this.io.run(queue, "record-metrics", args);
  }

  async minutes(queue: string, from: number, to: number): Promise<MetricMinute[]> {
    this.io.assertOpen();
    const range = metricRange(from, to);
    if (range === null) return [];
    const rows = await this.io.run<Array<[string, string[]]>>(queue, "metric-minutes", [
      range.from,
      range.to,
    ]);
    return rows.map(([minute, fields]) => ({ minute: Number(minute), ...countsOfHash(pairs(fields)) }));
  }

  async totals(queue: string): Promise<MetricCounts> {
    const hash = await this.io.call((r) => r.hgetall(`${this.io.keyOf(queue)}metrics-total`));
    return countsOfHash(hash);
  }
}

/** A row as record-metrics.lua takes it: minute, the number of pairs, then field, increment pairs. */
function rowArgs({ minute, values }: MetricRowIncrement): ScriptArg[] {
  const out: ScriptArg[] = [minute, 0];
  values.forEach((v, i) => {
    if (v !== 0) out.push(METRIC_COLUMNS[i] as string, v);
  });
  out[1] = (out.length - 2) / 2;
  return out;
}

/** A flat HGETALL reply as an object. */
function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

/** Counts from a metric hash (absent fields are 0). */
function countsOfHash(hash: Record<string, string>): MetricCounts {
  return countsFromValues(METRIC_COLUMNS.map((c) => hash[c]));
}
