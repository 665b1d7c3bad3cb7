/**
 * PostgreSQL behind a PgBouncer in transaction mode (test/support/pgbouncer.ts; a pool of 5 server
 * connections for the backend's 10): named prepared statements break there, `transactionPooling`
 * makes the backend work (also when set by createBackend's URL), and without `listenUrl` workers
 * find other processes' jobs by their idle poll, after one warning, and their events are not heard.
 */
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Backend, NewJob, WakeReason } from "../../src/backends/backend.js";
import { Connection } from "../../src/backends/postgres/connection.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { JobsVacuum } from "../../src/backends/postgres/vacuum.js";
import { createBackend } from "../../src/backends/registry.js";
import { BackendError } from "../../src/errors.js";
import { setLogger } from "../../src/logger.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { type BouncerUrls, useBouncer } from "../support/pgbouncer.js";
import { testSchema } from "../support/postgres-server.js";

const schema = testSchema("bouncer_focus");
const bouncer = useBouncer(schema);
let urls: BouncerUrls;
beforeEach(() => {
  urls = bouncer();
});
const open: Backend[] = [];
function made<T extends Backend>(b: T): T {
  open.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
  setLogger(undefined);
});

function job(over: Partial<NewJob> = {}): NewJob {
  return { task: "t", dataJson: '{"n":1}', priority: 5, maxRetries: 0, createdAt: Date.now(), ...over };
}

/** 3 rounds of 30 enqueues at once: more statements in flight than PgBouncer has server connections. */
async function storm(b: Backend, queue: string): Promise<PromiseSettledResult<unknown>[]> {
  const out: PromiseSettledResult<unknown>[] = [];
  for (let round = 0; round < 3; round++) {
    out.push(...(await Promise.allSettled(Array.from({ length: 30 }, () => b.enqueue(queue, [job()])))));
  }
  return out;
}

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("PostgresBackend behind PgBouncer in transaction mode", () => {
  it("without transactionPooling, its prepared statements fail: they meet server connections that lack or already hold them", async () => {
    const b = made(new PostgresBackend({ url: urls.url, schema, listenUrl: urls.directUrl }));
    const failed = (await storm(b, "named")).filter((r) => r.status === "rejected");
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) {
      expect(f.reason).toBeInstanceOf(BackendError);
      expect(String(f.reason)).toMatch(/prepared statement "asyncmq_\w+" (does not exist|already exists)/);
    }
  });

  it("with transactionPooling and listenUrl from createBackend's URL, every call succeeds and other processes' wake-ups arrive", async () => {
    const url = `${urls.url}?schema=${schema}&transactionPooling=true&listenUrl=${encodeURIComponent(urls.directUrl)}`;
    const a = made(createBackend(url));
    const b = made(createBackend(url));
    expect((await storm(a, "unnamed")).filter((r) => r.status === "rejected")).toEqual([]);
    expect((await a.getJobCounts("unnamed")).waiting).toBe(90);

    const wakes: WakeReason[] = [];
    a.onWake("wake", (r) => wakes.push(r));
    await (a as PostgresBackend).listening();
    await b.enqueue("wake", [job()]);
    await until(() => wakes.includes("job"), 3000, "a woken by b's enqueue");
    // The LISTEN went to the server directly: PgBouncer has no session to keep it on.
    const listen = new pg.Client({ connectionString: urls.directUrl });
    await listen.connect();
    try {
      const { rows } = await listen.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1",
        [`LISTEN "asyncmq_${schema}"`],
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(1);
    } finally {
      await listen.end();
    }
  });

  it("the jobs table's VACUUM goes through it too (one statement outside any transaction)", async () => {
    const b = made(new PostgresBackend({ url: urls.url, schema, transactionPooling: true }));
    await b.enqueue("vacuumed", [job()]);
    const db = new Connection({ url: urls.url, schema, transactionPooling: true });
    try {
      const vacuum = new JobsVacuum(db, true, { checkEvery: 1, deadMin: 0, deadShare: 0 });
      vacuum.changed(1);
      await vacuum.running;
    } finally {
      await db.close();
    }
    const direct = new pg.Client({ connectionString: urls.directUrl });
    await direct.connect();
    try {
      const { rows } = await direct.query(
        "SELECT last_vacuum FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'jobs'",
        [schema],
      );
      expect(rows[0]?.last_vacuum).not.toBeNull();
    } finally {
      await direct.end();
    }
  });

  it("without listenUrl, a worker picks up another process's job by its idle poll, after one warning", async () => {
    const warnings: string[] = [];
    setLogger({ debug() {}, info() {}, error() {}, warn: (m: unknown) => warnings.push(String(m)) });
    const options = { url: urls.url, schema, transactionPooling: true };
    const a = made(new PostgresBackend(options));
    const b = made(new PostgresBackend(options));
    const q = `poll-${process.pid}`;
    const done: number[] = [];
    task(q, { queue: q }, () => {
      done.push(Date.now());
    });
    const worker = new Worker(q, { backend: a, concurrency: 1, scanInterval: 300 });
    try {
      await worker.start();
      const heard: string[] = [];
      a.subscribe(q, (e) => heard.push(e.name));
      a.onWake(q, () => {});
      await a.listening();
      const deaf = warnings.filter((w) => /has transactionPooling and no listenUrl/.test(w));
      expect(deaf).toHaveLength(1);
      expect(deaf[0]).toMatch(
        /idle poll \(scanInterval.*QueueEvents\/subscribe do not receive events from other processes; pass listenUrl/,
      );

      const added = Date.now();
      await b.enqueue(q, [job({ task: q })]);
      await until(() => done.length === 1, 3000, "the worker runs b's job");
      // Within one idle sleep (plus the claim itself), though nothing woke it.
      expect((done[0] as number) - added).toBeLessThan(300 + 500);
      // What is lost: b's event (job:waiting) never reaches a; a's own (the worker's) do.
      await until(() => heard.includes("job:completed"), 3000, "a's own job:completed");
      expect(heard).not.toContain("job:waiting");
    } finally {
      await worker.stop();
      unregisterTask(q);
    }
  });
});
