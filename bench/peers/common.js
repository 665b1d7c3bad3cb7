// Shared by the peer drivers: where the servers are, the metric protocol, and the output line.
// Every driver runs one measurement in a fresh process (like bench/one.js) and prints one JSON line:
// { value | p50/p99, settings }. The definitions match bench/measure.js: no-op handler, bulk insert
// in chunks of 10,000 through the library's own bulk API, throughput = pre-loaded N jobs then the
// time from starting the worker until all are recorded complete, latency = an idle worker at
// concurrency 1, one job at a time, from the producer's call to the handler's first line, 2 ms apart;
// backlog = bench/measure.js backlog(), through `backlog()` below.
import { performance } from "node:perf_hooks";
import { backlogClock, percentiles, preciseNow } from "../measure.js";

export { percentiles, preciseNow };

export const CHUNK = 10_000;
export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/asyncmq_bench";
export const tag = (lib) => `bench_${lib}_${process.pid}`;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const tick = () => new Promise((r) => setImmediate(r));
export const seconds = (t0) => (performance.now() - t0) / 1000;

/** A promise resolved by `count()` the `n`-th time it is called. */
export function counter(n) {
  let seen = 0;
  let resolve;
  const all = new Promise((r) => {
    resolve = r;
  });
  return {
    all,
    count(k = 1) {
      seen += k;
      if (seen >= n) resolve();
    },
  };
}

/**
 * A backlog of `n` jobs, as bench/measure.js backlog() times asyncmq's: `size()` (the engine's bytes,
 * bench/storage.js) before and after `preload()` (the `n` jobs in chunks of CHUNK), then
 * `work(started)` starts the worker (its handler calls `started(k)` when k jobs start) and returns a
 * function that stops it; timed until `finished()` says all `n` are done, polled every 50 ms.
 * Returns { insert, first, last, overall } in jobs/s and bytesPerJob.
 */
export async function backlog(n, window, { size, preload, work, finished }) {
  const clock = backlogClock(n, window);
  const before = await size();
  const t0 = performance.now();
  await preload();
  const insert = n / seconds(t0);
  const bytesPerJob = ((await size()) - before) / n;
  const t1 = performance.now();
  const stop = await work(clock.started);
  await clock.all;
  while (!(await finished())) await sleep(50);
  const t2 = performance.now();
  await stop();
  return { insert, ...clock.rates(t1, t2), bytesPerJob };
}

/**
 * The two ways each peer is run: `defaults` (the library as it comes, with only what the metric needs
 * set: concurrency, the queue, a silent logger) and `tuned` (its best documented settings for
 * throughput; each driver's header names them and the doc pages they come from).
 */
export const MODES = ["defaults", "tuned"];

/**
 * Runs `drivers[metric](mode, ...numbers)` from argv (`[defaults|tuned] <metric> [numbers...]`, mode
 * `defaults` when left out) and prints its result as the last line of stdout.
 */
export async function main(drivers) {
  let argv = process.argv.slice(2);
  const mode = MODES.includes(argv[0]) ? argv[0] : "defaults";
  if (MODES.includes(argv[0])) argv = argv.slice(1);
  const [metric, ...args] = argv;
  const run = drivers[metric];
  if (!run) throw new Error(`unknown metric ${metric}; one of ${Object.keys(drivers).join(", ")}`);
  const result = await run(mode, ...args.map(Number));
  console.log(JSON.stringify(result));
  // Cleanup is done by now; a library's stray timer or socket must not keep the process (and the run) alive.
  process.exit(0);
}
