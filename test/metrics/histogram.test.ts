/**
 * The histogram helpers (src/metrics/histogram.ts): bucket placement at the inclusive bounds and in
 * the open bucket, adding counts, quantiles interpolated inside a bucket, means.
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { METRIC_BUCKET_COUNT, METRIC_BUCKETS_MS } from "../../src/metrics/buckets.js";
import {
  addCounts,
  bucketIndex,
  emptyCounts,
  histogramCount,
  mean,
  observe,
  quantile,
} from "../../src/metrics/histogram.js";

/** A histogram with `n` observations in bucket `i` and nothing else. */
function only(i: number, n: number): number[] {
  const h = new Array<number>(METRIC_BUCKET_COUNT).fill(0);
  h[i] = n;
  return h;
}

describe("emptyCounts", () => {
  it("has zero counters and one zero per bucket, fresh arrays each time", () => {
    const a = emptyCounts();
    expect(a).toEqual({
      completed: 0,
      failed: 0,
      retried: 0,
      wait: new Array(15).fill(0),
      waitSum: 0,
      run: new Array(15).fill(0),
      runSum: 0,
    });
    expect(emptyCounts().wait).not.toBe(a.wait);
  });
});

describe("bucketIndex / observe", () => {
  it("places a duration in the first bucket whose bound is >= it (bounds inclusive)", () => {
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(5)).toBe(0);
    expect(bucketIndex(5.01)).toBe(1);
    expect(bucketIndex(100)).toBe(METRIC_BUCKETS_MS.indexOf(100));
    expect(bucketIndex(101)).toBe(METRIC_BUCKETS_MS.indexOf(250));
    expect(bucketIndex(300_000)).toBe(13);
  });

  it("puts anything above 300 000 ms in the open last bucket", () => {
    expect(bucketIndex(300_001)).toBe(14);
    expect(bucketIndex(86_400_000)).toBe(14);
    expect(bucketIndex(Number.POSITIVE_INFINITY)).toBe(14);
  });

  it("adds wait and run to their histograms and sums, clamping negatives to 0", () => {
    const c = emptyCounts();
    observe(c, 7, 400_000);
    observe(c, -3, 1000);
    expect(c.wait).toEqual([1, 1, ...new Array(13).fill(0)]);
    expect(c.run[7]).toBe(1); // 1000 ms: the 1 000 bound
    expect(c.run[14]).toBe(1);
    expect(c.waitSum).toBe(7);
    expect(c.runSum).toBe(401_000);
    expect(c.completed + c.failed + c.retried).toBe(0); // counters are the caller's
  });
});

describe("addCounts", () => {
  it("adds counters, sums and every bucket into the target and returns it", () => {
    const a = emptyCounts();
    a.completed = 2;
    observe(a, 1, 20);
    const b = emptyCounts();
    b.failed = 1;
    b.retried = 3;
    observe(b, 1, 400_000);
    const out = addCounts(a, b);
    expect(out).toBe(a);
    expect(a).toMatchObject({ completed: 2, failed: 1, retried: 3, waitSum: 2, runSum: 400_020 });
    expect(a.wait[0]).toBe(2);
    expect(a.run[2]).toBe(1);
    expect(a.run[14]).toBe(1);
    expect(b.failed).toBe(1); // the source is left alone
  });
});

describe("quantile", () => {
  it("is null for an empty histogram", () => {
    expect(quantile(emptyCounts().wait, 0.5)).toBeNull();
  });

  it("interpolates linearly inside the bucket that holds the rank", () => {
    // 10 observations in (100, 250]: p50 is half-way, p10 a tenth of the way.
    const h = only(METRIC_BUCKETS_MS.indexOf(250), 10);
    expect(quantile(h, 0.5)).toBe(175);
    expect(quantile(h, 0.1)).toBe(115);
    expect(quantile(h, 1)).toBe(250);
  });

  it("starts the first bucket at 0", () => {
    expect(quantile(only(0, 4), 0.5)).toBe(2.5);
  });

  it("walks across buckets by cumulative count", () => {
    const h = only(0, 50);
    h[1] = 50; // (5, 10]
    expect(quantile(h, 0.5)).toBe(5);
    expect(quantile(h, 0.75)).toBe(7.5);
    expect(quantile(h, 0.95)).toBe(9.5);
  });

  it("reports the lower bound of the open bucket", () => {
    const h = only(14, 3);
    expect(quantile(h, 0.5)).toBe(300_000);
    expect(quantile(h, 0.99)).toBe(300_000);
  });

  it("rejects q outside [0, 1]", () => {
    expect(() => quantile(only(0, 1), 1.5)).toThrow(ValidationError);
    expect(() => quantile(only(0, 1), -0.1)).toThrow(/between 0 and 1/);
    expect(() => quantile(only(0, 1), Number.NaN)).toThrow(/between 0 and 1/);
  });
});

describe("mean / histogramCount", () => {
  it("divides the sum by the number of observations; null when none", () => {
    const c = emptyCounts();
    expect(mean(c.run, c.runSum)).toBeNull();
    observe(c, 0, 10);
    observe(c, 0, 30);
    expect(histogramCount(c.run)).toBe(2);
    expect(mean(c.run, c.runSum)).toBe(20);
  });
});
