/**
 * SQLite-specific behaviour: durability across reopen, refusing files that are not ours, migrations,
 * and several connections (in-process instances and a real child process) sharing one file.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NewJob, QueueEvent, WakeReason } from "../../src/backends/backend.js";
import { SqliteConnection } from "../../src/backends/sqlite/connection.js";
import { SqliteNotifier } from "../../src/backends/sqlite/notifier.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { BackendError } from "../../src/errors.js";
import { repeatablesOf } from "../conformance/helpers.js";
import { sample } from "../conformance/suite/metrics.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
/** A fresh database path in the temp folder. */
function freshPath(): string {
  return join(dir, `t${++fileCounter}.db`);
}

const open: SqliteBackend[] = [];
/** Opens a backend that the test's teardown closes. */
function backend(path: string): SqliteBackend {
  const b = new SqliteBackend({ path });
  open.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function job(over: Partial<NewJob> = {}): NewJob {
  return { task: "t", dataJson: '{"n":1}', priority: 5, maxRetries: 0, createdAt: Date.now(), ...over };
}

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe("SqliteBackend: one file over time", () => {
  it("creates the folder and keeps data across close and reopen", async () => {
    const path = join(dir, "nested", "deeper", "keep.db");
    const a = new SqliteBackend({ path });
    const [r] = await a.enqueue("q", [job({ dataJson: '{"keep":true}' })]);
    await a.close();
    const b = backend(path);
    expect(await b.getJob("q", r?.id as string)).toMatchObject({ state: "waiting", data: { keep: true } });
    const [claimed] = await b.claim("q", { workerId: "w", limit: 5, leaseMs: 1000, now: Date.now() });
    expect(claimed?.id).toBe(r?.id);
  });

  it("uses WAL mode and the requested synchronous level", async () => {
    const path = freshPath();
    backend(path);
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    raw.close();
    const full = new SqliteBackend({ path: freshPath(), synchronous: "FULL" });
    await full.close();
  });

  it("reopening applies no migration twice and changes nothing", async () => {
    const path = freshPath();
    const a = new SqliteBackend({ path });
    await a.enqueue("q", [job()]);
    await a.close();
    const schema = () => {
      const raw = new Database(path, { readonly: true });
      const out = {
        version: raw.pragma("user_version", { simple: true }),
        objects: raw.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name").all(),
      };
      raw.close();
      return out;
    };
    const before = schema();
    expect(before.version).toBeGreaterThanOrEqual(1);
    await new SqliteBackend({ path }).close();
    await new SqliteBackend({ path }).close();
    expect(schema()).toEqual(before);
    expect((await backend(path).getJobCounts("q")).waiting).toBe(1);
  });
});

describe("SqliteBackend: a large batch", () => {
  it("stores plain jobs many rows per statement, in order, around the jobs that need a look-up first", async () => {
    const b = backend(freshPath());
    const q = "bulk";
    const [parent] = await b.enqueue(q, [job({ dataJson: '{"parent":true}' })]);
    const events: QueueEvent[] = [];
    b.subscribe(q, (e) => events.push(e));
    // 200 jobs: runs of plain ones longer and shorter than one multi-row statement, split by a
    // custom id, a dedup key, a child and a delayed job (plain too).
    const batch: NewJob[] = [];
    for (let i = 0; i < 200; i++) {
      const over: Partial<NewJob> = { dataJson: JSON.stringify({ i }), priority: i % 3 };
      if (i === 70) over.id = "custom";
      if (i === 100) over.dedup = { key: "k" };
      if (i === 130) over.dependsOn = [parent?.id as string];
      if (i === 131) over.runAt = Date.now() + 60_000;
      if (i === 150) over.ttl = 60_000;
      batch.push(job(over));
    }
    const results = await b.enqueue(q, batch);
    expect(results).toHaveLength(200);
    expect(results[70]).toEqual({ id: "custom", state: "waiting", duplicate: false });
    expect(results[130]?.state).toBe("waiting-children");
    expect(results[131]?.state).toBe("delayed");
    expect(results.filter((r) => r.state === "waiting")).toHaveLength(198);
    expect(new Set(results.map((r) => r.id)).size).toBe(200);

    // Stored in the order given (creation order), each with its own columns.
    const all = await b.getJobs(q, ["waiting", "waiting-children", "delayed"], {
      start: 0,
      end: 300,
      asc: true,
    });
    expect(all.map((j) => j.id)).toEqual([parent?.id, ...results.map((r) => r.id)]);
    for (let i = 0; i < 200; i++) {
      const stored = all[i + 1];
      expect(stored?.data).toEqual({ i });
      expect(stored?.priority).toBe(i % 3);
    }
    expect(all[151]?.ttl).toBe(60_000);
    expect(events.filter((e) => e.name === "job:waiting")).toHaveLength(198);

    // Claims take them by priority, then in the order added (FIFO).
    const claimed = await b.claim(q, { workerId: "w", limit: 64, leaseMs: 30_000, now: Date.now() });
    const zeros = results.filter((_, i) => i % 3 === 0);
    expect(claimed.map((j) => j.id)).toEqual(zeros.slice(0, 64).map((r) => r.id));
  });
});

describe("SqliteBackend: finished counts", () => {
  it("stay equal to the jobs actually held, through every kind of transition", async () => {
    const path = freshPath();
    const b = backend(path);
    const q = "counts";
    const now = Date.now();
    const claim = (limit: number, at = now) => b.claim(q, { workerId: "w", limit, leaseMs: 1000, now: at });
    await b.enqueue(q, [
      job({ id: "p1" }),
      job({ id: "p2" }),
      job({ removeOnComplete: { count: 2 } }),
      job({ removeOnComplete: { count: 2 } }),
      job({ removeOnComplete: { count: 2 } }),
      job({ removeOnComplete: true }),
      job({ removeOnFail: { count: 1 } }),
      job({ removeOnFail: { count: 1 } }),
      job({ ttl: 1 }),
    ]);
    await b.enqueue(q, [
      job({ id: "c1", dependsOn: ["p1"] }),
      job({ id: "c2", dependsOn: ["p2"], removeOnFail: true }),
    ]);
    const [p1, p2, ...rest] = await claim(2);
    await b.finish(
      q,
      [
        {
          kind: "failed",
          jobId: p1?.id as string,
          token: p1?.token as string,
          error: { name: "E", message: "x" },
        },
        { kind: "completed", jobId: p2?.id as string, token: p2?.token as string, resultJson: "1" },
      ],
      now,
    );
    rest.push(...(await claim(6, now + 5)));
    await b.finish(
      q,
      rest.map((j, i) =>
        i < 4
          ? { kind: "completed", jobId: j.id, token: j.token, resultJson: "1" }
          : { kind: "failed", jobId: j.id, token: j.token, error: { name: "E", message: "x" } },
      ),
      now + 6,
    );
    await b.enqueue(q, [
      job({ id: "lp", runAt: now + 60_000 }),
      job({ id: "late-child", dependsOn: ["lp"] }),
      job({ id: "gone" }),
      job({ id: "cx" }),
    ]);
    await b.cancelJob(q, "cx", now + 7);
    await b.retryJob(q, "cx");
    await b.cancelJob(q, "cx", now + 9);
    await b.removeJob(q, "late-child", now + 20);
    const stalled = await claim(1, now + 10);
    await b.recoverStalled(q, now + 100_000, 0);
    await b.clean(q, "completed", now + 100_000, 1, now + 20);
    await b.drain(q, true, now + 20);
    expect(stalled).toHaveLength(1);

    const raw = new Database(path, { readonly: true });
    const actual = raw
      .prepare(
        "SELECT state, count(*) AS n FROM jobs WHERE queue = ? AND state IN ('completed', 'failed', 'expired', 'cancelled') GROUP BY state ORDER BY state",
      )
      .all(q);
    const kept = raw
      .prepare("SELECT state, n FROM finished_counts WHERE queue = ? AND n > 0 ORDER BY state")
      .all(q);
    raw.close();
    expect(kept).toEqual(actual);
    expect(actual.length).toBeGreaterThan(2);
    const counts = await b.getJobCounts(q);
    for (const { state, n } of actual as Array<{ state: "completed"; n: number }>)
      expect(counts[state]).toBe(n);
    await b.obliterate(q, true);
    expect(await b.getJobCounts(q)).toMatchObject({ completed: 0, failed: 0, expired: 0, cancelled: 0 });
  });
});

describe("SqliteBackend: query plans", () => {
  /** Every named statement of the sql/ folder, parameters replaced by literals for EXPLAIN. */
  function statements(): Map<string, string> {
    const folder = join(root, "src/backends/sqlite/sql");
    const out = new Map<string, string>();
    for (const file of readdirSync(folder)) {
      const parts = readFileSync(join(folder, file), "utf8").split(/^-- @name (\S+)\s*$/m);
      for (let i = 1; i < parts.length; i += 2) {
        const sql = (parts[i + 1] ?? "").trim().replace(/;\s*$/, "");
        out.set(parts[i] as string, sql.replace(/\?/g, "'1'").replace(/@\w+/g, "'1'"));
      }
    }
    return out;
  }

  /** The steps of `sql`'s query plan on `raw`, joined by " | ". */
  function planOf(raw: Database.Database, sql: string | undefined): string {
    return (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
      .map((p) => p.detail)
      .join(" | ");
  }

  it("the hot path and the scanners read an index in order: no table scan, no sort", async () => {
    const path = freshPath();
    await new SqliteBackend({ path }).close();
    const raw = new Database(path, { readonly: true });
    const all = statements();
    const hot = [
      "claimCandidates",
      "claimOne",
      "markActive",
      "complete",
      "retry",
      "fail",
      "expireActive",
      "release",
      "extendLease",
      "progress",
      "jobGet",
      "dependantsOf",
      "dueDelayed",
      "nextDelayed",
      "expiredLeases",
      "dueExpiries",
      "dueRemovals",
      "finishedCount",
      "oldestFinished",
      "queueCounters",
      "isPaused",
      "remoteSubscriber",
      "eventsAfter",
    ];
    for (const name of hot) {
      const sql = all.get(name);
      expect(sql, name).toBeDefined();
      const plan = planOf(raw, sql);
      expect(plan, name).not.toMatch(/\bSCAN\b/);
      // dependantsOf sorts only the few children of one parent.
      if (name !== "dependantsOf") expect(plan, name).not.toMatch(/TEMP B-TREE/);
    }
    raw.close();
  });

  it("with ANALYZE statistics of a one-queue backlog, the hot path and the listings still read their indexes", async () => {
    // The engine never runs ANALYZE, but a user may (PRAGMA optimize does when it sees fit); over
    // a table that is mostly one queue, the listings then scanned every job, a subquery for each.
    const path = freshPath();
    const b = backend(path);
    await b.enqueue(
      "1",
      Array.from({ length: 2000 }, () => job()),
    );
    await b.claim("1", { workerId: "w", limit: 200, leaseMs: 60_000, now: Date.now() });
    const raw = new Database(path);
    try {
      raw.exec("ANALYZE");
      const all = statements();
      for (const name of [
        "claimCandidates",
        "markActive",
        "complete",
        "extendLease",
        "jobsDesc",
        "jobsAsc",
      ]) {
        expect(planOf(raw, all.get(name)), name).not.toMatch(/\bSCAN (jobs|j)\b/);
      }
    } finally {
      raw.close();
    }
  });

  it("the listings and counts by state read jobs_by_state, or jobs_leases for active jobs: no table scan", async () => {
    const path = freshPath();
    await new SqliteBackend({ path }).close();
    const raw = new Database(path, { readonly: true });
    const all = statements();
    // jobs_by_state leaves active jobs out (migration 011): each read names an index it may use.
    const reads: Record<string, string[]> = {
      jobsDesc: ["jobs_by_state"],
      jobsAsc: ["jobs_by_state"],
      drainable: ["jobs_by_state"],
      cleanUnfinished: ["jobs_by_state"],
      countUnfinished: ["jobs_by_state", "jobs_leases"],
      activeJobs: ["jobs_leases"],
      activeCount: ["jobs_leases"],
    };
    for (const [name, indexes] of Object.entries(reads)) {
      const plan = planOf(raw, all.get(name));
      expect(plan, name).not.toMatch(/\bSCAN (jobs|j)\b/);
      for (const index of indexes) expect(plan, name).toContain(`INDEX ${index} `);
    }
    raw.close();
  });
});

describe("SqliteBackend: migrations", () => {
  /** The newest schema version: the migrations are numbered 1..N. */
  const latest = readdirSync(join(root, "src/backends/sqlite/migrations")).filter((f) =>
    f.endsWith(".sql"),
  ).length;

  /** What migrations 004 (the stall rule), 005 (repeat runs), 006 (global concurrency), 008 (flows), 009 (trace context) and 010 (leaders) added, which the older versions below did not have. */
  const DROP_LATER_COLUMNS =
    "ALTER TABLE jobs DROP COLUMN stall_charge; ALTER TABLE jobs DROP COLUMN stall_peers; " +
    "ALTER TABLE repeat_slots DROP COLUMN runs; ALTER TABLE queues DROP COLUMN global_concurrency; " +
    // 008 (flows): job_deps.child_queue with its index, job_dep_results.
    "DROP INDEX job_deps_by_child; ALTER TABLE job_deps DROP COLUMN child_queue; " +
    "CREATE INDEX job_deps_by_child ON job_deps (queue, child_id); DROP TABLE job_dep_results; " +
    // 009 (trace context).
    "ALTER TABLE jobs DROP COLUMN trace_context; " +
    // 010 (leaders): the leaders table.
    "DROP TABLE leaders;";

  it("upgrading a version-1 file adds finished_counts, counted from the jobs already there", async () => {
    const path = freshPath();
    const a = new SqliteBackend({ path });
    await a.enqueue("m", [job(), job(), job()]);
    const claimed = await a.claim("m", { workerId: "w", limit: 2, leaseMs: 1000, now: Date.now() });
    await a.finish(
      "m",
      claimed.map((j) => ({ kind: "completed", jobId: j.id, token: j.token, resultJson: "null" })),
      Date.now(),
    );
    await a.close();
    // Turn the file back into what version 1 wrote.
    const raw = new Database(path);
    raw.exec(`DROP TABLE finished_counts; DROP TABLE metrics; ${DROP_LATER_COLUMNS}`);
    raw.pragma("user_version = 1");
    raw.close();
    const b = backend(path);
    expect(await b.getJobCounts("m")).toMatchObject({ completed: 2, waiting: 1 });
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(latest);
    check.close();
  });

  it("upgrading a version-2 file adds the metrics table; its jobs stay", async () => {
    const path = freshPath();
    const a = new SqliteBackend({ path });
    await a.enqueue("m", [job()]);
    await a.close();
    const raw = new Database(path);
    raw.exec(`DROP TABLE metrics; ${DROP_LATER_COLUMNS}`);
    raw.pragma("user_version = 2");
    raw.close();
    const b = backend(path);
    await b.metrics?.record("m", [sample(0, 2)], 0, 60_000);
    expect((await b.metrics?.totals("m"))?.completed).toBe(2);
    expect(await b.getJobCounts("m")).toMatchObject({ waiting: 1 });
    const check = new Database(path, { readonly: true });
    expect(check.pragma("user_version", { simple: true })).toBe(latest);
    check.close();
  });
});

describe("SqliteBackend: files it must refuse", () => {
  it("a path that cannot be opened names the path and what to do", () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "x");
    const bad = join(blocker, "sub", "jobs.db");
    expect(() => new SqliteBackend({ path: bad })).toThrow(BackendError);
    expect(() => new SqliteBackend({ path: bad })).toThrow(/a-file.*(pass another path|create it)/);
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    expect(() => new SqliteBackend({ path: folder })).toThrow(BackendError);
    expect(() => new SqliteBackend({ path: folder })).toThrow(/a-folder/);
  });

  it("a file that is not a database is refused and left untouched", () => {
    const path = freshPath();
    const bytes = Buffer.from("this is certainly not an SQLite database, just some text ".repeat(100));
    writeFileSync(path, bytes);
    expect(() => new SqliteBackend({ path })).toThrow(BackendError);
    expect(() => new SqliteBackend({ path })).toThrow(/not an asyncmq database/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it("another application's SQLite database is refused and left untouched", () => {
    const path = freshPath();
    const raw = new Database(path);
    raw.exec(
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('ada')",
    );
    raw.close();
    const before = readFileSync(path);
    expect(() => new SqliteBackend({ path })).toThrow(BackendError);
    expect(() => new SqliteBackend({ path })).toThrow(/another application.*customers/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("a schema newer than this code asks to upgrade asyncmq", async () => {
    const path = freshPath();
    await new SqliteBackend({ path }).close();
    const raw = new Database(path);
    raw.pragma("user_version = 999");
    raw.close();
    expect(() => new SqliteBackend({ path })).toThrow(BackendError);
    expect(() => new SqliteBackend({ path })).toThrow(/version 999.*upgrade asyncmq/);
  });

  it("an empty file is a new database", async () => {
    const path = freshPath();
    writeFileSync(path, "");
    const b = backend(path);
    expect(await b.listQueues()).toEqual([]);
  });
});

describe("SqliteBackend: two connections on one file", () => {
  it("see each other's jobs", async () => {
    const path = freshPath();
    const a = backend(path);
    const b = backend(path);
    const [r] = await a.enqueue("shared", [job()]);
    expect(await b.getJob("shared", r?.id as string)).toMatchObject({ state: "waiting" });
    const [claimed] = await b.claim("shared", { workerId: "wb", limit: 1, leaseMs: 1000, now: Date.now() });
    expect(claimed?.id).toBe(r?.id);
    expect((await a.getJob("shared", r?.id as string))?.state).toBe("active");
  });

  it("wake the other connection's listeners within 50 ms, with the reason", async () => {
    const path = freshPath();
    const a = backend(path);
    const b = backend(path);
    const reasons: WakeReason[] = [];
    let wokeAt = 0;
    const off = b.onWake("w", (reason) => {
      reasons.push(reason);
      wokeAt ||= Date.now();
    });
    // The median of a few rounds, so one scheduling hiccup on a loaded machine does not decide.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      wokeAt = 0;
      const start = Date.now();
      await a.enqueue("w", [job()]);
      await until(() => wokeAt > 0);
      latencies.push(wokeAt - start);
    }
    expect(reasons).toEqual(Array(5).fill("job"));
    expect(latencies.sort((x, y) => x - y)[2]).toBeLessThan(50);
    await a.enqueue("w", [job({ runAt: Date.now() + 60_000 })]);
    await until(() => reasons.includes("delayed"));
    await a.setPaused("w", true);
    await a.setPaused("w", false);
    await until(() => reasons.includes("resume"));
    off();
    const count = reasons.length;
    await a.enqueue("w", [job()]);
    await new Promise((r) => setTimeout(r, 30));
    expect(reasons.length).toBe(count);
  });

  it("do not wake themselves twice: a connection's own commit wakes it once", async () => {
    const path = freshPath();
    const a = backend(path);
    const b = backend(path);
    const reasons: WakeReason[] = [];
    a.onWake("self", (reason) => reasons.push(reason));
    await a.enqueue("self", [job()]);
    expect(reasons).toEqual(["job"]);
    // A foreign commit on another queue makes `a` look at its counters: its own bump is not news.
    await b.enqueue("other", [job()]);
    await new Promise((r) => setTimeout(r, 40));
    expect(reasons).toEqual(["job"]);
  });

  it("a foreign commit while the first listener reads its starting point still wakes it", async () => {
    const path = freshPath();
    const a = backend(path);
    await a.enqueue("race", [job()]);
    const woke: WakeReason[] = [];
    const conn = new SqliteConnection(
      { path, synchronous: "NORMAL", busyTimeout: 5000 },
      { wantsEvents: () => false, ownWakes: () => {} },
    );
    const notifier = new SqliteNotifier(conn, {
      wantsEvents: () => false,
      received: (_queue, effects) => woke.push(...(effects.wakes ?? [])),
    });
    // Another process commits right after the listener read its wake counters.
    const other = new Database(path);
    const read = conn.read.bind(conn);
    let committed = false;
    conn.read = <T>(fn: () => T): T => {
      const value = read(fn);
      if (!committed && typeof value === "object" && value !== null && "job" in value) {
        committed = true;
        other.prepare("UPDATE queues SET woke_job = woke_job + 1 WHERE name = 'race'").run();
      }
      return value;
    };
    try {
      notifier.listen("race", "wake");
      await until(() => woke.length > 0);
      expect(woke).toEqual(["job"]);
    } finally {
      other.close();
      await notifier.close();
      conn.close();
    }
  });

  it("deliver each other's events to subscribe, once each and in order; nothing is written without a subscriber", async () => {
    const path = freshPath();
    const a = backend(path);
    const b = backend(path);
    const eventRows = () => {
      const raw = new Database(path, { readonly: true });
      const n = (raw.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n;
      raw.close();
      return n;
    };
    await a.enqueue("ev", [job()]);
    expect(eventRows()).toBe(0);

    const inB: QueueEvent[] = [];
    const inA: QueueEvent[] = [];
    const offB = b.subscribe("ev", (e) => inB.push(e));
    const offA = a.subscribe("ev", (e) => inA.push(e));
    const [r] = await a.enqueue("ev", [job()]);
    const [claimed] = await a.claim("ev", { workerId: "wa", limit: 1, leaseMs: 1000, now: Date.now() });
    expect(claimed?.id).toBe("1");
    await a.finish(
      "ev",
      [{ kind: "completed", jobId: "1", token: claimed?.token as string, resultJson: '"ok"' }],
      Date.now(),
    );
    await until(() => inB.length >= 3);
    await new Promise((r) => setTimeout(r, 30));
    expect(inB.map((e) => `${e.name}:${e.payload.jobId}`)).toEqual([
      "job:waiting:2",
      "job:started:1",
      "job:completed:1",
    ]);
    expect(inB[2]?.payload).toMatchObject({ queue: "ev", result: "ok" });
    // The writer's own subscriber gets its events directly, not a second time through the table.
    expect(inA.map((e) => `${e.name}:${e.payload.jobId}`)).toEqual([
      "job:waiting:2",
      "job:started:1",
      "job:completed:1",
    ]);
    expect(r?.id).toBe("2");
    // b's events reach a's subscriber too.
    await b.setPaused("ev", true);
    await until(() => inA.some((e) => e.name === "queue:paused"));
    offA();
    offB();
    const rows = eventRows();
    await a.enqueue("ev", [job()]);
    expect(eventRows()).toBe(rows);
  });

  it("fire a repeatable slot exactly once", async () => {
    const path = freshPath();
    const a = backend(path);
    const b = backend(path);
    const fire = { repeatId: "r1", slot: 1000, nextRun: 2000, job: job() };
    const results = await Promise.all([
      repeatablesOf(a).fire("rep", fire),
      repeatablesOf(b).fire("rep", fire),
    ]);
    expect(results.filter((x) => x !== null)).toHaveLength(1);
    expect((await a.getJobCounts("rep")).waiting).toBe(1);
    expect(await repeatablesOf(b).lastFired("rep", "r1")).toEqual({ slot: 1000, runs: 1 });
  });

  it("stay idle without CPU while listening", async () => {
    const path = freshPath();
    const b = backend(path);
    b.onWake("idle", () => {});
    b.subscribe("idle", () => {});
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 1000));
    const used = process.cpuUsage(before);
    expect((used.user + used.system) / 1000).toBeLessThan(100);
  });
});

describe("SqliteBackend: a real second process", () => {
  // The child is plain JavaScript: it runs the backend compiled from src/ into a cache folder
  // inside the repository (so that `better-sqlite3` resolves from node_modules).
  const out = join(root, "node_modules", ".cache", "asyncmq-sqlite-child");

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
        join(root, "src", "backends", "sqlite", "sqlite-backend.ts"),
      ],
      { cwd: root, encoding: "utf8" },
    );
    if (tsc.status !== 0)
      throw new Error(`compiling the backend for the child failed:\n${tsc.stdout}${tsc.stderr}`);
    for (const folder of ["sql", "migrations"]) {
      cpSync(join(root, "src/backends/sqlite", folder), join(out, "backends/sqlite", folder), {
        recursive: true,
      });
    }
    writeFileSync(
      join(out, "child-enqueue.mjs"),
      `import { SqliteBackend } from "./backends/sqlite/sqlite-backend.js";
const [path, queue, n] = process.argv.slice(2);
const b = new SqliteBackend({ path });
const ids = [];
for (let i = 0; i < Number(n); i++) {
  const [r] = await b.enqueue(queue, [{ task: "t", dataJson: "null", priority: 5, maxRetries: 0, createdAt: Date.now() }]);
  ids.push(r.id);
}
await b.close();
process.stdout.write(JSON.stringify(ids));
`,
    );
    writeFileSync(
      join(out, "child-worker.mjs"),
      `import { SqliteBackend } from "./backends/sqlite/sqlite-backend.js";
const [path, queue] = process.argv.slice(2);
const b = new SqliteBackend({ path });
let busy = false;
async function drain() {
  if (busy) return;
  busy = true;
  for (;;) {
    const jobs = await b.claim(queue, { workerId: "child", limit: 10, leaseMs: 5000, now: Date.now() });
    if (jobs.length === 0) break;
    for (const j of jobs) process.stdout.write(JSON.stringify({ started: j.id, at: Date.now() }) + "\\n");
    await b.finish(queue, jobs.map((j) => ({ kind: "completed", jobId: j.id, token: j.token, resultJson: JSON.stringify(process.pid) })), Date.now());
  }
  busy = false;
}
b.onWake(queue, () => void drain());
process.stdin.on("end", async () => { await b.close(); process.exit(0); });
process.stdin.resume();
process.stdout.write("ready\\n");
`,
    );
  });

  it("processes that open a fresh file at once all migrate it safely and never share an id", async () => {
    const path = freshPath();
    const run = () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(out, "child-enqueue.mjs"), path, "race", "200"]);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        child.on("close", (code) => resolve({ code, stdout, stderr }));
      });
    const children = await Promise.all([run(), run(), run()]);
    const ids: string[] = [];
    for (const child of children) {
      expect(child.code, child.stderr).toBe(0);
      ids.push(...(JSON.parse(child.stdout) as string[]));
    }
    expect(new Set(ids).size).toBe(600);
    expect((await backend(path).getJobCounts("race")).waiting).toBe(600);
  }, 30_000);

  it("a child worker starts a job the parent enqueued, and the parent sees its events", async () => {
    const path = freshPath();
    const parent = backend(path);
    const seen: QueueEvent[] = [];
    parent.subscribe("xp", (e) => seen.push(e));
    const child = spawn(process.execPath, [join(out, "child-worker.mjs"), path, "xp"], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines: string[] = [];
    let buffer = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts);
    });
    try {
      await until(() => lines.includes("ready"), 10_000);
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const at = Date.now();
        const [r] = await parent.enqueue("xp", [job()]);
        await until(() => lines.some((l) => l.includes(`"started":"${r?.id}"`)));
        const line = lines.find((l) => l.includes(`"started":"${r?.id}"`)) as string;
        latencies.push((JSON.parse(line) as { at: number }).at - at);
        await until(() => seen.some((e) => e.name === "job:completed" && e.payload.jobId === r?.id));
      }
      const completed = seen.filter((e) => e.name === "job:completed");
      expect(completed.map((e) => e.payload.result)).toEqual(Array(5).fill(child.pid));
      // Enqueue-to-start across processes: the -wal watch makes this a few ms; the bound leaves
      // room for a loaded CI machine.
      latencies.sort((x, y) => x - y);
      expect(latencies[2]).toBeLessThan(50);
    } finally {
      child.stdin.end();
      await new Promise((r) => child.once("exit", r));
    }
  }, 30_000);
});
