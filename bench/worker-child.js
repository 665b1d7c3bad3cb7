// A worker in its own process, for bench/processes.js: opens the backend, says "ready", runs a
// no-op task's queue at `concurrency` from the first line on stdin until stdin closes, then exits.
// Usage: node worker-child.js <url> <queue> <concurrency>
import { createInterface } from "node:readline";
import { createBackend, Queue, runWorker, task } from "asyncmq";

const [url, queueName, concurrency] = process.argv.slice(2);
const backend = createBackend(url);
task(`${queueName}-noop`, { queue: queueName }, () => null);
await new Queue(queueName, { backend }).getJobCounts(); // open (and migrate) before the clock starts
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
await lines.next();
const controller = new AbortController();
process.stdin.on("end", () => controller.abort());
await runWorker(queueName, { backend, concurrency: Number(concurrency), signal: controller.signal });
await backend.close();
