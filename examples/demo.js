// The README's first command: a real worker on the embedded default backend (the SQLite file
// ./.asyncmq/asyncmq.db) processing a mix of jobs: plain, prioritised, delayed, repeatable, failing
// and retrying, under a rate limit, with live progress and a summary. Finishes on its own.
import { closeSharedBackends, events, Queue, runWorker, task } from "asyncmq";

const QUEUE = "demo";
const queue = new Queue(QUEUE);
await queue.obliterate({ force: true }); // start clean on every run

task("resize-image", { queue: QUEUE }, async (data, ctx) => {
  await ctx.progress(50);
  await new Promise((r) => setTimeout(r, 5 + Math.random() * 15));
  return { file: data.file, width: 320 };
});
task(
  "send-email",
  { queue: QUEUE, retries: 2, backoff: { type: "fixed", delay: "200ms" } },
  async (data, ctx) => {
    // Every third email fails on its first attempt, then succeeds on the retry.
    if (data.n % 3 === 0 && ctx.job.attempts === 1) throw new Error(`SMTP timeout sending to ${data.to}`);
    return "sent";
  },
);
task("charge-card", { queue: QUEUE, retries: 1, backoff: 100 }, async (data) => {
  if (data.amount < 0) throw new Error(`refused: negative amount ${data.amount}`);
  return { charged: data.amount };
});
task("heartbeat", { queue: QUEUE }, () => ({ at: new Date().toISOString() }));

const ids = await queue.addBulk([
  ...Array.from({ length: 40 }, (_, i) => ({ task: "resize-image", data: { file: `photo-${i}.jpg` } })),
  ...Array.from({ length: 15 }, (_, i) => ({
    task: "send-email",
    data: { n: i, to: `user${i}@example.com` },
  })),
  { task: "charge-card", data: { amount: 42 }, options: { priority: 1 } },
  { task: "charge-card", data: { amount: -5 } },
]);
const delayed = await Promise.all([
  queue.add("send-email", { n: 100, to: "later@example.com" }, { delay: "1s" }),
  queue.add("resize-image", { file: "late.jpg" }, { delay: "2s" }),
]);
const total = ids.length + delayed.length + 3; // + three heartbeats from the repeatable
console.log(
  `enqueued ${ids.length + delayed.length} jobs on "${QUEUE}" (2 delayed) + a repeatable heartbeat every 700ms`,
);

const tally = { completed: 0, failed: 0, retried: 0 };
let heartbeats = 0;
const controller = new AbortController();
const line = () =>
  `completed ${tally.completed}  retried ${tally.retried}  failed ${tally.failed}  (${tally.completed + tally.failed}/${total})`;
// A live line on a terminal; a line every 10 jobs when the output is a file or pipe.
const show = () => {
  if (process.stdout.isTTY) process.stdout.write(`\r  ${line()}   `);
  else if ((tally.completed + tally.failed) % 10 === 0) console.log(`  ${line()}`);
};
events.on("job:completed", (p) => {
  if (p.queue !== QUEUE) return;
  tally.completed++;
  if (p.task === "heartbeat") heartbeats++;
  show();
  if (tally.completed + tally.failed >= total && heartbeats >= 3) controller.abort();
});
events.on("job:retrying", (p) => {
  if (p.queue === QUEUE) tally.retried++;
});
events.on("job:failed", (p) => {
  if (p.queue !== QUEUE) return;
  tally.failed++;
  console.log(
    `${process.stdout.isTTY ? "\n" : ""}  job ${p.jobId} (${p.task}) failed for good: ${p.error?.message}`,
  );
});

const started = Date.now();
const timer = setTimeout(() => controller.abort(), 50_000); // never hang the demo
await runWorker(QUEUE, {
  concurrency: 8,
  rateLimit: 40,
  rateInterval: "1s",
  repeatables: [{ task: "heartbeat", every: "700ms" }],
  signal: controller.signal,
});
clearTimeout(timer);

const counts = await queue.getJobCounts();
console.log(
  `\n\ndone in ${((Date.now() - started) / 1000).toFixed(1)}s (rate limit 40 jobs/s, concurrency 8)`,
);
console.log("final counts:", JSON.stringify(counts));
const [failedJob] = await queue.getJobs(["failed"]);
if (failedJob)
  console.log(
    `dead letter: job ${failedJob.id} (${failedJob.task}) after ${failedJob.attempts} attempts: ${failedJob.error?.message}`,
  );
console.log("jobs are stored in ./.asyncmq/asyncmq.db");
await closeSharedBackends();
