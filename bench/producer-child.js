// A producer in its own process, for cross-process enqueue-to-start latency: every line on stdin
// makes it enqueue one job stamped with the time of enqueue. Usage: node producer-child.js <url> <queue> <task>
import { createInterface } from "node:readline";
import { createBackend, Queue } from "asyncmq";
import { preciseNow } from "./measure.js";

const [url, queueName, taskName] = process.argv.slice(2);
const backend = createBackend(url);
const queue = new Queue(queueName, { backend });
await queue.getJobCounts(); // open and migrate before the first measured job
process.stdout.write("ready\n");
for await (const _line of createInterface({ input: process.stdin })) {
  await queue.add(taskName, { t: preciseNow() });
}
await backend.close();
