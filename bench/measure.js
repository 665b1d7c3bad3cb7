// Measurements shared by every backend's benchmark. Each takes a backend factory, runs the real
// runtime (Queue + runWorker) with a no-op handler, and returns numbers; run.js prints the tables.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Queue, runWorker, task } from "asyncmq";

// BENCH_REMOVE_ON_COMPLETE=1: every bench task removes its jobs once finished (the asyncmq side of
// bench/run.js peers' tuned BullMQ rows, whose Worker removes them too); else jobs are kept.
const removing = process.env.BENCH_REMOVE_ON_COMPLETE === "1";
export const retention = removing ? { removeOnComplete: true, removeOnFail: true } : {};
// BENCH_PREFETCH=N: the throughput worker holds up to N jobs beyond its concurrency (prefetch).
const prefetch = process.env.BENCH_PREFETCH ? { prefetch: Number(process.env.BENCH_PREFETCH) } : {};
// All `n` jobs finished: kept jobs are counted complete; removed ones are done once nothing waits or runs.
export const finished = (n, c) => (removing ? c.waiting + c.active === 0 : c.completed >= n);

let seq = 0;
export const uniq = (what) => `bench-${what}-${process.pid}-${++seq}`;

/** Enqueues `n` jobs in one addBulk and returns jobs/s. */
export async function bulkInsert(backend, n) {
  const name = uniq("bulk");
  const queue = new Queue(name, { backend });
  const jobs = Array.from({ length: n }, (_, i) => ({ task: "noop", data: { i } }));
  // The schema migrated and a connection open first, as each peer's driver has them before it adds
  // (graphile-worker's utils.migrate(), pg-boss's start(), BullMQ's waitUntilReady()).
  await queue.getJobCounts();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 10_000) await queue.addBulk(jobs.slice(i, i + 10_000));
  const seconds = (performance.now() - t0) / 1000;
  await queue.obliterate({ force: true });
  return n / seconds;
}

/**
 * Pre-loads `n` no-op jobs, then times a worker at `concurrency` until all completed; returns jobs/s.
 * `loaded` runs once the jobs are in, before the clock starts (bench/one.js: Postgres's ANALYZE);
 * `clock.started` right before the worker starts and `clock.stopped` right after its last job
 * (bench/cpu-split.js reads the CPU used in between).
 */
export async function throughput(backend, n, concurrency, loaded = async () => {}, clock = {}) {
  const name = uniq("tp");
  const queue = new Queue(name, { backend });
  let seen = 0;
  let allSeen;
  const all = new Promise((r) => {
    allSeen = r;
  });
  task(`${name}-noop`, { queue: name, ...retention }, () => {
    if (++seen === n) allSeen();
  });
  for (let i = 0; i < n; i += 10_000) {
    await queue.addBulk(Array.from({ length: Math.min(10_000, n - i) }, () => ({ task: `${name}-noop` })));
  }
  await loaded();
  await clock.started?.();
  const controller = new AbortController();
  const t0 = performance.now();
  const run = runWorker(name, { backend, concurrency, signal: controller.signal, ...prefetch });
  await all;
  while (!finished(n, await queue.getJobCounts())) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - t0) / 1000;
  await clock.stopped?.();
  controller.abort();
  await run;
  await queue.obliterate({ force: true });
  return n / seconds;
}

/** Enqueue-to-start latency for an idle worker, one job at a time; returns { p50, p99 } in ms. */
export async function latency(backend, samples) {
  const name = uniq("lat");
  const queue = new Queue(name, { backend });
  const lat = [];
  let next;
  task(`${name}-stamp`, { queue: name, ...retention }, (data) => {
    lat.push(preciseNow() - data.t);
    next();
  });
  // The schema migrated and a connection open before the worker starts, as each peer's driver has
  // them (graphile-worker's utils.migrate(), pg-boss's start()): the first sample is then a job like
  // the others, not the engine's start-up (which made it ~60 ms on Postgres, the p99 of 50 samples).
  await queue.getJobCounts();
  const controller = new AbortController();
  const run = runWorker(name, { backend, concurrency: 1, signal: controller.signal });
  // An idle worker is one whose start-up is over: runWorker has no readiness promise (the peers'
  // drivers await theirs: graphile-worker's run(), BullMQ's waitUntilReady()), and its start-up (the
  // first claim, stall sweep, promotion and retention sweep at once: four fresh connections on
  // Postgres, ~180 ms on the 2-core VM) made the first sample 110-150 ms, the p99 of 50 or 200.
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < samples; i++) {
    const done = new Promise((r) => {
      next = r;
    });
    await queue.add(`${name}-stamp`, { t: preciseNow() });
    await done;
    await new Promise((r) => setTimeout(r, 2)); // let the worker go idle again
  }
  controller.abort();
  await run;
  await queue.obliterate({ force: true });
  return percentiles(lat);
}

/**
 * Enqueue-to-start latency when the producer is another process (backend given by `url`): one job
 * at a time to an idle worker here. Returns { p50, p99 } in ms.
 */
export async function crossProcessLatency(backend, samples, url) {
  const name = uniq("xlat");
  const lat = [];
  let next;
  task(`${name}-stamp`, { queue: name }, (data) => {
    lat.push(preciseNow() - data.t);
    next();
  });
  const controller = new AbortController();
  const run = runWorker(name, { backend, concurrency: 1, signal: controller.signal });
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("./producer-child.js", import.meta.url)), url, name, `${name}-stamp`],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  await once(child.stdout, "data"); // "ready"
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < samples; i++) {
    const done = new Promise((r) => {
      next = r;
    });
    child.stdin.write("go\n");
    await done;
    await new Promise((r) => setTimeout(r, 5)); // let the worker go idle again
  }
  child.stdin.end();
  await once(child, "exit");
  controller.abort();
  await run;
  return percentiles(lat);
}

/** Lateness of delayed jobs (start minus runAt) with delays spread over ~`spreadMs`; returns { p50, p99 }. */
export async function delayedLateness(backend, samples, spreadMs) {
  const name = uniq("late");
  const queue = new Queue(name, { backend });
  const late = [];
  let allDone;
  const done = new Promise((r) => {
    allDone = r;
  });
  task(`${name}-late`, { queue: name }, (data) => {
    late.push(Date.now() - data.runAt);
    if (late.length === samples) allDone();
  });
  const controller = new AbortController();
  const run = runWorker(name, { backend, concurrency: 10, signal: controller.signal });
  const now = Date.now();
  await Promise.all(
    Array.from({ length: samples }, (_, i) => {
      const runAt = now + 50 + Math.round((i * spreadMs) / samples);
      return queue.add(`${name}-late`, { runAt }, { runAt });
    }),
  );
  await done;
  controller.abort();
  await run;
  await queue.obliterate({ force: true });
  return percentiles(late);
}

/** CPU used by an idle worker over `ms`, as % of one core. */
export async function idleCpu(backend, ms) {
  const name = uniq("idle");
  const controller = new AbortController();
  const run = runWorker(name, { backend, concurrency: 50, signal: controller.signal });
  await new Promise((r) => setTimeout(r, 200));
  const before = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const used = process.cpuUsage(before);
  const wall = performance.now() - t0;
  controller.abort();
  await run;
  return ((used.user + used.system) / 1000 / wall) * 100;
}

/** Epoch ms with sub-ms precision, comparable across processes on one machine. */
export function preciseNow() {
  return performance.timeOrigin + performance.now();
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * The clock of a backlog run, the same for asyncmq and its peers (bench/peers/): `started(k)` counts k
 * more jobs started and stamps the moments the count first reaches `window`, `n - window` and `n`;
 * `all` resolves at the `n`-th. `rates(t1, t2)` (worker started at t1, all completed at t2) gives the
 * rate over the first and the last `window` jobs started and the overall rate, in jobs/s.
 */
export function backlogClock(n, window) {
  const marks = [window, n - window, n];
  const at = [];
  let count = 0;
  let allStarted;
  const all = new Promise((r) => {
    allStarted = r;
  });
  const rate = (jobs, from, to) => jobs / ((to - from) / 1000);
  return {
    all,
    started(k = 1) {
      count += k;
      if (at.length === marks.length || count < marks[at.length]) return;
      const now = performance.now();
      while (at.length < marks.length && count >= marks[at.length]) at.push(now);
      if (count >= n) allStarted();
    },
    rates: (t1, t2) => ({
      first: rate(window, t1, at[0]),
      last: rate(window, at[1], at[2]),
      overall: rate(n, t1, t2),
    }),
  };
}

/**
 * A large backlog: `n` no-op jobs added in chunks of 10,000, then one worker at `concurrency` until
 * all completed. Returns the insert rate, the processing rate over the first and the last `window`
 * jobs started (does it degrade as the backlog is worked through?), the overall rate, and what the
 * backlog costs in storage per job (`size()` before and after the insert: bytes).
 */
export async function backlog(backend, n, concurrency, window, size) {
  const name = uniq("backlog");
  const queue = new Queue(name, { backend });
  const clock = backlogClock(n, window);
  task(`${name}-noop`, { queue: name, ...retention }, () => clock.started());
  await queue.getJobCounts();
  const before = await size();
  const chunk = Array.from({ length: 10_000 }, () => ({ task: `${name}-noop` }));
  const t0 = performance.now();
  for (let i = 0; i < n; i += 10_000) await queue.addBulk(chunk.slice(0, Math.min(10_000, n - i)));
  const insertSeconds = (performance.now() - t0) / 1000;
  const bytesPerJob = ((await size()) - before) / n;
  const controller = new AbortController();
  const t1 = performance.now();
  const run = runWorker(name, { backend, concurrency, signal: controller.signal });
  await clock.all;
  while (!finished(n, await queue.getJobCounts())) await new Promise((r) => setTimeout(r, 50));
  const t2 = performance.now();
  controller.abort();
  await run;
  await queue.obliterate({ force: true });
  return { insert: n / insertSeconds, ...clock.rates(t1, t2), bytesPerJob };
}
