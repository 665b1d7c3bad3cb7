/**
 * The metrics recorder (src/worker/metrics-recorder.ts) against a store that records its calls: what
 * each finish batch counts, its wait and run times, the one write in flight per queue, flush, and a
 * failing write. The runtime-level tests (test/runtime/metrics.test.ts) use real backends.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Finish, MetricCounts, MetricMinute, MetricStore } from "../../src/backends/backend.js";
import type { Logger } from "../../src/logger.js";
import { METRIC_BUCKETS_MS } from "../../src/metrics/buckets.js";
import { bucketIndex, emptyCounts } from "../../src/metrics/histogram.js";
import { configure, resetSettings } from "../../src/settings.js";
import { MetricsRecorder, WRITE_GAP_MS } from "../../src/worker/metrics-recorder.js";
import { gate } from "../helpers.js";

afterEach(() => {
  resetSettings();
  vi.useRealTimers();
});

interface Call {
  queue: string;
  samples: MetricMinute[];
  retentionMs: number;
}

/** A MetricStore that keeps its `record` calls; each call waits for `hold` when set. */
function store() {
  const calls: Call[] = [];
  let hold: Promise<void> | null = null;
  let fail: Error | null = null;
  const s: MetricStore = {
    async record(queue, samples, _now, retentionMs) {
      calls.push({ queue, samples: structuredClone(samples), retentionMs });
      if (hold) await hold;
      if (fail) throw fail;
    },
    async minutes() {
      return [];
    },
    async totals(): Promise<MetricCounts> {
      return emptyCounts();
    },
  };
  return {
    store: s,
    calls,
    holdWith: (p: Promise<void> | null) => {
      hold = p;
    },
    failWith: (e: Error | null) => {
      fail = e;
    },
  };
}

const MIN = 60_000;
const T0 = 1000 * MIN; // a whole minute
const item = (kind: Finish["kind"], jobId = "1"): Finish =>
  ({ kind, jobId, token: "t", resultJson: "null", error: { name: "E", message: "m" }, runAt: 0 }) as Finish;

describe("MetricsRecorder.finished", () => {
  it("counts held completed / failed / retry finishes; not expired, released, step moves or fenced-out ones", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, 5 * MIN);
    const kinds: Finish["kind"][] = [
      "completed",
      "completed",
      "failed",
      "retry",
      "expired",
      "released",
      "delayed",
      "waiting-children",
      "completed",
    ];
    const held = [true, true, true, true, true, true, true, true, false];
    r.finished(
      "q",
      kinds.map((k) => item(k)),
      [],
      held,
      T0 + 10,
    );
    await r.flush();
    expect(s.calls).toHaveLength(1);
    expect(s.calls[0]).toMatchObject({ queue: "q", retentionMs: 5 * MIN });
    expect(s.calls[0]?.samples).toEqual([
      { minute: T0, ...emptyCounts(), completed: 2, failed: 1, retried: 1 },
    ]);
  });

  it("wait is started - max(createdAt, runAt), run is finish - started", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    const now = T0 + 30_000;
    r.finished(
      "q",
      [item("completed"), item("retry"), item("failed")],
      [
        { createdAt: now - 1000, startedAt: now - 700 }, // wait 300, run 700
        { createdAt: now - 9000, runAt: now - 200, startedAt: now - 150 }, // delayed/retried: wait 50, run 150
        { createdAt: now - 100, runAt: now - 5000, startedAt: now - 40 }, // runAt before createdAt: wait 60
      ],
      [true, true, true],
      now,
    );
    await r.flush();
    const [sample] = s.calls[0]?.samples ?? [];
    expect(sample?.waitSum).toBe(300 + 50 + 60);
    expect(sample?.runSum).toBe(700 + 150 + 40);
    const expected = emptyCounts().wait;
    for (const ms of [300, 50, 60]) (expected[bucketIndex(ms)] as number)++;
    expect(sample?.wait).toEqual(expected);
    expect(sample?.run[METRIC_BUCKETS_MS.indexOf(1000)]).toBe(1);
  });

  it("groups by the minute of the finish time, one sample per minute", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    const hold = gate();
    s.holdWith(hold.promise);
    r.finished("q", [item("completed")], [], [true], T0 + 59_999); // written at once, held
    r.finished("q", [item("completed")], [], [true], T0 + MIN + 1);
    r.finished("q", [item("failed")], [], [true], T0 + 59_000);
    r.finished("q", [item("completed")], [], [true], T0 + MIN + 2);
    hold.open();
    await r.flush();
    expect(s.calls.map((c) => c.samples.map((x) => [x.minute, x.completed, x.failed]))).toEqual([
      [[T0, 1, 0]],
      [
        [T0 + MIN, 2, 0],
        [T0, 0, 1],
      ],
    ]);
  });
});

describe("MetricsRecorder writes", () => {
  it("keeps one call in flight per queue; what comes meanwhile goes in one next call", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    const hold = gate();
    s.holdWith(hold.promise);
    r.finished("a", [item("completed")], [], [true], T0);
    r.finished("b", [item("completed")], [], [true], T0); // another queue: its own call
    for (let i = 0; i < 50; i++) r.finished("a", [item("completed")], [], [true], T0 + i);
    expect(s.calls.map((c) => c.queue)).toEqual(["a", "b"]);
    s.holdWith(null);
    hold.open();
    await r.flush();
    expect(s.calls.map((c) => [c.queue, c.samples[0]?.completed])).toEqual([
      ["a", 1],
      ["b", 1],
      ["a", 50],
    ]);
  });

  it("writes a quiet queue's batch at once; a busy one's at most once per WRITE_GAP_MS", async () => {
    vi.useFakeTimers({ now: T0 });
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    r.finished("q", [item("completed")], [], [true], T0);
    expect(s.calls).toHaveLength(1); // no wait: nothing was written lately
    await vi.advanceTimersByTimeAsync(10);
    r.finished("q", [item("completed")], [], [true], T0 + 10);
    r.finished("q", [item("retry")], [], [true], T0 + 20);
    await vi.advanceTimersByTimeAsync(WRITE_GAP_MS - 20);
    expect(s.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(s.calls.map((c) => [c.samples[0]?.completed, c.samples[0]?.retried])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    // Quiet again: the next batch goes at once.
    await vi.advanceTimersByTimeAsync(WRITE_GAP_MS);
    r.finished("q", [item("failed")], [], [true], T0 + 3 * WRITE_GAP_MS);
    expect(s.calls).toHaveLength(3);
  });

  it("flush writes at once what waits for the gap", async () => {
    vi.useFakeTimers({ now: T0 });
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    r.finished("q", [item("completed")], [], [true], T0);
    await vi.advanceTimersByTimeAsync(1);
    r.finished("q", [item("completed")], [], [true], T0 + 1);
    expect(s.calls).toHaveLength(1);
    await r.flush();
    expect(s.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0); // no timer left behind
  });

  it("flush waits for the call in flight and the pending one; nothing to write is no call", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    await r.flush();
    r.finished("q", [item("expired")], [], [true], T0);
    await r.flush();
    expect(s.calls).toHaveLength(0);

    const hold = gate();
    s.holdWith(hold.promise);
    r.finished("q", [item("completed")], [], [true], T0);
    r.finished("q", [item("retry")], [], [true], T0);
    let flushed = false;
    const flushing = r.flush().then(() => {
      flushed = true;
    });
    await new Promise((res) => setTimeout(res, 10));
    expect(flushed).toBe(false);
    s.holdWith(null);
    hold.open();
    await flushing;
    expect(s.calls.map((c) => c.samples[0]?.retried)).toEqual([0, 1]);
  });

  it("a failing write is logged and its counts dropped; later writes go on", async () => {
    const warnings: unknown[][] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (...args) => warnings.push(args) };
    configure({ logger });
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    const boom = new Error("store down");
    s.failWith(boom);
    r.finished("q", [item("completed"), item("failed")], [], [true, true], T0);
    await r.flush();
    expect(warnings).toEqual([[expect.stringMatching(/^recording job metrics failed: store down; /)]]);
    s.failWith(null);
    r.finished("q", [item("completed")], [], [true], T0);
    await r.flush();
    expect(s.calls.map((c) => c.samples[0]?.completed)).toEqual([1, 1]);
  });

  it("stallFailed adds failures without times", async () => {
    const s = store();
    const r = new MetricsRecorder(s.store, MIN);
    r.stallFailed("q", 0, T0);
    await r.flush();
    expect(s.calls).toHaveLength(0);
    r.stallFailed("q", 3, T0 + 5);
    await r.flush();
    expect(s.calls[0]?.samples).toEqual([{ minute: T0, ...emptyCounts(), failed: 3 }]);
  });
});

describe("MetricsRecorder.for", () => {
  const backend = (metrics?: MetricStore) => ({ metrics }) as never;

  it("is null without a metric store or with the metrics setting off", () => {
    expect(MetricsRecorder.for(backend())).toBeNull();
    expect(MetricsRecorder.for(backend(store().store))).toBeInstanceOf(MetricsRecorder);
    configure({ metrics: false });
    expect(MetricsRecorder.for(backend(store().store))).toBeNull();
  });

  it("writes with the metricsRetention setting", async () => {
    configure({ metricsRetention: "2h" as never });
    const s = store();
    const r = MetricsRecorder.for(backend(s.store));
    r?.finished("q", [item("completed")], [], [true], T0);
    await r?.flush();
    expect(s.calls[0]?.retentionMs).toBe(7_200_000);
  });
});
