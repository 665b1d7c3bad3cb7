// BullMQ (Redis) driver:
//   node bench/peers/bullmq.js [defaults|tuned] <bulkInsert n | throughput n c | latency samples | backlog n c window>
// A key prefix of this process's own, removed afterwards.
// - defaults: BullMQ as it comes (jobs kept after completion, like asyncmq by default; the worker
//   blocks on its marker key for new jobs), with the Worker's `concurrency` set.
// - tuned: BullMQ's docs name two levers for a busy queue: the Worker's `concurrency` (both modes
//   set it; https://docs.bullmq.io/guide/workers/concurrency) and more workers in more processes
//   (https://docs.bullmq.io/guide/parallelism-and-concurrency; not used: every side of this bench
//   is one process), and they recommend auto-removal of finished jobs in production
//   (https://docs.bullmq.io/guide/workers/auto-removal-of-jobs). So tuned = defaults plus the
//   Worker's `removeOnComplete: { count: 0 }, removeOnFail: { count: 0 }`; the asyncmq side of a
//   tuned row removes its jobs too (BENCH_REMOVE_ON_COMPLETE=1 for bench/one.js). The settings it
//   says to leave alone (`stalledInterval`, `drainDelay`, lock options) stay at their defaults.
import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import { redisUsedMemory } from "../storage.js";
import {
  backlog,
  CHUNK,
  counter,
  main,
  percentiles,
  preciseNow,
  redisUrl,
  seconds,
  sleep,
  tag,
  tick,
} from "./common.js";

const prefix = tag("bullmq");
const connection = () => new IORedis(redisUrl, { maxRetriesPerRequest: null });
const removing = { removeOnComplete: { count: 0 }, removeOnFail: { count: 0 } };
const workerOptions = (mode) => (mode === "tuned" ? removing : {});
const settings = (mode, extra) =>
  mode === "tuned"
    ? `bullmq tuned: Worker removeOnComplete { count: 0 }, removeOnFail { count: 0 }${extra}, defaults otherwise`
    : `bullmq defaults (jobs kept)${extra}`;

async function withQueue(fn) {
  const conn = connection();
  const queue = new Queue("q", { connection: conn, prefix });
  await queue.waitUntilReady();
  try {
    return await fn(queue);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
    // Belt and braces: nothing of this run stays behind.
    let cursor = "0";
    do {
      const [next, keys] = await conn.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length) await conn.del(...keys);
      cursor = next;
    } while (cursor !== "0");
    await conn.quit();
  }
}

/** All `n` jobs done: kept jobs are counted complete (defaults); removed ones (tuned) are done once nothing waits or runs. */
async function finished(queue, mode, n) {
  if (mode !== "tuned") return (await queue.getCompletedCount()) >= n;
  const counts = await queue.getJobCounts("wait", "active", "prioritized", "paused", "delayed");
  return Object.values(counts).every((c) => c === 0);
}

async function preload(queue, n, data = () => ({})) {
  for (let i = 0; i < n; i += CHUNK) {
    const size = Math.min(CHUNK, n - i);
    await queue.addBulk(Array.from({ length: size }, (_, j) => ({ name: "noop", data: data(i + j) })));
  }
}

await main({
  // No tuned setting applies to adding jobs: the same in both modes.
  bulkInsert: (_mode, n) =>
    withQueue(async (queue) => {
      const t0 = performance.now();
      await preload(queue, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: `Queue.addBulk() in chunks of ${CHUNK} (both modes)` };
    }),

  throughput: (mode, n, concurrency) =>
    withQueue(async (queue) => {
      await preload(queue, n);
      const done = counter(n);
      const conn = connection();
      const t0 = performance.now();
      const worker = new Worker("q", async () => done.count(), {
        connection: conn,
        prefix,
        concurrency,
        ...workerOptions(mode),
      });
      await done.all;
      while (!(await finished(queue, mode, n))) await tick();
      const value = n / seconds(t0);
      await worker.close();
      await conn.quit();
      return { value, settings: settings(mode, `, Worker concurrency ${concurrency}`) };
    }),

  latency: (mode, samples) =>
    withQueue(async (queue) => {
      const lat = [];
      let next;
      const conn = connection();
      const worker = new Worker(
        "q",
        async (job) => {
          lat.push(preciseNow() - job.data.t);
          next();
        },
        { connection: conn, prefix, concurrency: 1, ...workerOptions(mode) },
      );
      await worker.waitUntilReady();
      await sleep(50);
      for (let i = 0; i < samples; i++) {
        const done = new Promise((r) => {
          next = r;
        });
        await queue.add("stamp", { t: preciseNow() });
        await done;
        await sleep(2);
      }
      await worker.close();
      await conn.quit();
      return { ...percentiles(lat), settings: settings(mode, ", Worker concurrency 1, Queue.add()") };
    }),

  // Storage: the Redis server's used_memory before and after the insert, as for asyncmq on Redis.
  backlog: (mode, n, concurrency, window) =>
    withQueue(async (queue) => {
      const result = await backlog(n, window, {
        size: () => redisUsedMemory(redisUrl),
        preload: () => preload(queue, n),
        work: async (started) => {
          const conn = connection();
          const worker = new Worker("q", async () => started(), {
            connection: conn,
            prefix,
            concurrency,
            ...workerOptions(mode),
          });
          return async () => {
            await worker.close();
            await conn.quit();
          };
        },
        finished: () => finished(queue, mode, n),
      });
      return { ...result, settings: settings(mode, `, Worker concurrency ${concurrency}, Queue.addBulk()`) };
    }),
});
