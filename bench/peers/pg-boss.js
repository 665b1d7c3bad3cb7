// pg-boss 10 (Postgres) driver: node bench/peers/pg-boss.js <bulkInsert n | throughput n c | latency samples>
// pg-boss polls (no LISTEN/NOTIFY for jobs): work() is set to its minimum polling interval (0.5 s).
// A worker loop fetches up to batchSize jobs, runs the handler on the batch, and sleeps out the rest
// of the interval; concurrency c is one work() with batchSize c (c jobs in flight). Schema of this
// process's own, dropped afterwards.
import { performance } from "node:perf_hooks";
import pg from "pg";
import PgBoss from "pg-boss";
import {
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

await main({
  bulkInsert: (n) =>
    withBoss(async (boss) => {
      const t0 = performance.now();
      await preload(boss, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: `pg-boss defaults, insert() in chunks of ${CHUNK}` };
    }),

  throughput: (n, concurrency) =>
    withBoss(async (boss, pool) => {
      await preload(boss, n);
      const done = counter(n);
      const t0 = performance.now();
      await boss.work(name, { batchSize: concurrency, pollingIntervalSeconds: POLL_S }, async (jobs) => {
        await Promise.all(jobs.map(async () => {}));
        done.count(jobs.length);
      });
      await done.all;
      while ((await completed(pool)) < n) await tick();
      return {
        value: n / seconds(t0),
        settings: `one work() with batchSize ${concurrency}, pollingIntervalSeconds ${POLL_S}`,
      };
    }),

  latency: (samples) =>
    withBoss(async (boss) => {
      const lat = [];
      let next;
      await boss.work(name, { batchSize: 1, pollingIntervalSeconds: POLL_S }, async ([job]) => {
        lat.push(preciseNow() - job.data.t);
        next();
      });
      await sleep(50);
      for (let i = 0; i < samples; i++) {
        const done = new Promise((r) => {
          next = r;
        });
        await boss.send(name, { t: preciseNow() });
        await done;
        await sleep(2);
      }
      return {
        ...percentiles(lat),
        settings: `work() batchSize 1, pollingIntervalSeconds ${POLL_S}, send()`,
      };
    }),
});
