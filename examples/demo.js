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
const HEARTBEATS = 3; // the demo stops after the repeatable's third run
const total = ids.length + delayed.length + HEARTBEATS;
console.log(
  `enqueued ${ids.length + delayed.length} jobs on "${QUEUE}" (2 delayed), and a heartbeat every 700ms ` +
    `(a repeatable) runs ${HEARTBEATS} times: ${total} jobs to finish`,
);

const tally = { completed: 0, failed: 0, retried: 0 };
let heartbeats = 0;
const controller = new AbortController();
const live = process.stdout.isTTY === true;
const finished = () => tally.completed + tally.failed;
const line = () =>
  `completed ${tally.completed}  retried ${tally.retried}  failed ${tally.failed}  (${finished()}/${total})`;
// On a terminal, one line redrawn in place; in a file or pipe, a line every 10 jobs and at the end.
let drawn = false;
const show = () => {
  if (live) {
    process.stdout.write(`\r  ${line()}   `);
    drawn = true;
  } else if (finished() % 10 === 0 || finished() === total) console.log(`  ${line()}`);
};
/** Prints a whole line, ending the live counter's line first so that it is not overwritten. */
const say = (text) => {
  if (drawn) process.stdout.write("\n");
  drawn = false;
  console.log(text);
};
events.on("job:completed", (p) => {
  if (p.queue !== QUEUE) return;
  // Heartbeats past the third (the repeatable may fire while the worker stops) are not counted.
  if (p.task === "heartbeat" && ++heartbeats > HEARTBEATS) return;
  tally.completed++;
  show();
  if (finished() >= total) controller.abort();
});
events.on("job:retrying", (p) => {
  if (p.queue === QUEUE) tally.retried++;
});
events.on("job:failed", (p) => {
  if (p.queue !== QUEUE) return;
  tally.failed++;
  say(`  job ${p.jobId} (${p.task}) failed for good: ${p.error.message}`);
  show();
  if (finished() >= total) controller.abort();
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
say(`done in ${((Date.now() - started) / 1000).toFixed(1)}s (rate limit 40 jobs/s, concurrency 8)`);
const nonZero = Object.entries(counts).filter(([, n]) => n > 0);
say(`final counts: ${nonZero.map(([state, n]) => `${n} ${state}`).join(", ") || "no jobs"}`);
const [failedJob] = await queue.getJobs(["failed"]);
if (failedJob)
  console.log(
    `dead letter: job ${failedJob.id} (${failedJob.task}) after ${failedJob.attempts} attempts: ${failedJob.error?.message}`,
  );
console.log("jobs are stored in ./.asyncmq/asyncmq.db");
await closeSharedBackends();
