/**
 * Metrics recorded by the runtime (src/worker/metrics-recorder.ts, hooked in the finisher and the
 * stall sweeper), read back through queue.getMetrics, on the memory and SQLite backends: counts of
 * completed / failed / retried attempts, plausible wait and run buckets, stall failures, the
 * `metrics` setting, and the flush at stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Backend, MetricStore } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { METRIC_BUCKETS_MS } from "../../src/metrics/buckets.js";
import { emptyCounts, histogramCount } from "../../src/metrics/histogram.js";
import { Queue } from "../../src/queue.js";
import { configure, resetSettings } from "../../src/settings.js";
import { task, unregisterTask } from "../../src/task.js";
import { handleJob } from "../../src/worker/handle-job.js";
import { Worker } from "../../src/worker/worker.js";
import { nextEvents, uniqueQueue } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-metrics-runtime-"));
const opened: Backend[] = [];
const defined: string[] = [];
afterEach(() => {
  for (const name of defined.splice(0)) unregisterTask(name);
  resetSettings();
});
afterAll(async () => {
  for (const b of opened.splice(0)) await b.close();
  rmSync(dir, { recursive: true, force: true });
});

const BACKENDS: Array<[string, () => Backend]> = [
  ["memory", () => new InMemoryBackend()],
  ["sqlite", () => new SqliteBackend({ path: join(dir, `${uniqueQueue("db")}.db`) })],
];

/** Index of the bucket whose upper bound is `ms`. */
const at = (ms: number) => METRIC_BUCKETS_MS.indexOf(ms);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)("runtime metrics on %s", (_name, make) => {
  function setup() {
    const backend = make();
    opened.push(backend);
    const name = uniqueQueue("m");
    const queue = new Queue(name, { backend });
    const define = (suffix: string, handler: () => unknown, options = {}) => {
      defined.push(`${name}-${suffix}`);
      task(`${name}-${suffix}`, { queue: name, ...options }, handler);
      return `${name}-${suffix}`;
    };
    return { backend, name, queue, define };
  }

  it("counts completed, failed and retried attempts, with times for each", async () => {
    const { backend, name, queue, define } = setup();
    const ok = define("ok", () => "ok");
    const bad = define("bad", () => {
      throw new Error("no");
    });
    const flaky = define("flaky", () => {
      throw new Error("again");
    });
    await queue.addBulk([
      ...Array.from({ length: 5 }, () => ({ task: ok })),
      { task: bad },
      { task: bad },
      { task: flaky, options: { retries: 1, backoff: 10 } },
    ]);
    const completed = nextEvents("job:completed", name, 5);
    const failed = nextEvents("job:failed", name, 3);
    const worker = new Worker(name, { backend, concurrency: 4 });
    await worker.start();
    await Promise.all([completed, failed]);
    await worker.stop();

    const m = await queue.getMetrics();
    expect(m.total).toMatchObject({ completed: 5, failed: 3, retried: 1 });
    expect(m.range).toEqual(m.total);
    expect(histogramCount(m.total.wait)).toBe(9);
    expect(histogramCount(m.total.run)).toBe(9);
    // Every attempt finished in the last minute or two of the 60 returned.
    expect(m.minutes).toHaveLength(60);
    expect(m.minutes.filter((x) => x.completed + x.failed + x.retried > 0).length).toBeLessThanOrEqual(2);
  });

  it("wait (ready to started) and run (started to finished) land in plausible buckets", async () => {
    const { backend, name, queue, define } = setup();
    const slow = define("slow", () => sleep(60));
    await queue.addBulk(Array.from({ length: 3 }, () => ({ task: slow })));
    await sleep(150); // the jobs wait at least this long: no worker yet
    const done = nextEvents("job:completed", name, 3);
    const worker = new Worker(name, { backend, concurrency: 3 });
    await worker.start();
    await done;
    await worker.stop();

    const { total } = await queue.getMetrics();
    expect(total.completed).toBe(3);
    expect(total.waitSum).toBeGreaterThanOrEqual(3 * 150);
    expect(total.runSum).toBeGreaterThanOrEqual(3 * 59);
    // wait >= 150 ms: (100, 250] or above, and well under 10 s; run >= 60 ms: (50, 100] or above.
    expect(total.wait.slice(0, at(250)).every((n) => n === 0)).toBe(true);
    expect(total.wait.slice(at(10_000)).every((n) => n === 0)).toBe(true);
    expect(total.run.slice(0, at(100)).every((n) => n === 0)).toBe(true);
    expect(total.run.slice(at(10_000)).every((n) => n === 0)).toBe(true);
  });

  it("a delayed job waits from its runAt, not from its creation", async () => {
    const { backend, name, queue, define } = setup();
    const t = define("t", () => "ok");
    const worker = new Worker(name, { backend, scanInterval: 50 });
    await worker.start();
    const done = nextEvents("job:completed", name, 1);
    await queue.add(t, null, { delay: 400 });
    await done;
    await worker.stop();
    const { total } = await queue.getMetrics();
    expect(total.completed).toBe(1);
    expect(total.waitSum).toBeLessThan(400);
  });

  it("jobs failed by the stall rule count as failed, without times", async () => {
    const { backend, name, queue } = setup();
    const id = await queue.add("nobody-runs-this");
    // A worker that claimed the job and died: its lease expires at once.
    await backend.claim(name, { workerId: "dead", limit: 1, leaseMs: 1, now: Date.now() });
    const failed = nextEvents("job:failed", name, 1);
    const worker = new Worker(name, { backend, maxStalledCount: 0, scanInterval: 20 });
    await worker.start();
    await failed;
    await worker.stop();
    expect((await queue.getJob(id))?.state).toBe("failed");
    const { total } = await queue.getMetrics();
    expect(total).toEqual({ ...emptyCounts(), failed: 1 });
  });

  it("records nothing with the metrics setting off", async () => {
    configure({ metrics: false });
    const { backend, name, queue, define } = setup();
    const ok = define("ok", () => "ok");
    await queue.addBulk([{ task: ok }, { task: ok }]);
    const done = nextEvents("job:completed", name, 2);
    const worker = new Worker(name, { backend });
    await worker.start();
    await done;
    await worker.stop();
    expect((await queue.getMetrics()).total).toEqual(emptyCounts());
  });

  it("stop resolves after the pending metrics are written; writes are far fewer than jobs", async () => {
    const { backend, name, queue, define } = setup();
    const store = backend.metrics as MetricStore;
    const calls: number[] = [];
    // The real store, each write made slow: observations pile up behind the write in flight.
    const slow: MetricStore = {
      record: async (q, samples, now, retention) => {
        calls.push(samples.reduce((n, s) => n + s.completed, 0));
        await sleep(40);
        await store.record(q, samples, now, retention);
      },
      minutes: (q, from, to) => store.minutes(q, from, to),
      totals: (q) => store.totals(q),
    };
    const wrapped = withMetrics(backend, slow);
    const ok = define("ok", () => "ok");
    await queue.addBulk(Array.from({ length: 100 }, () => ({ task: ok })));
    const done = nextEvents("job:completed", name, 100);
    const worker = new Worker(name, { backend: wrapped, concurrency: 10 });
    await worker.start();
    await done;
    await worker.stop(); // at once: the last writes are still pending or in flight
    expect((await store.totals(name)).completed).toBe(100);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(100);
    expect(calls.length).toBeLessThan(25);
  });

  it("handleJob records the attempt it runs", async () => {
    const { backend, name, queue, define } = setup();
    const ok = define("ok", () => "ok");
    const id = await queue.add(ok);
    await handleJob(name, (await queue.getJob(id)) as never, backend);
    expect((await queue.getMetrics()).total.completed).toBe(1);
  });
});

/** `backend` with another metric store: every other member is the backend's own. */
function withMetrics(backend: Backend, metrics: MetricStore): Backend {
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === "metrics") return metrics;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
