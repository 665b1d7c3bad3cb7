// What the PostgreSQL server alone can do for a queue, with no Node client in the way: pgbench (a C
// client, 2 connections, prepared statements) runs each side's own claim-and-finish round over a
// backlog of removed-on-completion no-op jobs, and the server's CPU a job is read from /proc
// (bench/engine-cpu.js: the server must run on this machine). Three sides, alternated per round:
//   asyncmq:  the claim and finishBatch statements as the backend prepares them (claim 256, finish
//             them as completed), with a SELECT of the connection's active jobs in between for the ids
//             and tokens the finish needs (a worker has them from the claim; ~1 us a job here);
//   graphile-worker: the claim (local queue of 500) and batched completion statements its runner
//             sends, recorded from a short real run, the claim's ids aggregated in the statement;
//   minimal:  a job table of 9 columns and one partial index, a claim of 256 (UPDATE ... FOR UPDATE
//             SKIP LOCKED, synchronous_commit off as asyncmq's) and a DELETE fenced by token: the floor
//             of any design that writes a job's claim and its end.
// A side's jobs/s here bounds its worker's: the worker's own CPU shares the same cores.
// Usage: node bench/pg-ceiling.js [jobs = 600000] [rounds = 3] [seconds = 4]
// A scratch database asyncmq_ceiling on DATABASE_URL's server (default the local one), dropped at the end.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend, Queue } from "asyncmq";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
import { loadStatements } from "../dist/backends/postgres/statements.js";
import { postgresCpuSeconds } from "./engine-cpu.js";
import { counter } from "./peers/common.js";
import { tuned } from "./peers/graphile-tuned.js";
import { fmt, median } from "./peers/suite.js";

const [jobs = "600000", rounds = "3", seconds = "4"] = process.argv.slice(2);
const N = Number(jobs);
const server = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const DB = "asyncmq_ceiling";
const url = (() => {
  const u = new URL(server);
  u.pathname = `/${DB}`;
  return u.toString();
})();
// A busy worker's claim at concurrency 50 and prefetch 450, the side-by-side setting (250 since the
// backend allows 512, src/worker/claim-loop.ts; the ceilings in docs/performance.md were measured at 256).
const CLAIM = 256;
const NOW = Date.now();

/** `sql` with each `$n` replaced by `params[n]` (highest n first, so that $10 is not read as $1). */
function bind(sql, params) {
  let out = sql;
  for (const n of Object.keys(params).sort((a, b) => b - a)) out = out.replaceAll(`$${n}`, params[n]);
  return out;
}

async function withClient(target, fn) {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** asyncmq's side: its schema loaded through Queue.addBulk, and its round as pgbench SQL. */
async function asyncmqSide() {
  const backend = createBackend(`${url}?schema=aq`);
  const queue = new Queue("q", { backend });
  for (let i = 0; i < N; i += 10_000) {
    const size = Math.min(10_000, N - i);
    await queue.addBulk(
      Array.from({ length: size }, () => ({ task: "noop", options: { removeOnComplete: true } })),
    );
  }
  await backend.close();
  const s = loadStatements("aq");
  // Each pgbench variable is a parameter of its own: typed here, as the backend's statement types
  // its shared $n from any one use. $7 (a job id to claim) is NULL: the claim of any waiting job.
  const claim = bind(s.claim.text, {
    1: ":q::text",
    2: `${CLAIM}::integer`,
    3: `${NOW}::bigint`,
    4: ":client_id::text",
    5: `${NOW + 30_000}::bigint`,
    6: "'ceiling'::text",
    7: "NULL",
    8: "50::integer",
    9: "false",
    10: ":base::text",
  });
  const finish = bind(s.finishBatch.text, {
    1: ":q::text",
    2: `${NOW + 1}::bigint`,
    3: ":kinds::text[]",
    4: ":ids::text[]",
    5: ":tokens::text[]",
    6: ":payloads::text[]",
    7: ":runats::bigint[]",
    8: "'ceiling'::text",
    9: "false",
    10: "false",
  });
  const held = `SELECT coalesce(array_agg(id), '{}') AS ids, coalesce(array_agg(token), '{}') AS tokens,
  coalesce(array_agg('completed'::text), '{}') AS kinds, coalesce(array_agg(NULL::text), '{}') AS payloads,
  coalesce(array_agg(NULL::bigint), '{}') AS runats
  FROM aq.jobs WHERE queue = :q::text AND state = 'active' AND worker_id = :client_id::text`;
  return {
    name: "asyncmq",
    table: "aq.jobs",
    defines: ["q=q"],
    script: [
      "SELECT 't' || floor(random() * 1e9)::bigint || '-' AS base \\gset",
      `${oneLine(claim)};`,
      `${oneLine(held)} \\gset`,
      `${oneLine(finish)};`,
    ],
  };
}

/** graphile-worker's side: the statements its tuned runner sends, recorded while it runs 2,000 jobs. */
async function graphileSide() {
  const common = { connectionString: url, schema: "gw", logger: new Logger(() => () => {}) };
  const utils = await makeWorkerUtils(common);
  await utils.migrate();
  const add = (n) => utils.addJobs(Array.from({ length: n }, () => ({ identifier: "noop", payload: {} })));
  await add(2_000);
  const texts = new Set();
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, ...rest) {
    const text = typeof config === "string" ? config : config?.text;
    if (typeof text === "string" && text.includes("_private_jobs")) texts.add(text);
    return query.call(this, config, ...rest);
  };
  const done = counter(2_000);
  try {
    const runner = await run({
      ...common,
      ...tuned(50),
      concurrency: 50,
      noHandleSignals: true,
      taskList: { noop: async () => done.count() },
    });
    await done.all;
    await runner.stop();
  } finally {
    pg.Client.prototype.query = query;
  }
  for (let i = 0; i < N; i += 10_000) await add(Math.min(10_000, N - i));
  await utils.release();
  const claimText = [...texts].find((t) => /skip locked/i.test(t) && /returning \*\s*$/i.test(t));
  const completeText = [...texts].find(
    (t) => /^delete from/i.test(t.trim()) && /unnest\(\$1::bigint\[\]\)/.test(t),
  );
  // The claim is `with j as (...), q as (...) update ... returning *`: its last top-level UPDATE
  // becomes a CTE too, so that pgbench can keep the claimed ids (\gset) for the completion.
  const split = claimText?.search(/\n\s*update [^\n]*_private_jobs as jobs\s*\n\s*set/i) ?? -1;
  if (!claimText || !completeText || split < 0)
    throw new Error(
      "graphile-worker's claim or completion statement was not recognised: update bench/pg-ceiling.js",
    );
  const tasks = await withClient(url, async (c) => (await c.query("SELECT id FROM gw._private_tasks")).rows);
  const claim = `${claimText.slice(0, split)},\nclaimed as (${claimText
    .slice(split)
    .replace(
      /returning \*\s*$/i,
      "returning jobs.id",
    )})\nselect coalesce(array_agg(id), '{}') as ids from claimed`;
  return {
    name: "graphile-worker",
    table: "gw._private_jobs",
    defines: [`tasks={${tasks.map((t) => t.id).join(",")}}`],
    script: [
      `${oneLine(bind(claim, { 1: ":client_id::text", 2: ":tasks::int[]" }))} \\gset`,
      `${oneLine(bind(completeText, { 1: ":ids" }))};`,
    ],
  };
}

/** The floor: the least a job table can be, and a claim and fenced delete of it. */
async function minimalSide() {
  await withClient(url, async (c) => {
    await c.query(`CREATE SCHEMA mini;
      CREATE TABLE mini.jobs (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, queue text NOT NULL,
        priority integer NOT NULL DEFAULT 5, state text NOT NULL DEFAULT 'waiting', attempts integer NOT NULL
        DEFAULT 0, token text, lease_expires_at bigint, data text NOT NULL DEFAULT 'null', created_at bigint NOT NULL);
      CREATE INDEX mini_waiting ON mini.jobs (queue, priority, seq) WHERE state = 'waiting'`);
    await c.query("INSERT INTO mini.jobs (queue, created_at) SELECT 'q', $2 FROM generate_series(1, $1)", [
      N,
      NOW,
    ]);
  });
  const claim = `WITH unflushed AS (SELECT set_config('synchronous_commit', 'off', true)),
  cand AS (SELECT seq FROM mini.jobs WHERE queue = :q::text AND state = 'waiting' ORDER BY priority, seq
    LIMIT ${CLAIM} FOR UPDATE SKIP LOCKED),
  claimed AS (UPDATE mini.jobs j SET state = 'active', attempts = j.attempts + 1,
    token = 't' || :client_id::text || '.' || j.seq, lease_expires_at = ${NOW + 30_000}
    FROM cand WHERE j.seq = cand.seq AND (SELECT true FROM unflushed) RETURNING j.seq, j.token, j.data)
  SELECT coalesce(array_agg(seq), '{}') AS seqs, coalesce(array_agg(token), '{}') AS tokens FROM claimed`;
  return {
    name: "minimal",
    table: "mini.jobs",
    defines: ["q=q"],
    script: [
      `${oneLine(claim)} \\gset`,
      "DELETE FROM mini.jobs WHERE seq = ANY (:seqs::bigint[]) AND token = ANY (:tokens::text[]);",
    ],
  };
}

/**
 * A statement as one pgbench line: comments dropped, and a colon inside a string literal ('job:started')
 * spelled chr(58), as pgbench would take ":started" for a variable.
 */
const oneLine = (sql) =>
  sql
    .split("\n")
    .map((l) => l.replace(/--.*$/, "").trim())
    .filter(Boolean)
    .join(" ")
    .replace(/'(?:[^']|'')*'/g, (literal) =>
      /:[A-Za-z_]/.test(literal) ? `(${literal.replaceAll(":", "' || chr(58) || '")})` : literal,
    );

/** Copies each side's loaded table once, to start every run from the same backlog. */
async function keepTemplates(sides) {
  await withClient(url, async (c) => {
    for (const side of sides)
      await c.query(`CREATE TABLE public."tpl_${side.name}" AS SELECT * FROM ${side.table}`);
  });
}

/** Puts a side's backlog back as loaded, with statistics and nothing dirty in the buffers. */
async function reset(side) {
  await withClient(url, async (c) => {
    const { rows } = await c.query(
      `SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) AS cols FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''`,
      [side.table],
    );
    const cols = rows[0].cols;
    await c.query(`TRUNCATE ${side.table}`);
    await c.query(
      `INSERT INTO ${side.table} (${cols}) OVERRIDING SYSTEM VALUE SELECT ${cols} FROM public."tpl_${side.name}"`,
    );
    await c.query(`VACUUM ANALYZE ${side.table}`);
    await c.query("CHECKPOINT");
  });
}

const count = (table) =>
  withClient(url, async (c) => Number((await c.query(`SELECT count(*) FROM ${table}`)).rows[0].count));

/** One pgbench run of a side: jobs finished a second and the server's CPU a job. */
async function measure(side, dir) {
  await reset(side);
  const file = join(dir, `${side.name}.sql`);
  writeFileSync(file, `${side.script.join("\n")}\n`);
  const before = await count(side.table);
  const cpu0 = postgresCpuSeconds();
  const args = ["-n", "-M", "prepared", "-c", "2", "-j", "2", "-T", seconds, "-f", file];
  for (const d of side.defines) args.push("-D", d);
  const result = spawnSync("pgbench", [...args, url], { encoding: "utf8" });
  const cpu = postgresCpuSeconds() - cpu0;
  if (result.error)
    throw new Error(
      `pgbench did not start (${result.error.message}); it ships with the PostgreSQL server (Debian 12: postgresql-15)`,
    );
  if (result.status !== 0 || /error/i.test(result.stderr))
    throw new Error(`pgbench failed on ${side.name}:\n${result.stderr}`);
  const done = before - (await count(side.table));
  if (done >= before) throw new Error(`${side.name} ran out of jobs in ${seconds} s: give more than ${N}`);
  return {
    side: side.name,
    jobsPerSecond: Math.round(done / Number(seconds)),
    serverUsPerJob: Math.round((cpu * 1e7) / done) / 10,
  };
}

await withClient(server, (c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
await withClient(server, (c) => c.query(`CREATE DATABASE ${DB}`));
const dir = mkdtempSync(join(tmpdir(), "asyncmq-ceiling-"));
try {
  const sides = [await asyncmqSide(), await graphileSide(), await minimalSide()];
  await keepTemplates(sides);
  const runs = [];
  for (let r = 0; r < Number(rounds); r++) {
    for (const side of sides) {
      const m = await measure(side, dir);
      console.log(JSON.stringify(m));
      runs.push(m);
    }
  }
  console.log(`\nmedians of ${rounds} (${N} jobs loaded, pgbench -c 2 -T ${seconds}):`);
  for (const side of sides) {
    const mine = runs.filter((m) => m.side === side.name);
    console.log(
      `${side.name.padEnd(16)} ${fmt(median(mine.map((m) => m.jobsPerSecond))).padStart(8)} jobs/s  ${fmt(median(mine.map((m) => m.serverUsPerJob)), 1).padStart(5)} us of server CPU a job`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await withClient(server, (c) => c.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`));
}
