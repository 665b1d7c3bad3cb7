// BullMQ (Redis) driver: node bench/peers/bullmq.js <bulkInsert n | throughput n c | latency samples>
// BullMQ defaults throughout (jobs kept after completion, like asyncmq; worker blocks on its marker
// key for new jobs); a key prefix of this process's own, removed afterwards.

import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import {
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
const settings = (extra) => `bullmq defaults (ioredis, prefix per run)${extra}`;

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

async function preload(queue, n, data = () => ({})) {
  for (let i = 0; i < n; i += CHUNK) {
    const size = Math.min(CHUNK, n - i);
    await queue.addBulk(Array.from({ length: size }, (_, j) => ({ name: "noop", data: data(i + j) })));
  }
}

await main({
  bulkInsert: (n) =>
    withQueue(async (queue) => {
      const t0 = performance.now();
      await preload(queue, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: settings(`, addBulk in chunks of ${CHUNK}`) };
    }),

  throughput: (n, concurrency) =>
    withQueue(async (queue) => {
      await preload(queue, n);
      const done = counter(n);
      const conn = connection();
      const t0 = performance.now();
      const worker = new Worker("q", async () => done.count(), { connection: conn, prefix, concurrency });
      await done.all;
      while ((await queue.getCompletedCount()) < n) await tick();
      const value = n / seconds(t0);
      await worker.close();
      await conn.quit();
      return { value, settings: settings(`, Worker concurrency ${concurrency}`) };
    }),

  latency: (samples) =>
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
        { connection: conn, prefix, concurrency: 1 },
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
      return { ...percentiles(lat), settings: settings(", Worker concurrency 1, Queue.add") };
    }),
});
