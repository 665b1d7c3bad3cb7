// Shared by the peer drivers: where the servers are, the metric protocol, and the output line.
// Every driver runs one measurement in a fresh process (like bench/one.js) and prints one JSON line:
// { value | p50/p99, settings }. The definitions match bench/measure.js: no-op handler, bulk insert
// in chunks of 10,000 through the library's own bulk API, throughput = pre-loaded N jobs then the
// time from starting the worker until all are recorded complete, latency = an idle worker at
// concurrency 1, one job at a time, from the producer's call to the handler's first line, 2 ms apart.
import { performance } from "node:perf_hooks";
import { percentiles, preciseNow } from "../measure.js";

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
