/**
 * Conformance, metrics: the optional metric store (per-minute rows and totals of finished attempts).
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, MetricCounts, MetricMinute, MetricStore } from "../../../src/backends/backend.js";
import { ValidationError } from "../../../src/errors.js";
import { METRIC_BUCKET_COUNT, METRIC_MINUTE_MS } from "../../../src/metrics/buckets.js";
import { T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

/** The minute of T0 and the minutes after it. */
const M = (n: number) => Math.floor(T0 / METRIC_MINUTE_MS) * METRIC_MINUTE_MS + n * METRIC_MINUTE_MS;
const HOUR = 60 * METRIC_MINUTE_MS;

/** A histogram with `n` counts in bucket `bucket`. */
function histogram(bucket: number, n: number): number[] {
  return Array.from({ length: METRIC_BUCKET_COUNT }, (_, i) => (i === bucket ? n : 0));
}

/** `n` completed attempts that waited 7 ms (bucket 1) and ran 300 ms (bucket 6). */
function counts(n: number): MetricCounts {
  return {
    completed: n,
    failed: 0,
    retried: 0,
    wait: histogram(1, n),
    waitSum: 7 * n,
    run: histogram(6, n),
    runSum: 300 * n,
  };
}

/** A sample of `minute`: `counts(n)`, `over` wins (also for engine-specific tests). */
export function sample(minute: number, n = 1, over: Partial<MetricCounts> = {}): MetricMinute {
  return { minute, ...counts(n), ...over };
}

function metricsOf(backend: Backend): MetricStore {
  if (!backend.metrics || !backend.capabilities.metrics) throw new Error("no metric store");
  return backend.metrics;
}

export function metricsTests(fx: SuiteFixture): void {
  describe("metrics", () => {
    let b: Backend;
    let m: MetricStore;
    beforeEach(() => {
      b = fx.backend();
      m = metricsOf(b);
    });

    it("is present and reported by capabilities", () => {
      expect(b.capabilities.metrics).toBe(true);
      expect(b.metrics).toBeDefined();
    });

    it("totals are zeros and minutes empty for a queue that recorded nothing", async () => {
      const q = uniqueQueue("metrics-none");
      const zeros = Array.from({ length: METRIC_BUCKET_COUNT }, () => 0);
      expect(await m.totals(q)).toEqual({
        completed: 0,
        failed: 0,
        retried: 0,
        wait: zeros,
        waitSum: 0,
        run: zeros,
        runSum: 0,
      });
      expect(await m.minutes(q, 0, Number.POSITIVE_INFINITY)).toEqual([]);
    });

    it("adds every sample into its minute and into the totals, over several calls", async () => {
      const q = uniqueQueue("metrics-add");
      const failed = { failed: 2, retried: 3, wait: histogram(14, 5), waitSum: 5_000_000 };
      await m.record(q, [sample(M(0), 2)], M(0) + 10, HOUR);
      await m.record(q, [sample(M(0), 1, failed)], M(0) + 20, HOUR);
      // Two minutes in one call.
      await m.record(q, [sample(M(1), 4), sample(M(2), 1)], M(2) + 5, HOUR);
      const minute0 = {
        minute: M(0),
        completed: 3,
        failed: 2,
        retried: 3,
        wait: histogram(1, 2).map((n, i) => n + (i === 14 ? 5 : 0)),
        waitSum: 14 + 5_000_000,
        run: histogram(6, 3),
        runSum: 900,
      };
      expect(await m.minutes(q, M(0), M(3))).toEqual([minute0, sample(M(1), 4), sample(M(2), 1)]);
      expect(await m.totals(q)).toEqual({
        completed: 8,
        failed: 2,
        retried: 3,
        wait: histogram(1, 7).map((n, i) => n + (i === 14 ? 5 : 0)),
        waitSum: 49 + 5_000_000,
        run: histogram(6, 8),
        runSum: 2400,
      });
    });

    it("minutes returns recorded minutes with from <= minute < to, ascending", async () => {
      const q = uniqueQueue("metrics-range");
      // Recorded out of order, one minute (3) skipped.
      await m.record(q, [sample(M(4), 4), sample(M(1), 1)], M(4), HOUR);
      await m.record(q, [sample(M(2), 2), sample(M(0), 10)], M(4) + 1, HOUR);
      const minutes = async (from: number, to: number) => (await m.minutes(q, from, to)).map((r) => r.minute);
      expect(await minutes(M(0), M(5))).toEqual([M(0), M(1), M(2), M(4)]);
      expect(await minutes(M(1), M(4))).toEqual([M(1), M(2)]);
      expect(await minutes(M(1) - 1, M(4) + 1)).toEqual([M(1), M(2), M(4)]);
      expect(await minutes(M(1) + 1, M(4))).toEqual([M(2)]);
      expect(await minutes(M(3), M(4))).toEqual([]);
      expect(await minutes(M(2), M(2))).toEqual([]);
      expect(await minutes(M(4), M(0))).toEqual([]);
      expect(await minutes(0, Number.POSITIVE_INFINITY)).toEqual([M(0), M(1), M(2), M(4)]);
    });

    it("drops minute rows older than now - retentionMs, never the totals", async () => {
      const q = uniqueQueue("metrics-retention");
      const keep = 15 * METRIC_MINUTE_MS;
      const recorded = async () => (await m.minutes(q, 0, Number.POSITIVE_INFINITY)).map((r) => r.minute);
      await m.record(q, [sample(M(0), 1)], M(0), keep);
      await m.record(q, [sample(M(10), 2)], M(10), keep);
      expect(await recorded()).toEqual([M(0), M(10)]);
      // Minute 0 is older than M(20) + 1 - 15 minutes, minute 10 is not.
      await m.record(q, [sample(M(20), 3)], M(20) + 1, keep);
      expect(await recorded()).toEqual([M(10), M(20)]);
      // A minute exactly at now - retentionMs stays; one ms later it goes.
      await m.record(q, [sample(M(25), 1)], M(25), keep);
      expect(await recorded()).toEqual([M(10), M(20), M(25)]);
      await m.record(q, [sample(M(26), 1)], M(26) + 1, keep);
      expect(await recorded()).toEqual([M(20), M(25), M(26)]);
      expect((await m.totals(q)).completed).toBe(8);
      // A sample already older than the retention counts in the totals only.
      await m.record(q, [sample(M(1), 4)], M(26) + 2, keep);
      expect(await recorded()).toEqual([M(20), M(25), M(26)]);
      expect((await m.totals(q)).completed).toBe(12);
    });

    it("keeps queues apart", async () => {
      const q1 = uniqueQueue("metrics-q1");
      const q2 = uniqueQueue("metrics-q2");
      await m.record(q1, [sample(M(0), 1)], M(0), HOUR);
      await m.record(q2, [sample(M(0), 5), sample(M(1), 1)], M(1), HOUR);
      expect(await m.minutes(q1, 0, M(9))).toEqual([sample(M(0), 1)]);
      expect((await m.minutes(q2, 0, M(9))).map((r) => r.completed)).toEqual([5, 1]);
      expect((await m.totals(q1)).completed).toBe(1);
      expect((await m.totals(q2)).completed).toBe(6);
    });

    it("obliterate removes the queue's metrics", async () => {
      const q = uniqueQueue("metrics-obliterate");
      const other = uniqueQueue("metrics-kept");
      await m.record(q, [sample(M(0), 3)], M(0), HOUR);
      await m.record(other, [sample(M(0), 1)], M(0), HOUR);
      await b.obliterate(q, false);
      expect(await m.minutes(q, 0, M(9))).toEqual([]);
      expect((await m.totals(q)).completed).toBe(0);
      expect((await m.totals(other)).completed).toBe(1);
      // The queue records afresh afterwards.
      await m.record(q, [sample(M(1), 2)], M(1), HOUR);
      expect(await m.minutes(q, 0, M(9))).toEqual([sample(M(1), 2)]);
      expect((await m.totals(q)).completed).toBe(2);
    });

    it("is exact under concurrent record calls (from two backends where several processes can share it)", async () => {
      const q = uniqueQueue("metrics-concurrent");
      const second = b.capabilities.multiProcess ? await fx.makeBackend() : b;
      try {
        const calls = (store: MetricStore) =>
          Array.from({ length: 50 }, (_, i) =>
            store.record(q, [sample(M(i % 2), 1), sample(M(2 + (i % 3)), 2)], M(4), HOUR),
          );
        await Promise.all([...calls(m), ...calls(metricsOf(second))]);
        const totals = await m.totals(q);
        expect(totals).toEqual(counts(300));
        const minutes = await metricsOf(second).minutes(q, 0, M(9));
        expect(minutes.map((r) => [r.minute, r.completed])).toEqual([
          [M(0), 50],
          [M(1), 50],
          [M(2), 68],
          [M(3), 68],
          [M(4), 64],
        ]);
      } finally {
        if (second !== b) await second.close();
      }
    });

    it("rejects malformed samples with ValidationError and records nothing", async () => {
      const q = uniqueQueue("metrics-invalid");
      const short = sample(M(0), 1, { wait: [1] });
      await expect(m.record(q, [sample(M(1)), short], M(1), HOUR)).rejects.toBeInstanceOf(ValidationError);
      await expect(m.record(q, [sample(M(0) + 1)], M(1), HOUR)).rejects.toBeInstanceOf(ValidationError);
      await expect(m.record(q, [sample(M(0), -1)], M(1), HOUR)).rejects.toBeInstanceOf(ValidationError);
      await expect(m.record(q, [sample(M(0))], M(1), -1)).rejects.toBeInstanceOf(ValidationError);
      expect((await m.totals(q)).completed).toBe(0);
      expect(await m.minutes(q, 0, M(9))).toEqual([]);
    });
  });
}
