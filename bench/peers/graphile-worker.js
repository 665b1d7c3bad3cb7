// graphile-worker 0.17 (Postgres) driver:
//   node bench/peers/graphile-worker.js <bulkInsert n | throughput n c | latency samples>
// Defaults (LISTEN/NOTIFY wake-ups, pollInterval 2000 ms as the fallback, no local queue, no batched
// completion) with `concurrency` set; per-job log lines silenced (asyncmq logs nothing per job
// either). Schema of this process's own, dropped afterwards.
import { performance } from "node:perf_hooks";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
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

const schema = tag("gw");
const logger = new Logger(() => () => {});
const common = { connectionString: databaseUrl, schema, logger };

async function withUtils(fn) {
  const utils = await makeWorkerUtils(common);
  await utils.migrate();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await fn(utils, pool);
  } finally {
    await utils.release();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  }
}

async function preload(utils, n, payload = () => ({})) {
  for (let i = 0; i < n; i += CHUNK) {
    const size = Math.min(CHUNK, n - i);
    await utils.addJobs(
      Array.from({ length: size }, (_, j) => ({ identifier: "noop", payload: payload(i + j) })),
    );
  }
}

const remaining = async (pool) =>
  (await pool.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`)).rows[0].n;

await main({
  bulkInsert: (n) =>
    withUtils(async (utils) => {
      const t0 = performance.now();
      await preload(utils, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: `WorkerUtils.addJobs() in chunks of ${CHUNK}` };
    }),

  throughput: (n, concurrency) =>
    withUtils(async (utils, pool) => {
      await preload(utils, n);
      const done = counter(n);
      const t0 = performance.now();
      const runner = await run({
        ...common,
        concurrency,
        noHandleSignals: true,
        taskList: { noop: async () => done.count() },
      });
      await done.all;
      while ((await remaining(pool)) > 0) await tick(); // a completed job is deleted
      const value = n / seconds(t0);
      await runner.stop();
      return {
        value,
        settings: `run() concurrency ${concurrency}, defaults otherwise (pollInterval 2000 ms, LISTEN/NOTIFY)`,
      };
    }),

  latency: (samples) =>
    withUtils(async (utils) => {
      const lat = [];
      let next;
      const stamp = async (payload) => {
        lat.push(preciseNow() - payload.t);
        next();
      };
      const runner = await run({ ...common, concurrency: 1, noHandleSignals: true, taskList: { stamp } });
      await sleep(50);
      for (let i = 0; i < samples; i++) {
        const done = new Promise((r) => {
          next = r;
        });
        await utils.addJob("stamp", { t: preciseNow() });
        await done;
        await sleep(2);
      }
      await runner.stop();
      return {
        ...percentiles(lat),
        settings: "run() concurrency 1, LISTEN/NOTIFY (pollInterval 2000 ms fallback), addJob()",
      };
    }),
});
