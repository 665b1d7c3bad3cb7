/**
 * PostgreSQL-specific behaviour: connection failures, migrations (idempotent, concurrent, refusing a
 * newer schema), a caller's Pool, two backends seeing each other's wake-ups and events, and a real
 * child process killed mid-job whose job another process recovers.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NewJob, QueueEvent, WakeReason } from "../../src/backends/backend.js";
import { arrayLiteral } from "../../src/backends/postgres/array-literal.js";
import { Connection } from "../../src/backends/postgres/connection.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { loadStatements, type Statement } from "../../src/backends/postgres/statements.js";
import { JobsVacuum } from "../../src/backends/postgres/vacuum.js";
import { createBackend } from "../../src/backends/registry.js";
import { BackendError } from "../../src/errors.js";
import { setLogger } from "../../src/logger.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { completions, rateLimitsOf, repeatablesOf } from "../conformance/helpers.js";
import { sample } from "../conformance/suite/metrics.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
let url: string;
const schemas: string[] = [];
/** A schema of its own for one test; dropped after the file. */
function freshSchema(label: string): string {
  const schema = testSchema(label);
  schemas.push(schema);
  return schema;
}

const open: PostgresBackend[] = [];
function backend(schema: string): PostgresBackend {
  const b = new PostgresBackend({ url, schema });
  open.push(b);
  return b;
}

beforeAll(async () => {
  url = await postgresUrl();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  for (const schema of schemas) await dropSchema(url, schema);
  stopPostgres();
});

function job(over: Partial<NewJob> = {}): NewJob {
  return { task: "t", dataJson: '{"n":1}', priority: 5, maxRetries: 0, createdAt: Date.now(), ...over };
}

async function until(check: () => boolean | Promise<boolean>, ms = 3000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The connection of `b`'s job store, for tests that watch or fail its transactions. */
function dbOf(b: PostgresBackend): Connection {
  return (b as unknown as { engine: { jobs: { db: Connection } } }).engine.jobs.db;
}

/** Calls `see` with each statement (and its values) that `b`'s job store runs in a transaction. */
function watchTransactions(
  b: PostgresBackend,
  see: (stmt: Statement, values: unknown[]) => void,
): Connection {
  const db = dbOf(b);
  const transaction = db.transaction.bind(db);
  db.transaction = (fn) =>
    transaction((q) =>
      fn((stmt, values) => {
        see(stmt, values);
        return q(stmt, values);
      }),
    );
  return db;
}

/** Claims up to 10 jobs of `q` and completes them in one finish: what it returned, and its time. */
async function completeClaimed(b: PostgresBackend, q: string): Promise<{ held: boolean[]; now: number }> {
  const claimed = await b.claim(q, { workerId: "w", limit: 10, leaseMs: 30_000, now: Date.now() });
  const now = Date.now();
  const items = claimed.map((j) => ({
    kind: "completed" as const,
    jobId: j.id,
    token: j.token,
    resultJson: "1",
  }));
  return { held: await b.finish(q, items, now), now };
}

async function query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe("PostgresBackend: connection failures", () => {
  it("a server that is not there fails promptly with a BackendError naming the URL, not the password", async () => {
    const b = new PostgresBackend({ url: "postgres://asyncmq:s3cret@127.0.0.1:1/nowhere" });
    const start = Date.now();
    const err = await b.getJobCounts("q").catch((e: unknown) => e);
    expect(Date.now() - start).toBeLessThan(5000);
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).toMatch(/127\.0\.0\.1:1/);
    expect(message).toMatch(/running|url/);
    expect(message).not.toMatch(/s3cret/);
    await b.close();
    await b.close();
  });

  it("a host that does not resolve fails with a BackendError too", async () => {
    const b = new PostgresBackend({ url: "postgres://postgres@no-such-host.invalid:5432/postgres" });
    await expect(b.enqueue("q", [job()])).rejects.toBeInstanceOf(BackendError);
    await b.close();
  });

  it("rejects a schema name that is not a plain identifier", () => {
    expect(() => new PostgresBackend({ url, schema: 'bad"; drop' })).toThrow(/schema must be/);
  });

  it("rejects a transactionPooling that is not a boolean and a listenUrl that is not a postgres URL", () => {
    const pooling = "yes" as unknown as boolean;
    expect(() => new PostgresBackend({ url, transactionPooling: pooling })).toThrow(
      /transactionPooling must be true or false, got "yes"/,
    );
    expect(() => new PostgresBackend({ url, listenUrl: "127.0.0.1:5432" })).toThrow(
      /listenUrl must be a postgres:\/\/ URL of a direct connection/,
    );
  });
});

describe("PostgresBackend: migrations", () => {
  async function catalog(schema: string) {
    return {
      versions: await query(`SELECT version, name FROM "${schema}".migrations ORDER BY version`),
      objects: await query(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY 1",
        [schema],
      ),
    };
  }

  it("several backends starting at once on a fresh schema migrate it exactly once", async () => {
    const schema = freshSchema("mig");
    const many = Array.from({ length: 4 }, () => backend(schema));
    await Promise.all(many.map((b, i) => b.enqueue("q", [job({ dataJson: String(i) })])));
    const before = await catalog(schema);
    expect(before.versions.length).toBeGreaterThanOrEqual(1);
    expect(new Set(before.versions.map((v) => v.version)).size).toBe(before.versions.length);
    expect(before.objects.some((o) => o.relname === "jobs_waiting")).toBe(true);
    await backend(schema).listQueues();
    expect(await catalog(schema)).toEqual(before);
    expect((await backend(schema).getJobCounts("q")).waiting).toBe(4);
  });

  it("a schema at version 1 gets the metrics table by migration; its jobs stay", async () => {
    const schema = freshSchema("v1");
    const a = backend(schema);
    await a.enqueue("m", [job()]);
    // Turn the schema back into what version 1 made.
    await query(
      `DROP TABLE "${schema}".metrics; ALTER TABLE "${schema}".jobs DROP COLUMN stall_charge, DROP COLUMN stall_peers; ` +
        `ALTER TABLE "${schema}".repeat_slots DROP COLUMN runs; ` +
        `ALTER TABLE "${schema}".queues DROP COLUMN global_concurrency; DROP FUNCTION "${schema}".claim_room; ` +
        // 007 (flows): job_deps.child_queue (its index goes with it), job_dep_results.
        `DROP TABLE "${schema}".job_dep_results; ALTER TABLE "${schema}".job_deps DROP COLUMN child_queue; ` +
        `CREATE INDEX job_deps_by_child ON "${schema}".job_deps (queue, child_id); ` +
        // 008 (trace context).
        `ALTER TABLE "${schema}".jobs DROP COLUMN trace_context; ` +
        // 009 (leaders): the leaders table.
        `DROP TABLE "${schema}".leaders; ` +
        `DELETE FROM "${schema}".migrations WHERE version >= 2`,
    );
    const b = backend(schema);
    await b.metrics?.record("m", [sample(0, 2)], 0, 60_000);
    expect((await b.metrics?.totals("m"))?.completed).toBe(2);
    expect((await b.getJobCounts("m")).waiting).toBe(1);
    const versions = await query<{ version: number }>(`SELECT version FROM "${schema}".migrations`);
    expect(versions.map((v) => v.version)).toContain(2);
  });

  it("refuses a schema newer than this code, asking to upgrade asyncmq", async () => {
    const schema = freshSchema("newer");
    await backend(schema).listQueues();
    await query(`INSERT INTO "${schema}".migrations (version, name) VALUES (999, 'from_the_future')`);
    const b = backend(schema);
    const err = await b.listQueues().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/version 999.*upgrade asyncmq/);
  });
});

describe("PostgresBackend: query plans", () => {
  it("the hot path and the scanners read their index: no sequential scan, no sort of the queue", async () => {
    const schema = freshSchema("plans");
    const b = backend(schema);
    const now = Date.now();
    // Enough rows, spread over states and queues, for the planner to prefer indexes as it would in production.
    for (const q of ["p", "other"]) {
      await b.enqueue(
        q,
        Array.from({ length: 10_000 }, () => job({ ttl: 3_600_000 })),
      );
      await b.enqueue(
        q,
        Array.from({ length: 2000 }, () => job({ runAt: now + 60_000 })),
      );
      const claimed = await b.claim(q, { workerId: "w", limit: 3000, leaseMs: 60_000, now });
      await b.finish(q, completions(claimed.slice(0, 2000)), now);
    }
    // Logs of many jobs: the finish statement deletes a removed job's logs by job, never by a scan.
    await query(
      `INSERT INTO "${schema}".job_logs (queue, job_id, message) SELECT 'p', (n % 12000)::text, 'line' FROM generate_series(1, 20000) n`,
    );
    await query(`ANALYZE "${schema}".jobs`);
    await query(`ANALYZE "${schema}".job_logs`);
    const s = loadStatements(schema);
    const cases: Array<[keyof typeof s, unknown[], RegExp]> = [
      ["claim", ["p", 50, now, "w", now + 1000, "o", null, 50, false, "t."], /jobs_waiting/],
      ["claim", ["p", 1, now, "w", now + 1000, "o", "5000", 1, false, "t."], /jobs_by_id/],
      // Gated (a queue with a global concurrency): the same plans.
      ["claim", ["p", 50, now, "w", now + 1000, "o", null, 50, true, "t."], /jobs_waiting/],
      ["claim", ["p", 1, now, "w", now + 1000, "o", "5000", 1, true, "t."], /jobs_by_id/],
      [
        "finishBatch",
        [
          "p",
          now,
          ["completed", "retry"],
          ["2500", "2501"],
          ["a", "b"],
          ["1", "{}"],
          [null, now],
          "o",
          false,
          false,
        ],
        /jobs_by_id/,
      ],
      // A removed job's logs, found by job.
      [
        "finishBatch",
        ["p", now, ["completed"], ["2500"], ["a"], ["1"], [null], "o", false, false],
        /job_logs_by_job/,
      ],
      ["extendLeases", ["p", now, ["2500", "2501"], ["a", "b"]], /jobs_by_id/],
      ["promoteDelayed", ["p", now, 100, "o", now], /jobs_delayed/],
      ["promoteDelayed", ["p", now, 100, "o", Number.MAX_SAFE_INTEGER], /jobs_delayed/],
      ["retryJobs", ["p", "completed", now, 100], /jobs_finished/],
      ["expiredLeases", ["p", now], /jobs_leases/],
      ["dueExpiries", ["p", now, 100], /jobs_ttl/],
      ["dueRemovals", ["p", now, 100], /jobs_retention/],
      ["beyondCount", ["p", "completed", 10], /jobs_finished/],
      ["jobGet", ["p", "77"], /jobs_by_id/],
      // Admin reads (migration 010): finished and delayed jobs from jobs_by_state (or jobs_delayed),
      // waiting ones from jobs_pkey or jobs_waiting: the planner's pick, which may sort what it reads.
      // (cleanWaiting and countByState are not here: reading 30% of this table's rows is rightly a
      // sequential scan, whenever the visibility map does not favour an index-only one.)
      ["jobsDesc", ["p", ["completed", "delayed"], 50, 50, 0], /jobs_by_state/],
      ["jobsAsc", ["p", ["waiting"], 50, 50, 0], /jobs_pkey|jobs_waiting/],
      ["cleanUnfinished", ["p", "delayed", now, 10], /jobs_by_state|jobs_delayed/],
    ];
    const adminReads = new Set(["jobsDesc", "jobsAsc", "cleanUnfinished"]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const [name, values, index] of cases) {
        await client.query("BEGIN");
        const r = await client.query({ text: `EXPLAIN (COSTS off) ${s[name].text}`, values });
        await client.query("ROLLBACK");
        const plan = r.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
        expect(plan, `${name}:\n${plan}`).toMatch(index);
        expect(plan, `${name}:\n${plan}`).not.toMatch(/Seq Scan on (jobs|job_logs)\b/);
        // Sorting the returned batch (50 rows) is fine; sorting the queue under a Limit is not. (The
        // count-retention trim reads most of a small finished set here, which the planner may sort.)
        if (name !== "beyondCount" && !adminReads.has(name))
          expect(plan, `${name}:\n${plan}`).not.toMatch(/Limit[\s\S]*->\s+Sort\b[\s\S]*Scan[\s\S]*on jobs\b/);
      }
    } finally {
      await client.end();
    }
  }, 60_000);

  it("the hot pool's generic plans of claim and finishBatch read their index over a one-queue backlog", async () => {
    // The hot pool plans these two once, for any parameters (force_generic_plan). Such a plan cannot
    // see the claim's limit, and over a table that is mostly one queue's waiting jobs, once it has
    // statistics, it joined the claimed rows to a sequential scan of every job: 23 ms a claim of 256
    // over 100,000 jobs, a third of the rate (docs/performance.md).
    const schema = freshSchema("generic_plans");
    const b = backend(schema);
    const now = Date.now();
    await b.enqueue(
      "q",
      Array.from({ length: 2000 }, () => job()),
    );
    await query(`ANALYZE "${schema}".jobs`);
    const s = loadStatements(schema);
    const cases: Array<["claim" | "finishBatch", unknown[], RegExp]> = [
      ["claim", ["q", 256, now, "w", now + 1000, "o", null, 50, false, "t."], /jobs_waiting/],
      ["claim", ["q", 1, now, "w", now + 1000, "o", "7", 1, false, "t."], /jobs_by_id/],
      [
        "finishBatch",
        ["q", now, ["completed"], ["7"], ["t.7"], ["1"], [null], "o", false, false],
        /jobs_by_id/,
      ],
    ];
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const literal = (v: unknown): string =>
      v === null
        ? "NULL"
        : Array.isArray(v)
          ? client.escapeLiteral(arrayLiteral(v))
          : typeof v === "string"
            ? client.escapeLiteral(v)
            : String(v);
    try {
      await client.query("SET plan_cache_mode = force_generic_plan");
      for (const [i, [name, values, index]] of cases.entries()) {
        await client.query(`PREPARE generic_${i} AS ${s[name].text}`);
        await client.query("BEGIN");
        const r = await client.query(
          `EXPLAIN (COSTS off) EXECUTE generic_${i}(${values.map(literal).join(", ")})`,
        );
        await client.query("ROLLBACK");
        const plan = r.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
        expect(plan, `${name}:\n${plan}`).toMatch(index);
        expect(plan, `${name}:\n${plan}`).not.toMatch(/Seq Scan on (jobs|job_logs)\b/);
      }
    } finally {
      await client.end();
    }
  });
});

describe("PostgresBackend: a caller's Pool", () => {
  it("uses it, releases its LISTEN connection on close and leaves the pool open", async () => {
    const schema = freshSchema("pool");
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    try {
      const b = new PostgresBackend({ pool, schema });
      expect(b.schema).toBe(schema);
      await b.enqueue("pool-q", [job()]);
      const off = b.onWake("pool-q", () => {});
      await b.listening();
      const listeners = await query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND datname = current_database()",
      );
      expect(Number(listeners[0]?.n)).toBeGreaterThanOrEqual(1);
      off();
      await b.close();
      expect(() => new PostgresBackend(new pg.Pool({ connectionString: url, max: 1 }))).toThrow(/max >= 2/);
      expect(pool.totalCount - pool.idleCount).toBe(0);
      expect((await pool.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });
});

describe("PostgresBackend: claim batch", () => {
  it("asks workers for batches of 512, and claims and ends 512 jobs in one call each", async () => {
    const b = backend(freshSchema("claim_batch"));
    expect(b.claimBatch).toBe(512);
    const q = "batch";
    await b.enqueue(
      q,
      Array.from({ length: 600 }, () => job()),
    );
    const now = Date.now();
    const { claimed } = await b.finishAndClaim(q, [], now, {
      workerId: "w",
      limit: 512,
      leaseMs: 30_000,
      now,
    });
    expect(claimed).toHaveLength(512);
    const ended = await b.finishAndClaim(q, completions(claimed), now, {
      workerId: "w",
      limit: 512,
      leaseMs: 30_000,
      now,
    });
    expect(ended.held).toEqual(claimed.map(() => true));
    expect(ended.claimed).toHaveLength(88);
    expect(await b.getJobCounts(q)).toMatchObject({ completed: 512, active: 88, waiting: 0 });
  });
});

describe("PostgresBackend: bulk insert", () => {
  it("stores every string as given across chunks (quotes, backslashes, braces, NULL, unicode), in order", async () => {
    const b = backend(freshSchema("bulk_strings"));
    const odd = [
      'a "quoted" \\ back\\slash',
      "{braces},commas",
      "NULL",
      "",
      "ünï 😀",
      " spaced ",
      "tab\tnew\nline",
    ];
    // 4,500 jobs: three statements (2,000 per chunk), each built while the one before runs.
    const jobs = Array.from({ length: 4500 }, (_, i) => {
      const text = odd[i % odd.length] as string;
      return job({
        task: `t ${text}`,
        dataJson: JSON.stringify({ i, text }),
        backoff: { type: "fixed", delay: i },
        traceContext: { traceparent: text },
        ...(i % 3 === 0 ? { ttl: 60_000, timeout: i } : {}),
      });
    });
    const added = await b.enqueue("q", jobs);
    expect(added.map((r) => r.id)).toEqual(jobs.map((_, i) => String(i + 1)));
    for (const i of [0, 1, 2, 3, 4, 5, 6, 1999, 2000, 2001, 4499]) {
      const text = odd[i % odd.length] as string;
      const got = await b.getJob("q", String(i + 1));
      expect(got).toMatchObject({
        task: `t ${text}`,
        data: { i, text },
        backoff: { type: "fixed", delay: i },
      });
      expect(got?.traceContext).toEqual({ traceparent: text });
      expect(got?.ttl).toBe(i % 3 === 0 ? 60_000 : undefined);
      expect(got?.timeout).toBe(i % 3 === 0 ? i : undefined);
    }
    // FIFO across the chunks: claims come in the order added.
    const claimed = await b.claim("q", { workerId: "w", limit: 64, leaseMs: 60_000, now: Date.now() });
    expect(claimed.map((c) => c.id)).toEqual(jobs.slice(0, 64).map((_, i) => String(i + 1)));
  });

  it("sends a column no job of a chunk sets as NULL, not an array of NULLs; the jobs read back alike", async () => {
    const b = backend(freshSchema("bulk_nulls"));
    const sent: unknown[][] = [];
    const db = watchTransactions(b, (stmt, values) => {
      if (stmt === db.s.enqueuePlain) sent.push(values);
    });
    const later = Date.now() + 60_000;
    // The first chunk (2,000) sets no ttl and no runAt; the second sets them on some jobs.
    const jobs = Array.from({ length: 2500 }, (_, i) =>
      job(
        i < 2000 ? {} : { ...(i % 2 === 0 ? { ttl: 30_000 } : {}), ...(i % 5 === 0 ? { runAt: later } : {}) },
      ),
    );
    await b.enqueue("q", jobs);
    // [queue, count, task, data, priority, max_retries, created_at, run_at, ttl, ...]
    expect(sent.map((values) => [values[7], values[8]].map((v) => (v === null ? "NULL" : "array")))).toEqual([
      ["NULL", "NULL"],
      ["array", "array"],
    ]);
    const first = await b.getJob("q", "1");
    expect(first?.ttl).toBeUndefined();
    expect(first?.state).toBe("waiting");
    expect(await b.getJob("q", "2001")).toMatchObject({ ttl: 30_000, state: "delayed", runAt: later });
    const plain = await b.getJob("q", "2002");
    expect(plain?.ttl).toBeUndefined();
    expect(plain?.state).toBe("waiting");
    expect(await b.getJob("q", "2003")).toMatchObject({ ttl: 30_000, state: "waiting" });
    expect((await b.getJobCounts("q")).waiting).toBe(2400);
  });
});

describe("PostgresBackend: warmUp, at a worker's start", () => {
  /** The named statements prepared on each of the pool's connections (by pg's bookkeeping). */
  function preparedOn(pool: pg.Pool): string[][] {
    const clients = (pool as unknown as { _clients: Array<{ connection: { parsedStatements: object } }> })
      ._clients;
    return clients.map((c) => Object.keys(c.connection.parsedStatements).sort());
  }

  /** The pools a backend made for itself: the main one, and the one of its claims and finishes. */
  const poolsOf = (b: PostgresBackend) =>
    (b as unknown as { engine: { db: { pool: pg.Pool; hotPool: pg.Pool } } }).engine.db;

  it("prepares the claim, finish and enqueue statements on three connections, writes nothing, and gives them back", async () => {
    const schema = freshSchema("warm");
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    try {
      const b = new PostgresBackend({ pool, schema });
      await b.warmUp();
      expect(pool.totalCount).toBe(3);
      expect(pool.idleCount).toBe(3);
      const names = loadStatements(schema);
      for (const prepared of preparedOn(pool)) {
        expect(prepared).toEqual(
          expect.arrayContaining([names.claim.name, names.finishBatch.name, names.enqueuePlain.name]),
        );
      }
      expect(await b.listQueues()).toEqual([]);
      await b.close();
    } finally {
      await pool.end();
    }
  });

  it("with a pool of its own, readies each connection it opens afterwards before its first use: claims and finishes on the hot pool's, adds on the others", async () => {
    const schema = freshSchema("warm_new");
    const b = backend(schema);
    await b.warmUp();
    const { claim, finishBatch, enqueuePlain } = loadStatements(schema);
    for (const [pool, names] of [
      [poolsOf(b).pool, [enqueuePlain.name]],
      [poolsOf(b).hotPool, [claim.name, finishBatch.name]],
    ] as const) {
      const before = pool.totalCount;
      // More connections at once than the pool holds: the pool opens new ones, up to its size.
      const more = Math.min(before + 2, pool.options.max ?? 10);
      const held = await Promise.all(Array.from({ length: more }, () => pool.connect()));
      try {
        expect(pool.totalCount).toBe(more);
        expect(more).toBeGreaterThan(before);
        for (const prepared of preparedOn(pool)) expect(prepared).toEqual(expect.arrayContaining([...names]));
      } finally {
        for (const client of held) client.release();
      }
    }
    expect(await b.listQueues()).toEqual([]);
  });

  it("keeps 3 connections of a pool of its own for the claims and finishes (planned once), and runs them nowhere else", async () => {
    const schema = freshSchema("warm_hot");
    const b = new PostgresBackend({ url, schema, poolSize: 7 });
    open.push(b);
    const { pool, hotPool } = poolsOf(b);
    expect([pool.options.max, hotPool.options.max]).toEqual([4, 3]);
    await b.warmUp();
    const q = "hot-q";
    await b.enqueue(
      q,
      Array.from({ length: 300 }, () => job()),
    );
    // Claims and finishes at once, more than the hot pool holds: they wait their turn there.
    const claims = await Promise.all(
      Array.from({ length: 6 }, () =>
        b.claim(q, { now: Date.now(), workerId: "w", limit: 50, leaseMs: 30_000 }),
      ),
    );
    await Promise.all(claims.map((jobs) => b.finish(q, completions(jobs), Date.now())));
    expect(claims.flat()).toHaveLength(300);
    expect((await b.getJobCounts(q)).completed).toBe(300);
    expect(hotPool.totalCount).toBeLessThanOrEqual(3);
    const { claim, finishBatch } = loadStatements(schema);
    expect(preparedOn(hotPool).flat()).toContain(claim.name);
    expect(preparedOn(pool).flat()).not.toContain(claim.name);
    expect(preparedOn(pool).flat()).not.toContain(finishBatch.name);
    // Planned once on the hot pool's connections; the others plan as the server does by default.
    const mode = async (p: pg.Pool) => (await p.query("SHOW plan_cache_mode")).rows[0].plan_cache_mode;
    expect([await mode(hotPool), await mode(pool)]).toEqual(["force_generic_plan", "auto"]);
    // A pool too small to split stays one.
    const small = new PostgresBackend({ url, schema, poolSize: 4 });
    open.push(small);
    expect(poolsOf(small).hotPool).toBe(poolsOf(small).pool);
  });

  it("a readying that fails hands the connection out outside any transaction", async () => {
    const schema = freshSchema("warm_fail");
    const b = backend(schema);
    await b.warmUp();
    // The warm-up's enqueue (queue "", rolled back) now fails inside its transaction.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`ALTER TABLE ${schema}.queues ADD CONSTRAINT warm_fails CHECK (name <> '')`);
    } finally {
      await admin.end();
    }
    const { pool } = poolsOf(b);
    const held = await Promise.all(Array.from({ length: pool.totalCount + 2 }, () => pool.connect()));
    try {
      for (const client of held) expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    } finally {
      for (const client of held) client.release();
    }
  });

  it("leaves a small pool alone (never holds all of it), and a transaction-pooled one", async () => {
    const schema = freshSchema("warm_small");
    const small = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const b = new PostgresBackend({ pool: small, schema });
      await b.warmUp();
      const { claim, finishBatch } = loadStatements(schema);
      expect(preparedOn(small).flat()).not.toContain(claim.name);
      expect(preparedOn(small).flat()).not.toContain(finishBatch.name);
      await b.close();
    } finally {
      await small.end();
    }
    const pooled = new PostgresBackend({ url, schema, transactionPooling: true });
    open.push(pooled);
    await pooled.warmUp();
    expect(await pooled.getJobCounts("warm-q")).toMatchObject({ waiting: 0 });
  });
});

describe("PostgresBackend: VACUUM of the jobs table", () => {
  type Inner = { engine: { jobs: { vacuum: JobsVacuum } } };
  const vacuumOf = (b: PostgresBackend) => (b as unknown as Inner).engine.jobs.vacuum;
  const lastVacuum = async (schema: string) =>
    (
      await query<{ at: Date | null }>(
        "SELECT last_vacuum AS at FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'",
        [schema],
      )
    )[0]?.at ?? null;
  /** Claims and completes every waiting job of `q`, `limit` at a time; the rows written. */
  async function work(b: PostgresBackend, q: string, limit: number): Promise<number> {
    let rows = 0;
    for (;;) {
      const jobs = await b.claim(q, { workerId: "w", limit, leaseMs: 30_000, now: Date.now() });
      if (jobs.length === 0) return rows;
      const items = jobs.map((j) => ({
        kind: "completed" as const,
        jobId: j.id,
        token: j.token,
        resultJson: "1",
      }));
      await b.finish(q, items, Date.now());
      rows += 2 * jobs.length;
    }
  }

  it("each claim and finish tells the vacuum how many rows it wrote", async () => {
    const b = backend(freshSchema("vacuum_count"));
    const counted: number[] = [];
    vacuumOf(b).changed = (rows) => counted.push(rows);
    await b.enqueue(
      "q",
      Array.from({ length: 30 }, () => job()),
    );
    expect(await work(b, "q", 20)).toBe(60);
    expect(counted.reduce((a, n) => a + n, 0)).toBe(60);
  });

  it("runs once the dead rows pass its threshold, and not before", async () => {
    const schema = freshSchema("vacuum_run");
    const b = backend(schema);
    // 400 dead rows, which the table's statistics may or may not show yet.
    await b.enqueue(
      "q",
      Array.from({ length: 200 }, () => job()),
    );
    expect(await work(b, "q", 100)).toBe(400);
    // A connection of its own on the schema, with small limits: the rows it was told of count as
    // dead at least, whatever the statistics say; up to 1,000 nothing runs, past it a VACUUM.
    const db = new Connection({ url, schema });
    try {
      const vacuum = new JobsVacuum(db, true, { checkEvery: 500, deadMin: 1000, deadShare: 0 });
      vacuum.changed(500);
      vacuum.changed(500);
      await vacuum.running;
      expect(await lastVacuum(schema)).toBeNull();
      vacuum.changed(500);
      expect(vacuum.running).toBeDefined();
      await vacuum.running;
      await until(async () => (await lastVacuum(schema)) !== null, 5000, "last_vacuum");
    } finally {
      await db.close();
    }
  });

  it("never runs with vacuum: false (option or URL); a value that is not a boolean is refused", async () => {
    const schema = freshSchema("vacuum_off");
    const db = new Connection({ url, schema });
    try {
      await db.open();
      const off = new JobsVacuum(db, false, { checkEvery: 1, deadMin: 0, deadShare: 0 });
      off.changed(1);
      expect(off.running).toBeUndefined();
    } finally {
      await db.close();
    }
    const fromUrl = createBackend(`${url}${url.includes("?") ? "&" : "?"}schema=${schema}&vacuum=false`);
    try {
      const vacuum = vacuumOf(fromUrl as PostgresBackend);
      vacuum.changed(1_000_000);
      expect(vacuum.running).toBeUndefined();
    } finally {
      await fromUrl.close();
    }
    expect(() => new PostgresBackend({ url, schema, vacuum: "no" as unknown as boolean })).toThrow(
      /vacuum must be true or false/,
    );
    expect(() => createBackend(`${url}${url.includes("?") ? "&" : "?"}vacuum=maybe`)).toThrow(
      /vacuum in a postgres backend URL must be "true" or "false"/,
    );
  });
});

describe("PostgresBackend: removeOnComplete / removeOnFail true", () => {
  it("deletes a plain job and its logs in the finish statement itself; a job with more to settle takes the transaction", async () => {
    const b = backend(freshSchema("remove_now"));
    const db = dbOf(b);
    const q = "q";
    const added = await b.enqueue(q, [
      job({ removeOnComplete: true }),
      job({ removeOnComplete: true }),
      job({ removeOnFail: true }),
      job({ removeOnComplete: false }),
      job(),
    ]);
    const ids = added.map((r) => r.id);
    await b.addLog(q, ids[0] as string, "a line");
    const claimed = await b.claim(q, { workerId: "w", limit: 10, leaseMs: 30_000, now: Date.now() });
    expect(claimed.map((j) => j.id)).toEqual(ids);
    const transactions: unknown[] = [];
    const transaction = db.transaction.bind(db);
    db.transaction = (fn) => {
      transactions.push(fn);
      return transaction(fn);
    };
    const error = { name: "Error", message: "no" };
    const held = await b.finish(
      q,
      claimed.map((j, i) =>
        i === 2
          ? { kind: "failed" as const, jobId: j.id, token: j.token, error }
          : { kind: "completed" as const, jobId: j.id, token: j.token, resultJson: "1" },
      ),
      Date.now(),
    );
    expect(held).toEqual([true, true, true, true, true]);
    expect(transactions).toHaveLength(0);
    const left = await query<{ id: string; state: string }>(
      `SELECT id, state FROM "${b.schema}".jobs ORDER BY seq`,
    );
    expect(left).toEqual([
      { id: ids[3], state: "completed" },
      { id: ids[4], state: "completed" },
    ]);
    expect(await query(`SELECT * FROM "${b.schema}".job_logs`)).toEqual([]);
    // A job with a deduplication key also frees its key: that goes through the transaction.
    await b.enqueue(q, [job({ removeOnComplete: true, dedup: { key: "k" } })]);
    const [keyed] = await b.claim(q, { workerId: "w", limit: 10, leaseMs: 30_000, now: Date.now() });
    if (!keyed) throw new Error("no job claimed");
    transactions.length = 0; // the enqueue of a deduplicated job took one
    expect(
      await b.finish(
        q,
        [{ kind: "completed", jobId: keyed.id, token: keyed.token, resultJson: "1" }],
        Date.now(),
      ),
    ).toEqual([true]);
    expect(transactions).toHaveLength(1);
    expect(await b.getJob(q, keyed.id)).toBeNull();
    expect(await b.getDeduplicationJobId(q, "k")).toBeNull();
  });

  it("an age is set by the finish statement, a count trimmed once per batch: no statement per job", async () => {
    const b = backend(freshSchema("retain_batch"));
    const ran: string[] = [];
    const db = watchTransactions(b, (stmt) => {
      if (stmt === db.s.beyondCount) ran.push("beyondCount");
      if (stmt === db.s.setRemoveAt) ran.push("setRemoveAt");
    });
    const counted = (
      await b.enqueue(
        "counted",
        Array.from({ length: 5 }, () => job({ removeOnComplete: { count: 2 } })),
      )
    ).map((r) => r.id);
    expect((await completeClaimed(b, "counted")).held).toEqual([true, true, true, true, true]);
    expect(ran).toEqual(["beyondCount"]);
    const kept = await query<{ id: string }>(
      `SELECT id FROM "${b.schema}".jobs WHERE queue = 'counted' ORDER BY seq`,
    );
    expect(kept.map((r) => r.id)).toEqual(counted.slice(3));
    ran.length = 0;
    await b.enqueue(
      "aged",
      Array.from({ length: 3 }, () => job({ removeOnComplete: { age: 60_000 } })),
    );
    const { held, now } = await completeClaimed(b, "aged");
    expect(held).toEqual([true, true, true]);
    expect(ran).toEqual([]);
    const dated = await query<{ remove_at: string }>(
      `SELECT remove_at FROM "${b.schema}".jobs WHERE queue = 'aged'`,
    );
    expect(dated.map((r) => Number(r.remove_at))).toEqual([now + 60_000, now + 60_000, now + 60_000]);
  });

  it("a count trim that fails leaves the finish done, warns, and the next finish trims", async () => {
    const b = backend(freshSchema("trim_fails"));
    const db = dbOf(b);
    const warned: string[] = [];
    setLogger({ debug() {}, info() {}, warn: (m: string) => warned.push(m), error() {} });
    const transaction = db.transaction.bind(db);
    let failNext = true;
    db.transaction = (fn) => {
      if (!failNext) return transaction(fn);
      failNext = false;
      return Promise.reject(new Error("connection lost"));
    };
    const completed = async () =>
      (
        await query<{ n: string }>(`SELECT count(*) AS n FROM "${b.schema}".jobs WHERE state = 'completed'`)
      )[0]?.n;
    try {
      await b.enqueue(
        "q",
        Array.from({ length: 3 }, () => job({ removeOnComplete: { count: 1 } })),
      );
      expect((await completeClaimed(b, "q")).held).toEqual([true, true, true]);
      expect(await completed()).toBe("3");
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain('could not trim the finished jobs of queue "q"');
      expect(warned[0]).toContain("connection lost");
      await b.enqueue("q", [job({ removeOnComplete: { count: 1 } })]);
      expect((await completeClaimed(b, "q")).held).toEqual([true]);
      expect(await completed()).toBe("1");
    } finally {
      setLogger(undefined);
    }
  });
});

describe("PostgresBackend: two backends (as two processes would be)", () => {
  it("wake each other's listeners with the reason, and not themselves twice", async () => {
    const schema = freshSchema("wake");
    const a = backend(schema);
    const b = backend(schema);
    const inA: WakeReason[] = [];
    const inB: WakeReason[] = [];
    a.onWake("w", (r) => inA.push(r));
    b.onWake("w", (r) => inB.push(r));
    await Promise.all([a.listening(), b.listening()]);
    await a.enqueue("w", [job()]);
    await until(() => inB.includes("job"), 3000, "b woken by a's enqueue");
    await a.enqueue("w", [job({ runAt: Date.now() + 60_000 })]);
    await until(() => inB.includes("delayed"), 3000, "a delayed wake");
    await a.setPaused("w", true);
    await a.setPaused("w", false);
    await until(() => inB.includes("resume"), 3000, "a resume wake");
    await new Promise((r) => setTimeout(r, 50));
    // a's own changes woke it once each, directly.
    expect(inA).toEqual(["job", "delayed", "resume"]);
  });

  it("a lost LISTEN connection reconnects, wakes its listeners, and then hears others again", async () => {
    const schema = freshSchema("relisten");
    const a = backend(schema);
    const b = backend(schema);
    const inB: WakeReason[] = [];
    b.onWake("r", (r) => inB.push(r));
    await b.listening();
    const killed = await query<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = $1",
      [`LISTEN "asyncmq_${schema}"`],
    );
    expect(killed.length).toBe(1);
    // Anything sent meanwhile is lost, so the reconnect itself wakes the listeners.
    await until(() => inB.includes("job"), 5000, "a wake after reconnecting");
    inB.length = 0;
    await until(
      async () => {
        await a.enqueue("r", [job()]);
        await new Promise((r) => setTimeout(r, 50));
        return inB.includes("job");
      },
      5000,
      "b hears a again",
    );
  });

  it("a first LISTEN that cannot connect is retried, wakes its listeners, and then hears others", async () => {
    const schema = freshSchema("relisten1");
    const a = backend(schema);
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const b = new PostgresBackend({ pool, schema });
    try {
      await b.enqueue("f", [job()]);
      // The next checkout (the LISTEN connection's) fails, as when the server is briefly away.
      const connect = pool.connect.bind(pool) as (...args: unknown[]) => Promise<pg.PoolClient>;
      let failures = 1;
      (pool as unknown as { connect: (...args: unknown[]) => Promise<pg.PoolClient> }).connect = (
        ...args
      ) => {
        if (args.length === 0 && failures-- > 0)
          return Promise.reject(new Error("connect ECONNREFUSED (test)"));
        return connect(...args);
      };
      const inB: WakeReason[] = [];
      b.onWake("f", (r) => inB.push(r));
      // Notifications sent before the retry succeeded are lost, so the retry itself wakes.
      await until(() => inB.includes("job"), 5000, "a wake after the retried start");
      await b.listening();
      inB.length = 0;
      await a.enqueue("f", [job()]);
      await until(() => inB.includes("job"), 3000, "b hears a");
    } finally {
      await b.close();
      await pool.end();
    }
  });

  it("deliver each other's events to subscribe, once each and in order, large batches included", async () => {
    const schema = freshSchema("events");
    const a = backend(schema);
    const b = backend(schema);
    const inA: QueueEvent[] = [];
    const inB: QueueEvent[] = [];
    b.subscribe("ev", (e) => inB.push(e));
    a.subscribe("ev", (e) => inA.push(e));
    await Promise.all([a.listening(), b.listening()]);
    await a.enqueue("ev", [job()]);
    const [claimed] = await a.claim("ev", { workerId: "wa", limit: 1, leaseMs: 1000, now: Date.now() });
    await a.finish(
      "ev",
      [{ kind: "completed", jobId: "1", token: claimed?.token as string, resultJson: '"ok"' }],
      Date.now(),
    );
    await until(() => inB.length >= 3, 3000, "b receives a's events");
    const expected = ["job:waiting:1", "job:started:1", "job:completed:1"];
    expect(inB.map((e) => `${e.name}:${e.payload.jobId}`)).toEqual(expected);
    expect(inB[2]?.payload).toMatchObject({ queue: "ev", result: "ok" });
    expect(inA.map((e) => `${e.name}:${e.payload.jobId}`)).toEqual(expected);

    // A batch too large for a NOTIFY payload travels through the events table.
    const big = Array.from({ length: 300 }, () => job({ task: "a-task-name-long-enough-to-matter" }));
    await b.enqueue("ev", big);
    await until(() => inA.length === 3 + 300, 5000, "a receives b's large batch");
    expect(inA.slice(3).map((e) => e.payload.jobId)).toEqual(big.map((_, i) => String(i + 2)));
    await new Promise((r) => setTimeout(r, 50));
    expect(inB.length).toBe(3 + 300);
  });

  it("fire a repeatable slot exactly once and share one rate bucket", async () => {
    const schema = freshSchema("rep");
    const a = backend(schema);
    const b = backend(schema);
    const fire = { repeatId: "r1", slot: 1000, nextRun: 2000, job: job({ id: "repeat-r1-1000" }) };
    const results = await Promise.all([
      repeatablesOf(a).fire("rep", fire),
      repeatablesOf(b).fire("rep", fire),
    ]);
    expect(results.filter((x) => x !== null)).toHaveLength(1);
    expect((await a.getJobCounts("rep")).waiting).toBe(1);
    const takes = await Promise.all([
      ...Array.from({ length: 3 }, () => rateLimitsOf(a).take("rep", 3, 60_000, 5000)),
      ...Array.from({ length: 3 }, () => rateLimitsOf(b).take("rep", 3, 60_000, 5000)),
    ]);
    expect(takes.filter((t) => t === 0)).toHaveLength(3);
  });

  it("claim disjoint jobs when racing", async () => {
    const schema = freshSchema("race");
    const a = backend(schema);
    const b = backend(schema);
    await a.enqueue(
      "race",
      Array.from({ length: 200 }, () => job()),
    );
    const opts = { limit: 10, leaseMs: 10_000, now: Date.now() };
    const batches = await Promise.all(
      Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).claim("race", { ...opts, workerId: `w${i}` })),
    );
    const ids = batches.flat().map((j) => j.id);
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
  });
});

describe("PostgresBackend: a real second process", () => {
  // The child is plain JavaScript importing the compiled package. It is compiled from src/ into a
  // cache folder inside node_modules (so `pg` resolves) rather than into dist/, which other
  // builds running at the same time share.
  const out = join(root, "node_modules", ".cache", "asyncmq-pg-child");
  let child: ChildProcess | undefined;

  beforeAll(() => {
    rmSync(out, { recursive: true, force: true });
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, "node_modules", "typescript", "bin", "tsc"),
        "--ignoreConfig",
        "--outDir",
        out,
        "--rootDir",
        join(root, "src"),
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--types",
        "node",
        "--skipLibCheck",
        // Emit only: type errors elsewhere in src (work in progress) must not stop this test.
        "--noCheck",
        join(root, "src", "index.ts"),
        join(root, "src", "backends", "postgres", "postgres-backend.ts"),
      ],
      { cwd: root, encoding: "utf8" },
    );
    if (tsc.status !== 0)
      throw new Error(`compiling asyncmq for the child failed:\n${tsc.stdout}${tsc.stderr}`);
    for (const folder of ["sql", "migrations"]) {
      cpSync(join(root, "src/backends/postgres", folder), join(out, "backends/postgres", folder), {
        recursive: true,
      });
    }
    writeFileSync(
      join(out, "child-worker.mjs"),
      `import { Worker, task } from "./index.js";
import { PostgresBackend } from "./backends/postgres/postgres-backend.js";
const [url, schema, queue] = process.argv.slice(2);
const backend = new PostgresBackend({ url, schema });
task(queue + "-work", { queue }, async () => {
  process.stdout.write("started\\n");
  await new Promise(() => {});
});
const worker = new Worker(queue, { backend, concurrency: 1, leaseDuration: 400, scanInterval: 50 });
await worker.start();
process.stdout.write("ready\\n");
`,
    );
  }, 120_000);

  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(out, { recursive: true, force: true });
  });

  it("a worker process SIGKILLed mid-job: this process recovers the job and completes it", async () => {
    const schema = freshSchema("child");
    const b = backend(schema);
    const q = `crash-${process.pid}`;
    const queue = new Queue(q, { backend: b });
    const id = await queue.add(`${q}-work`, { n: 1 });

    const proc = spawn(process.execPath, [join(out, "child-worker.mjs"), url, schema, q], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let stdout = "";
    let stderr = "";
    proc.stdout?.on("data", (d) => {
      stdout += String(d);
    });
    proc.stderr?.on("data", (d) => {
      stderr += String(d);
    });
    await until(
      () => stdout.includes("started") || proc.exitCode !== null,
      20_000,
      "the child starts the job",
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; child output: ${stdout}${stderr}`);
    });
    expect(stdout).toContain("started");
    expect((await queue.getJob(id))?.state).toBe("active");
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGKILL");
    await exited;

    const name = `${q}-work`;
    task(name, { queue: q }, () => "from the survivor");
    const worker = new Worker(q, { backend: b, concurrency: 1, leaseDuration: 400, scanInterval: 50 });
    try {
      await worker.start();
      await until(
        async () => (await queue.getJob(id))?.state === "completed",
        10_000,
        "the survivor completes it",
      );
    } finally {
      await worker.stop();
      unregisterTask(name);
    }
    const rec = await queue.getJob(id);
    expect(rec).toMatchObject({
      state: "completed",
      result: "from the survivor",
      stalledCount: 1,
      attempts: 1,
    });
  }, 60_000);
});
