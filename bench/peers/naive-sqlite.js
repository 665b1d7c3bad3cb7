// A hand-written better-sqlite3 job loop (SQLite) driver:
//   node bench/peers/naive-sqlite.js [defaults|tuned] <bulkInsert n | throughput n c | latency samples>
// Not a library: the loop someone writes instead of adopting a queue, as the floor a queue on SQLite
// has to beat. One table `jobs (id, payload, state, attempts, locked_until)` with an index on
// (state, id), in a WAL file with synchronous=NORMAL (SQLite's advice for WAL), in a folder of this
// process's own, removed afterwards. Jobs are claimed oldest first; a claim sets a 30 s lock
// (locked_until) and a job ends as `done`, kept. Left out, as a first version would: retries,
// reclaiming jobs whose lock expired, events, metrics. The handler is a no-op async function, given
// the parsed payload.
// - bulk insert (both modes): each chunk of 10,000 is one transaction of prepared INSERTs.
// - defaults: `concurrency` loops share one connection; each claims one job per transaction
//   (UPDATE ... RETURNING the oldest waiting job), awaits the handler, marks the job done in another
//   transaction, and polls every 10 ms while nothing waits.
// - tuned: what one writes by hand once that loop is too slow: one loop claims up to `concurrency`
//   jobs in one transaction (UPDATE ... WHERE id IN (the oldest waiting, LIMIT concurrency)),
//   runs their handlers together, then marks them all done in one transaction; as many jobs in
//   flight as the defaults loops, two transactions per batch instead of two per job.
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { CHUNK, counter, main, percentiles, preciseNow, seconds, sleep, tag } from "./common.js";

const LOCK_MS = 30_000;
const POLL_MS = 10;

async function withDatabase(fn) {
  // This process's folder (suite.js's sweep removes it after a run that failed).
  const dir = join(tmpdir(), tag("naive-sqlite"));
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, "jobs.db"));
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(`CREATE TABLE jobs (
      id INTEGER PRIMARY KEY,
      payload TEXT NOT NULL,
      state TEXT NOT NULL DEFAULT 'waiting',
      attempts INTEGER NOT NULL DEFAULT 0,
      locked_until INTEGER
    );
    CREATE INDEX jobs_by_state ON jobs (state, id);`);
    return await fn(db);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds `n` jobs, one transaction per chunk of CHUNK. */
function preload(db, n, payload = () => ({})) {
  const insert = db.prepare("INSERT INTO jobs (payload) VALUES (?)");
  const chunk = db.transaction((from, size) => {
    for (let i = from; i < from + size; i++) insert.run(JSON.stringify(payload(i)));
  });
  for (let i = 0; i < n; i += CHUNK) chunk(i, Math.min(CHUNK, n - i));
}

/**
 * Starts the worker of `mode` on `db` with `handler(payload)`; returns stop(), which resolves once
 * every loop has finished its job in hand.
 */
function startWorker(db, mode, concurrency, handler) {
  const claim = (limit) =>
    db
      .prepare(
        `UPDATE jobs SET state = 'active', attempts = attempts + 1, locked_until = ?
         WHERE id IN (SELECT id FROM jobs WHERE state = 'waiting' ORDER BY id LIMIT ${limit})
         RETURNING id, payload`,
      )
      .raw();
  const done = db.prepare("UPDATE jobs SET state = 'done', locked_until = NULL WHERE id = ?");
  let stopping = false;
  let loops;
  if (mode === "tuned") {
    const claimBatch = claim(concurrency);
    const doneBatch = db.transaction((ids) => {
      for (const id of ids) done.run(id);
    });
    loops = [
      (async () => {
        while (!stopping) {
          const rows = claimBatch.all(Date.now() + LOCK_MS);
          if (rows.length === 0) {
            await sleep(POLL_MS);
            continue;
          }
          await Promise.all(rows.map(([, payload]) => handler(JSON.parse(payload))));
          doneBatch(rows.map(([id]) => id));
        }
      })(),
    ];
  } else {
    const claimOne = claim(1);
    loops = Array.from({ length: concurrency }, async () => {
      while (!stopping) {
        const row = claimOne.get(Date.now() + LOCK_MS);
        if (row === undefined) {
          await sleep(POLL_MS);
          continue;
        }
        await handler(JSON.parse(row[1]));
        done.run(row[0]);
      }
    });
  }
  return async () => {
    stopping = true;
    await Promise.all(loops);
  };
}

const describe = (mode, concurrency) =>
  mode === "tuned"
    ? `naive-sqlite tuned: one loop claiming up to ${concurrency} jobs per transaction, one transaction to mark them done, ${POLL_MS} ms poll when idle; WAL, synchronous NORMAL`
    : `naive-sqlite defaults: ${concurrency} loops on one connection, one job per claim transaction and one per done transaction, ${POLL_MS} ms poll when idle; WAL, synchronous NORMAL`;

const doneCount = (db) => db.prepare("SELECT count(*) FROM jobs WHERE state = 'done'").pluck();

await main({
  // Batching does not apply to adding jobs: the same in both modes.
  bulkInsert: (_mode, n) =>
    withDatabase(async (db) => {
      const t0 = performance.now();
      preload(db, n, (i) => ({ i }));
      return {
        value: n / seconds(t0),
        settings: `one transaction of prepared INSERTs per chunk of ${CHUNK} (both modes)`,
      };
    }),

  throughput: (mode, n, concurrency) =>
    withDatabase(async (db) => {
      preload(db, n);
      const all = counter(n);
      const t0 = performance.now();
      const stop = startWorker(db, mode, concurrency, async () => all.count());
      await all.all;
      // The handler of the last job has run; it is complete once its done transaction committed.
      const completed = doneCount(db);
      while (completed.get() < n) await sleep(0);
      const value = n / seconds(t0);
      await stop();
      return { value, settings: describe(mode, concurrency) };
    }),

  latency: (mode, samples) =>
    withDatabase(async (db) => {
      const lat = [];
      let next;
      const stop = startWorker(db, mode, 1, async (payload) => {
        lat.push(preciseNow() - payload.t);
        next();
      });
      const add = db.prepare("INSERT INTO jobs (payload) VALUES (?)");
      await sleep(50);
      for (let i = 0; i < samples; i++) {
        const done = new Promise((r) => {
          next = r;
        });
        add.run(JSON.stringify({ t: preciseNow() }));
        await done;
        await sleep(2);
      }
      await stop();
      return { ...percentiles(lat), settings: `${describe(mode, 1)}, one INSERT per job` };
    }),
});
