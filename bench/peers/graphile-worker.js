// graphile-worker 0.17 (Postgres) driver:
//   node bench/peers/graphile-worker.js [defaults|tuned] <bulkInsert n | throughput n c | latency samples | backlog n c window>
// Per-job log lines silenced (asyncmq logs nothing per job either). Schema of this process's own,
// dropped afterwards.
// - defaults: LISTEN/NOTIFY wake-ups, pollInterval 2000 ms as the fallback, maxPoolSize 10, no
//   local queue, no batched completion; `concurrency` set.
// - tuned: the configuration of its performance page ("Quick stats",
//   https://worker.graphile.org/docs/performance, 0.17: website/docs/performance.md) at our
//   concurrency: preset.worker.localQueue { size: 500 }, completeJobBatchDelay 0,
//   failJobBatchDelay 0, and maxPoolSize = concurrency + 2 but at least 10 (the advice of
//   https://worker.graphile.org/docs/config#workermaxpoolsize; the page's own run used 24 jobs on 25
//   connections). Given to run() as `preset: { worker: { ... } }`.
import { performance } from "node:perf_hooks";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
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
import { tuned } from "./graphile-tuned.js";

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

const options = (mode, concurrency) => (mode === "tuned" ? tuned(concurrency) : {});
const describe = (mode, concurrency) =>
  mode === "tuned"
    ? `graphile-worker tuned: run() concurrency ${concurrency}, maxPoolSize ${tuned(concurrency).maxPoolSize}, preset.worker { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 }`
    : `graphile-worker defaults: run() concurrency ${concurrency} (maxPoolSize 10, pollInterval 2000 ms, LISTEN/NOTIFY, no local queue, no batched completion)`;

const remaining = async (pool) =>
  (await pool.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`)).rows[0].n;

const start = (mode, concurrency, taskList) =>
  run({ ...common, ...options(mode, concurrency), concurrency, noHandleSignals: true, taskList });

await main({
  // No tuned setting applies to adding jobs: the same in both modes.
  bulkInsert: (_mode, n) =>
    withUtils(async (utils) => {
      const t0 = performance.now();
      await preload(utils, n, (i) => ({ i }));
      return { value: n / seconds(t0), settings: `WorkerUtils.addJobs() in chunks of ${CHUNK} (both modes)` };
    }),

  throughput: (mode, n, concurrency) =>
    withUtils(async (utils, pool) => {
      await preload(utils, n);
      await analyzeSchema(databaseUrl, schema);
      const done = counter(n);
      const t0 = performance.now();
      const runner = await start(mode, concurrency, { noop: async () => done.count() });
      await done.all;
      // A completed job is deleted (with batched completion, once its batch is written).
      while ((await remaining(pool)) > 0) await tick();
      const value = n / seconds(t0);
      await runner.stop();
      return { value, settings: describe(mode, concurrency) };
    }),

  latency: (mode, samples) =>
    withUtils(async (utils) => {
      const lat = [];
      let next;
      const stamp = async (payload) => {
        lat.push(preciseNow() - payload.t);
        next();
      };
      const runner = await start(mode, 1, { stamp });
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
      return { ...percentiles(lat), settings: `${describe(mode, 1)}, addJob()` };
    }),

  // Storage: the schema's tables with their indexes and TOAST before and after the insert, as for
  // asyncmq on Postgres. A completed job is deleted: all are done when none is left.
  backlog: (mode, n, concurrency, window) =>
    withUtils(async (utils, pool) => {
      const result = await backlog(n, window, {
        size: () => schemaBytes(databaseUrl, schema),
        preload: () => preload(utils, n),
        work: async (started) => {
          const runner = await start(mode, concurrency, { noop: async () => started() });
          return () => runner.stop();
        },
        finished: async () => (await remaining(pool)) === 0,
      });
      return { ...result, settings: `${describe(mode, concurrency)}, WorkerUtils.addJobs()` };
    }),
});
