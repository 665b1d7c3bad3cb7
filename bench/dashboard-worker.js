// The worker of bench/dashboard-cost.js, in its own process: runs every queue of the run until it
// has completed `n` jobs in all, then prints { jobsPerSecond, cpuPer1000 }.
// Usage: node dashboard-worker.js <url> <metrics on|off> <n> <queue...>
import { performance } from "node:perf_hooks";
import { configure, createBackend, runWorker, task } from "asyncmq";

const [url, metrics, n, ...queues] = process.argv.slice(2);
const total = Number(n);
configure({ metrics: metrics === "on" });
const backend = createBackend(url);
let done = 0;
let allDone;
const finished = new Promise((resolve) => {
  allDone = resolve;
});
for (const q of queues) {
  task(`${q}-noop`, { queue: q }, () => {
    if (++done === total) allDone();
  });
}
const controller = new AbortController();
const t0 = performance.now();
const cpu0 = process.cpuUsage();
// One runtime per queue, as `asyncmq worker start q1 q2 ...` runs them: 10 x concurrency 10.
const runs = queues.map((q) => runWorker(q, { backend, concurrency: 10, signal: controller.signal }));
await finished;
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
controller.abort();
await Promise.all(runs);
await backend.close();
// CPU ms of this process per 1 000 jobs: the worker's own cost, less noisy than wall time.
const cpuPer1000 = (cpu.user + cpu.system) / 1000 / (total / 1000);
console.log(JSON.stringify({ jobsPerSecond: total / seconds, cpuPer1000 }));
