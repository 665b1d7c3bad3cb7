// `node bench/run.js sandbox [--repeat R]`: the cost of running a handler in a sandbox (worker
// thread, child process) against the same no-op handler in-process, on the memory and SQLite
// backends. Each measurement is one fresh process (bench/one.js sandboxThroughput); the sandboxes
// are started before the clock runs.
import { performance } from "node:perf_hooks";
import { events, Queue, runWorker, task } from "asyncmq";
import { fmt, median } from "./peers/suite.js";

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

/**
 * The table of `node bench/run.js sandbox`: `measure(kind, metric, ...args)` runs one measurement's
 * process, `row` prints a line. Each round runs in-process, thread and process in turn (so drift in
 * the machine's load touches all three alike); each figure is the median of `repeat` rounds.
 */
export function sandboxTable(measure, row, repeat = 1) {
  const modes = ["inline", "thread", "process"];
  for (const kind of ["memory", "sqlite"]) {
    for (const [concurrency, n] of [
      [1, 3_000],
      [4, 10_000],
    ]) {
      const rates = Object.fromEntries(modes.map((m) => [m, []]));
      for (let round = 0; round < repeat; round++) {
        for (const m of modes) rates[m].push(measure(kind, "sandboxThroughput", n, concurrency, m));
      }
      const inline = median(rates.inline);
      row(kind, `in-process handler, concurrency ${concurrency} (jobs/s)`, fmt(inline));
      for (const isolation of ["thread", "process"]) {
        const rate = median(rates[isolation]);
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
