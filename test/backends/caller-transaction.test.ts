/**
 * Enqueue inside the caller's own transaction (the transactional outbox), on the engines that can:
 * Postgres with the caller's pg client, SQLite with the caller's better-sqlite3 Database on the same
 * file. The job exists only if the caller commits, this process's workers and subscribers hear of
 * it then (not before), and a refusal undoes only asyncmq's writes. Memory and Redis refuse.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend, QueueEvent } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { uniqueQueue, until } from "../helpers.js";
import { useBouncer } from "../support/pgbouncer.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The caller's side of one engine: a connection of its own, its transaction, and a plain write of its own. */
interface CallerSide {
  client: () => unknown;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** A write of the caller's own in the open transaction, to show the transaction still works. */
  ownWrite(): Promise<void>;
}

/** A queue on `backend` with a worker-ready task that records the jobs it ran. */
function outboxQueue(backend: Backend) {
  const name = uniqueQueue("outbox");
  const taskName = `${name}-send`;
  const ran: string[] = [];
  task(taskName, { queue: name }, async (_data, ctx) => {
    ran.push(ctx.job.id);
  });
  cleanups.push(() => unregisterTask(taskName));
  return { queue: new Queue(name, { backend }), name, taskName, ran };
}

function callerTransactionSuite(
  label: string,
  setup: () => Promise<{ backend: Backend; caller: CallerSide }>,
) {
  describe(`${label}: enqueue inside the caller's transaction`, () => {
    it("exists only after COMMIT, and this process's worker and subscriber hear of it then", async () => {
      const { backend, caller } = await setup();
      const { queue, name, taskName, ran } = outboxQueue(backend);
      const events: QueueEvent[] = [];
      cleanups.push(backend.subscribe(name, (e) => events.push(e)));
      // Postgres builds a statement's events only while a subscriber is registered: wait for this
      // one's registration, or an add made before it lands has no job:waiting to deliver.
      if (backend instanceof PostgresBackend) await backend.listening();
      const worker = new Worker(name, { backend, concurrency: 2 });
      await worker.start();
      cleanups.push(() => worker.stop());

      await caller.begin();
      await caller.ownWrite();
      const id = await queue.add(taskName, { order: 1 }, { client: caller.client() as never });
      expect(await queue.getJob(id)).toBeNull(); // not committed: invisible to the backend's own connection
      await new Promise((r) => setTimeout(r, 150));
      expect(ran).toEqual([]);
      expect(events.filter((e) => e.payload.jobId === id)).toEqual([]);
      await caller.commit();
      await until(() => ran.includes(id), 5000, "the committed job to run");
      await until(
        () => events.some((e) => e.name === "job:waiting" && e.payload.jobId === id),
        2000,
        "job:waiting",
      );
      expect((await queue.getJob(id))?.data).toEqual({ order: 1 });
    });

    it("leaves nothing after ROLLBACK (add and addBulk)", async () => {
      const { backend, caller } = await setup();
      const { queue, taskName } = outboxQueue(backend);
      await caller.begin();
      const one = await queue.add(taskName, 1, { client: caller.client() as never });
      const bulk = await queue.addBulk(
        Array.from({ length: 20 }, (_, i) => ({ task: taskName, data: i })),
        { client: caller.client() as never },
      );
      expect(bulk).toHaveLength(20);
      await caller.rollback();
      expect(await queue.getJob(one)).toBeNull();
      expect(Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    });

    it("sees the transaction's own jobs: a child depends on a parent added just before", async () => {
      const { backend, caller } = await setup();
      const { queue, taskName } = outboxQueue(backend);
      await caller.begin();
      const parent = await queue.add(taskName, "p", { client: caller.client() as never, delay: 60_000 });
      const child = await queue.add(taskName, "c", { client: caller.client() as never, dependsOn: [parent] });
      await caller.commit();
      expect((await queue.getJob(parent))?.state).toBe("delayed");
      expect((await queue.getJob(child))?.state).toBe("waiting-children");
    });

    it("a refusal undoes only asyncmq's writes: the caller's transaction goes on", async () => {
      const { backend, caller } = await setup();
      const { queue, taskName } = outboxQueue(backend);
      await caller.begin();
      const kept = await queue.add(taskName, "kept", { client: caller.client() as never });
      // Two jobs where the second waits on a job that does not exist: nothing of this call stays.
      await expect(
        queue.addBulk(
          [
            { task: taskName, data: "lost", options: { jobId: "lost-1" } },
            { task: taskName, data: "x", options: { dependsOn: ["ghost"] } },
          ],
          { client: caller.client() as never },
        ),
      ).rejects.toThrow(/ghost/);
      await caller.ownWrite();
      await caller.commit();
      expect((await queue.getJob(kept))?.state).toBe("waiting");
      expect(await queue.getJob("lost-1")).toBeNull();
      expect((await queue.getJobCounts()).waiting).toBe(1);
    });

    it("refuses to wait for a job added in a transaction, and two clients in one call", async () => {
      const { backend, caller } = await setup();
      const { queue, name, taskName } = outboxQueue(backend);
      const t = task(`${name}-wait`, { queue: name }, async () => 1);
      cleanups.push(() => unregisterTask(t.name));
      await expect(
        t.enqueueAndWait(undefined, { backend, client: caller.client() as never }),
      ).rejects.toThrow(/enqueueAndWait takes no "client"/);
      const other = {} as never;
      await expect(
        queue.addBulk([
          { task: taskName, options: { client: caller.client() as never } },
          { task: taskName, options: { client: other } },
        ]),
      ).rejects.toThrow(/two different "client"/);
      expect(Object.values(await queue.getJobCounts()).reduce((a, b) => a + b, 0)).toBe(0);
    });
  });
}

// -- Postgres ------------------------------------------------------------------------------------

/** `backend` (on `schema`) and a caller's client out of `pool`. */
async function postgresSetup(backend: PostgresBackend, pool: pg.Pool, schema: string) {
  cleanups.push(() => backend.close());
  await backend.getJobCounts("warm-up"); // migrated before the caller's transaction starts
  const client = await pool.connect();
  cleanups.push(() => client.release());
  await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.orders (id serial PRIMARY KEY)`);
  const caller: CallerSide = {
    client: () => client,
    begin: async () => void (await client.query("BEGIN")),
    commit: async () => void (await client.query("COMMIT")),
    rollback: async () => void (await client.query("ROLLBACK")),
    ownWrite: async () => void (await client.query(`INSERT INTO ${schema}.orders DEFAULT VALUES`)),
  };
  return { backend, caller };
}

describe("Postgres", () => {
  const schema = testSchema("callertx");
  let url: string;
  let pool: pg.Pool;
  beforeAll(async () => {
    url = await postgresUrl();
    pool = new pg.Pool({ connectionString: url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await dropSchema(url, schema);
    stopPostgres();
  });

  const setup = () => postgresSetup(new PostgresBackend({ url, schema }), pool, schema);
  callerTransactionSuite("postgres", setup);

  it("refuses a pool, and a client of another database, before writing", async () => {
    const { backend } = await setup();
    const { queue, taskName } = outboxQueue(backend);
    await expect(queue.add(taskName, 1, { client: pool as never })).rejects.toThrow(/is a pg Pool/);
    await expect(queue.add(taskName, 1, { client: "conn" as never })).rejects.toThrow(ValidationError);
    const elsewhere = new pg.Client({ connectionString: url.replace(/\/[^/?]*(\?|$)/, "/template1$1") });
    await elsewhere.connect();
    cleanups.push(() => elsewhere.end());
    await expect(queue.add(taskName, 1, { client: elsewhere as never })).rejects.toThrow(
      /connected to another server or database/,
    );
    expect((await queue.getJobCounts()).waiting).toBe(0);
  });

  it("outside BEGIN, the client's unit commits at once", async () => {
    const { backend } = await setup();
    const { queue, taskName } = outboxQueue(backend);
    const client = await pool.connect();
    cleanups.push(() => client.release());
    const parent = await queue.add(taskName, "p", { client: client as never });
    const child = await queue.add(taskName, "c", { client: client as never, dependsOn: [parent] });
    expect((await queue.getJob(child))?.state).toBe("waiting-children");
    expect((await client.query("SELECT 1 AS ok")).rows[0].ok).toBe(1); // no transaction left open
  });
});

describe("Postgres through PgBouncer in transaction mode", () => {
  // The caller's client goes through PgBouncer too: its transaction pins one server connection.
  const schema = testSchema("callertx_bouncer");
  const urls = useBouncer(schema);
  let pool: pg.Pool;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: urls().url, max: 4 });
  });
  afterAll(() => pool.end());

  callerTransactionSuite("postgres through PgBouncer", () =>
    postgresSetup(
      new PostgresBackend({ url: urls().url, schema, transactionPooling: true, listenUrl: urls().directUrl }),
      pool,
      schema,
    ),
  );
});

// -- SQLite --------------------------------------------------------------------------------------

describe("SQLite", () => {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-callertx-"));
  const path = join(dir, "app.db");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function setup() {
    const backend = new SqliteBackend({ path });
    cleanups.push(() => backend.close());
    const db = new Database(path);
    db.pragma("busy_timeout = 5000");
    cleanups.push(() => db.close());
    db.exec("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY)");
    const caller: CallerSide = {
      client: () => db,
      begin: async () => void db.exec("BEGIN IMMEDIATE"),
      commit: async () => void db.exec("COMMIT"),
      rollback: async () => void db.exec("ROLLBACK"),
      ownWrite: async () => void db.prepare("INSERT INTO orders DEFAULT VALUES").run(),
    };
    return { backend, caller };
  }

  callerTransactionSuite("sqlite", setup);

  it("refuses a database on another file, in memory, or read-only, before writing", async () => {
    const { backend } = await setup();
    const { queue, taskName } = outboxQueue(backend);
    const other = new Database(join(dir, "other.db"));
    const memory = new Database(":memory:");
    const readonly = new Database(path, { readonly: true });
    cleanups.push(() => {
      for (const d of [other, memory, readonly]) d.close();
    });
    await expect(queue.add(taskName, 1, { client: other as never })).rejects.toThrow(
      /not on the queue's file/,
    );
    await expect(queue.add(taskName, 1, { client: memory as never })).rejects.toThrow(
      /not on the queue's file/,
    );
    await expect(queue.add(taskName, 1, { client: readonly as never })).rejects.toThrow(/read-only/);
    await expect(queue.add(taskName, 1, { client: { query() {} } as never })).rejects.toThrow(
      /must be a better-sqlite3 Database/,
    );
    expect((await queue.getJobCounts()).waiting).toBe(0);
  });
});

// -- engines without the caller's transactions -----------------------------------------------------

describe("memory and Redis refuse a client", () => {
  const prefix = uniquePrefix("callertx");
  afterAll(() => dropPrefix(prefix));

  it.each([
    ["in-memory", async () => new InMemoryBackend()],
    ["Redis", async () => new RedisBackend({ url: await redisUrl(), prefix })],
  ] as const)(
    "%s: a ValidationError naming the backends that can, and nothing written",
    async (label, make) => {
      const backend = await make();
      cleanups.push(() => backend.close());
      const { queue, taskName } = outboxQueue(backend);
      const error = await queue.add(taskName, 1, { client: {} as never }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain(`the ${label} backend cannot write inside your transaction`);
      expect((error as Error).message).toMatch(/Postgres backend .* SQLite backend/);
      expect((await queue.getJobCounts()).waiting).toBe(0);
    },
  );
});
