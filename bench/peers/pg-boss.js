// pg-boss 10 (Postgres) driver:
//   node bench/peers/pg-boss.js [defaults|tuned] <bulkInsert n | throughput n c | latency samples | backlog n c window>
// pg-boss polls (no LISTEN/NOTIFY for jobs). A work() worker loop fetches up to batchSize jobs, runs
// the handler on the batch, and sleeps out the rest of its polling interval; each work() call adds
// one such loop (https://github.com/timgit/pg-boss/blob/10.4.0/docs/api/workers.md).
// - defaults: one work() at the minimum pollingIntervalSeconds 0.5 (the default, 2, would make the
//   run minutes long) with batchSize = the concurrency (c jobs in flight); latency: batchSize 1.
// - tuned: several work() loops with large batches, its best in the measurement of issue 13: four
//   work() with batchSize 1000, pollingIntervalSeconds 0.5 (up to 4,000 jobs in flight, whatever c
//   is). Latency: one work() with batchSize 1, and boss.notifyWorker(id) right after send(), the
//   documented way to skip the rest of the polling interval (same process only; asyncmq's latency
//   measure also has its producer in the worker's process).
// Schema of this process's own, dropped afterwards.
import { performance } from "node:perf_hooks";
import pg from "pg";
import PgBoss from "pg-boss";
import { analyzeSchema } from "../analyze.js";
import { schemaBytes } from "../storage.js";
import {
  backlog,
  CHUNK,
  counter,
  databaseUrl,
  main,
  percentiles,
  preciseNow,
  seconds,
  sleep,
  tag,
  tick,
} from "./common.js";

const schema = tag("pgboss");
const POLL_S = 0.5; // the minimum pg-boss 10 allows
const TUNED = { workers: 4, batchSize: 1000 };
const name = "q";

async function withBoss(fn) {
  const boss = new PgBoss({ connectionString: databaseUrl, schema });
  boss.on("error", (err) => console.error(err));
  await boss.start();
  await boss.createQueue(name);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await fn(boss, pool);
  } finally {
    await boss.stop({ graceful: false, wait: true, timeout: 1000 });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

async function preload(boss, n, data = () => ({})) {
  for (let i = 0; i < n; i += CHUNK) {
    const size = Math.min(CHUNK, n - i);
    await boss.insert(Array.from({ length: size }, (_, j) => ({ name, data: data(i + j) })));
  }
}

const completed = async (pool) =>
  (
    await pool.query(`SELECT count(*)::int AS n FROM ${schema}.job WHERE name = $1 AND state = 'completed'`, [
      name,
    ])
  ).rows[0].n;

/** Starts the work() loops of `mode` with `handler`; returns the settings line. */
async function work(boss, mode, concurrency, handler) {
  const { workers, batchSize } = mode === "tuned" ? TUNED : { workers: 1, batchSize: concurrency };
  for (let i = 0; i < workers; i++) {
    await boss.work(name, { batchSize, pollingIntervalSeconds: POLL_S }, handler);
  }
  const what =
    mode === "tuned"
      ? `pg-boss tuned: ${workers} work() with batchSize ${batchSize} (up to ${workers * batchSize} in flight, not c=${concurrency})`
      : `pg-boss defaults: one work() with batchSize ${batchSize} (= c)`;
  return `${what}, pollingIntervalSeconds ${POLL_S}`;
}

await main({
  // No tuned setting applies to adding jobs: the same in both modes.
  bulkInsert: (_mode, n) =>
    withBoss(async (boss) => {
      const t0 = performance.now();
      await preload(boss, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: `insert() in chunks of ${CHUNK} (both modes)` };
    }),

  throughput: (mode, n, concurrency) =>
    withBoss(async (boss, pool) => {
      await preload(boss, n);
      await analyzeSchema(databaseUrl, schema);
      const done = counter(n);
      const handler = async (jobs) => {
        await Promise.all(jobs.map(async () => {}));
        done.count(jobs.length);
      };
      const t0 = performance.now();
      const settings = await work(boss, mode, concurrency, handler);
      await done.all;
      while ((await completed(pool)) < n) await tick();
      return { value: n / seconds(t0), settings };
    }),

  latency: (mode, samples) =>
    withBoss(async (boss) => {
      const lat = [];
      let next;
      const id = await boss.work(name, { batchSize: 1, pollingIntervalSeconds: POLL_S }, async ([job]) => {
        lat.push(preciseNow() - job.data.t);
        next();
      });
      await sleep(50);
      for (let i = 0; i < samples; i++) {
        const done = new Promise((r) => {
          next = r;
        });
        await boss.send(name, { t: preciseNow() });
        if (mode === "tuned") boss.notifyWorker(id);
        await done;
        await sleep(2);
      }
      const wake = mode === "tuned" ? "send() then notifyWorker(id)" : "send()";
      return {
        ...percentiles(lat),
        settings: `pg-boss ${mode}: work() batchSize 1, pollingIntervalSeconds ${POLL_S}, ${wake}`,
      };
    }),

  // Storage: the schema's tables (the queue's partition of `job` among them) with their indexes and
  // TOAST before and after the insert, as for asyncmq on Postgres. A batch's jobs all count as started
  // when its handler is called, so a mark lands on the batch that crosses it.
  backlog: (mode, n, concurrency, window) =>
    withBoss(async (boss, pool) => {
      let settings;
      const result = await backlog(n, window, {
        size: () => schemaBytes(databaseUrl, schema),
        preload: () => preload(boss, n),
        work: async (started) => {
          settings = await work(boss, mode, concurrency, async (jobs) => {
            started(jobs.length);
            await Promise.all(jobs.map(async () => {}));
          });
          // withBoss stops the workers with the boss.
          return () => {};
        },
        finished: async () => (await completed(pool)) >= n,
      });
      return { ...result, settings: `${settings}, insert()` };
    }),
});
