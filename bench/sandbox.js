// `node bench/run.js sandbox`: the cost of running a handler in a sandbox (worker thread, child
// process) against the same no-op handler in-process, on the memory and SQLite backends. Each row is
// one fresh process (bench/one.js sandboxThroughput); the sandboxes are started before the clock runs.
import { performance } from "node:perf_hooks";
import { events, Queue, runWorker, task } from "asyncmq";

const noop = new URL("./sandbox-noop.js", import.meta.url);
let seq = 0;

/**
 * Times `n` no-op jobs at `concurrency` once `isolation` ("inline", "thread" or "process", the
 * sandbox's pool as large as the concurrency) is warm; returns jobs/s.
 */
export async function sandboxThroughput(backend, n, concurrency, isolation) {
  const name = `bench-sandbox-${process.pid}-${++seq}`;
  const queue = new Queue(name, { backend });
  const options = { queue: name, removeOnComplete: true };
  let seen = 0;
  let target = 0;
  let reached;
  const count = (p) => {
    if (p.queue === name && ++seen === target) reached();
  };
  const until = (total) => {
    target = total;
    return new Promise((r) => {
      reached = r;
    });
  };
  if (isolation === "inline") task(`${name}-t`, options, (data) => data.i);
  else task(`${name}-t`, { ...options, sandbox: { isolation, pool: concurrency } }, noop);
  const controller = new AbortController();
  const run = runWorker(name, { backend, concurrency, signal: controller.signal });
  // Completions counted from the events, for every row alike: the sandboxed handler runs elsewhere.
  events.on("job:completed", count);
  const jobs = (k) => Array.from({ length: k }, (_, i) => ({ task: `${name}-t`, data: { i } }));
  // Warm-up: every sandbox of the pool started and its module loaded.
  let warm = until(concurrency * 4);
  await queue.addBulk(jobs(concurrency * 4));
  await warm;
  seen = 0;
  warm = until(n);
  const t0 = performance.now();
  for (let i = 0; i < n; i += 10_000) await queue.addBulk(jobs(Math.min(10_000, n - i)));
  await warm;
  const seconds = (performance.now() - t0) / 1000;
  events.off("job:completed", count);
  controller.abort();
  await run;
  await queue.obliterate({ force: true });
  return n / seconds;
}

/** The table of `node bench/run.js sandbox`; `measure(kind, metric, ...args)` runs one row's process. */
export function sandboxTable(measure, row, fmt) {
  for (const kind of ["memory", "sqlite"]) {
    for (const [concurrency, n] of [
      [1, 3_000],
      [4, 10_000],
    ]) {
      const inline = measure(kind, "sandboxThroughput", n, concurrency, "inline");
      row(kind, `in-process handler, concurrency ${concurrency} (jobs/s)`, fmt(inline));
      for (const isolation of ["thread", "process"]) {
        const rate = measure(kind, "sandboxThroughput", n, concurrency, isolation);
        // Wall time per job over the in-process row's: at concurrency 1, the latency a sandbox adds.
        const overhead = 1e6 / rate - 1e6 / inline;
        row(
          kind,
          `sandbox ${isolation}, pool ${concurrency} (jobs/s / +us per job)`,
          `${fmt(rate)} / ${fmt(overhead)}`,
        );
      }
    }
  }
}
