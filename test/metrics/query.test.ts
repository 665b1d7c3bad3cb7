/**
 * queue.getMetrics (src/metrics/query.ts) on the memory backend with a fixed clock: the default
 * range, rounding to minutes, zero-filled minutes, range vs total, and every bad input.
 */
import { describe, expect, it } from "vitest";
import type { Backend, MetricMinute } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { ValidationError } from "../../src/errors.js";
import { METRIC_BUCKETS_MS } from "../../src/metrics/buckets.js";
import { emptyCounts, observe } from "../../src/metrics/histogram.js";
import { metricsRange, readQueueMetrics } from "../../src/metrics/query.js";
import { Queue } from "../../src/queue.js";

const MIN = 60_000;
const NOW = 28_000_000 * MIN + 42_000; // 42 s into a minute
const CURRENT = NOW - 42_000;

function sample(minute: number, completed: number, runMs = 20): MetricMinute {
  const s = { minute, ...emptyCounts(), completed };
  for (let i = 0; i < completed; i++) observe(s, 1, runMs);
  return s;
}

describe("getMetrics range", () => {
  it("defaults to the 60 minutes up to the end of the current one", () => {
    expect(metricsRange({}, NOW)).toEqual({ from: CURRENT - 59 * MIN, to: CURRENT + MIN });
  });

  it("rounds from down and to up to whole minutes; takes Dates", () => {
    expect(metricsRange({ from: CURRENT - 10 * MIN + 5, to: CURRENT - MIN + 1 }, NOW)).toEqual({
      from: CURRENT - 10 * MIN,
      to: CURRENT,
    });
    expect(metricsRange({ from: new Date(CURRENT - 5 * MIN), to: new Date(CURRENT) }, NOW)).toEqual({
      from: CURRENT - 5 * MIN,
      to: CURRENT,
    });
    // One bound given: the other is its default (to: end of this minute; from: 60 minutes before to).
    expect(metricsRange({ from: CURRENT - 2 * MIN }, NOW)).toEqual({
      from: CURRENT - 2 * MIN,
      to: CURRENT + MIN,
    });
    expect(metricsRange({ to: CURRENT }, NOW)).toEqual({ from: CURRENT - 60 * MIN, to: CURRENT });
  });

  it.each([
    [{ from: Number.NaN }, /from must be epoch ms or a valid Date, got NaN/],
    [{ to: Number.POSITIVE_INFINITY }, /to must be epoch ms or a valid Date/],
    [{ from: new Date("nope") }, /from must be epoch ms or a valid Date, got an invalid Date/],
    [{ from: "yesterday" }, /from must be epoch ms/],
    [{ from: CURRENT, to: CURRENT }, /from .* must be before to/],
    [{ from: CURRENT + 5, to: CURRENT + 1 }, /must be before to/],
    [{ from: CURRENT + 10 * MIN }, /is not before to .*end of the current minute/],
    [{ from: CURRENT - 32 * 24 * 60 * MIN }, /spans more than 31 days/],
  ])("%o is a ValidationError", (options, message) => {
    expect(() => metricsRange(options as never, NOW)).toThrow(ValidationError);
    expect(() => metricsRange(options as never, NOW)).toThrow(message);
  });

  it("accepts exactly 31 days", () => {
    const { from, to } = metricsRange({ from: CURRENT - 31 * 24 * 60 * MIN, to: CURRENT }, NOW);
    expect(to - from).toBe(31 * 24 * 60 * MIN);
  });
});

describe("getMetrics", () => {
  it("returns one row per minute, zeros where nothing was recorded, their sum and the totals", async () => {
    const backend = new InMemoryBackend();
    const store = backend.metrics;
    if (!store) throw new Error("the memory backend keeps metrics");
    await store.record("q", [sample(CURRENT - 90 * MIN, 7)], NOW, 1000 * MIN); // before the range
    await store.record("q", [sample(CURRENT - 3 * MIN, 2, 400), sample(CURRENT, 1)], NOW, 1000 * MIN);
    const m = await readQueueMetrics(backend, "q", {}, NOW);
    expect(m).toMatchObject({ queue: "q", from: CURRENT - 59 * MIN, to: CURRENT + MIN });
    expect(m.bucketsMs).toBe(METRIC_BUCKETS_MS);
    expect(m.minutes.map((x) => x.minute)).toEqual(Array.from({ length: 60 }, (_, i) => m.from + i * MIN));
    expect(m.minutes.map((x) => x.completed).filter((n) => n > 0)).toEqual([2, 1]);
    expect(m.minutes[0]).toEqual({ minute: m.from, ...emptyCounts() });
    expect(m.range.completed).toBe(3);
    expect(m.range.runSum).toBe(820);
    expect(m.range.run[METRIC_BUCKETS_MS.indexOf(500)]).toBe(2);
    expect(m.total.completed).toBe(10);
    await backend.close();
  });

  it("Queue.getMetrics reads its queue; rejects on a backend without metrics", async () => {
    const backend = new InMemoryBackend();
    const queue = new Queue("q", { backend });
    expect((await queue.getMetrics()).total).toEqual(emptyCounts());
    await expect(queue.getMetrics({ from: 5, to: 1 })).rejects.toThrow(ValidationError);
    const without = new Proxy(backend, {
      get: (t, p) => (p === "metrics" ? undefined : Reflect.get(t, p, t)),
    }) as Backend;
    await expect(new Queue("q", { backend: without }).getMetrics()).rejects.toThrow(
      /keeps no metrics \(capabilities\.metrics is false\)/,
    );
    await backend.close();
  });
});
