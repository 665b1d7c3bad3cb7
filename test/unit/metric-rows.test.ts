/** shared/metric-rows.ts: how a record call becomes rows, when engines prune, and the stored columns. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  countsFromValues,
  METRIC_COLUMNS,
  MetricPruneClock,
  planMetricRecord,
  TOTALS_MINUTE,
} from "../../src/backends/shared/metric-rows.js";
import { METRIC_BUCKET_COUNT } from "../../src/metrics/buckets.js";
import { sample } from "../conformance/suite/metrics.js";

const M = 60_000 * 28_000_000;

describe("planMetricRecord", () => {
  it("lists the totals first, then minutes ascending, samples of one minute added together", () => {
    const { rows } = planMetricRecord(
      "q",
      [sample(M + 60_000, 1), sample(M, 2), sample(M + 60_000, 3)],
      M,
      3_600_000,
      new MetricPruneClock(),
    );
    expect(rows.map((r) => r.minute)).toEqual([TOTALS_MINUTE, M, M + 60_000]);
    expect(rows.map((r) => countsFromValues(r.values).completed)).toEqual([6, 2, 4]);
    expect(countsFromValues(rows[0]?.values ?? [])).toEqual(
      countsFromValues(METRIC_COLUMNS.map((_, i) => (rows[1]?.values[i] ?? 0) + (rows[2]?.values[i] ?? 0))),
    );
  });

  it("adds no row for an all-zero sample, and none at all for nothing", () => {
    const clock = new MetricPruneClock();
    expect(planMetricRecord("q", [sample(M, 0)], M, 60_000, clock).rows).toEqual([]);
    expect(planMetricRecord("q", [], M, 60_000, clock).rows).toEqual([]);
  });
});

describe("MetricPruneClock", () => {
  it("prunes the first call of each minute per queue", () => {
    const clock = new MetricPruneClock();
    const plan = (queue: string, now: number) => planMetricRecord(queue, [], now, 60_000, clock).pruneBefore;
    expect(plan("a", M + 5)).toBe(M + 5 - 60_000);
    expect(plan("a", M + 59_999)).toBeNull();
    expect(plan("b", M + 59_999)).toBe(M - 1);
    expect(plan("a", M + 60_000)).toBe(M);
    expect(plan("a", M + 60_001)).toBeNull();
  });

  it("is not used up by an invalid call", () => {
    const clock = new MetricPruneClock();
    expect(() => planMetricRecord("q", [sample(M + 1)], M, 60_000, clock)).toThrow(/multiple of/);
    expect(planMetricRecord("q", [], M, 60_000, clock).pruneBefore).toBe(M - 60_000);
  });
});

describe("METRIC_COLUMNS", () => {
  const columnsOf = (file: string) => {
    const text = readFileSync(new URL(`../../src/backends/${file}`, import.meta.url), "utf8");
    const table = text.slice(text.indexOf("CREATE TABLE"));
    return [...table.matchAll(/^\s+([a-z0-9_]+) (?:INTEGER|bigint) NOT NULL DEFAULT 0,$/gm)].map((m) => m[1]);
  };

  it("are the 5 scalars and 2 histograms of METRIC_BUCKET_COUNT, as the SQL migrations create them", () => {
    expect(METRIC_COLUMNS.length).toBe(5 + 2 * METRIC_BUCKET_COUNT);
    expect(columnsOf("sqlite/migrations/003_metrics.sql")).toEqual(METRIC_COLUMNS);
    expect(columnsOf("postgres/migrations/002_metrics.sql")).toEqual(METRIC_COLUMNS);
  });
});
