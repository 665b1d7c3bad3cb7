/**
 * The durability guarantees (docs/reliability.md) with real processes, on every durable backend:
 * worker and producer children run the BUILT package (`import ... from "asyncmq"` in
 * test/e2e/fixtures/mp-*.mjs; `npm test` builds first) and talk to each other only through the
 * backend. The parent only starts, kills and reads the children, and inspects the backend.
 *
 * 1. One producer and two workers: 5,000 jobs, each run and completed exactly once.
 * 2. A worker SIGKILLed with jobs in flight: the survivor recovers them (stalledCount >= 1), none lost.
 * 3. A poison job that SIGKILLs every process running it: failed with JobStalledError after
 *    maxStalledCount + 1 = 2 stalls, while a restarted worker completes the jobs around it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import * as api from "../../src/index.js";
import { JOB_STATES, type JobRecord, type JobState } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { childEnv, FIXTURES } from "./helpers.js";

type BackendSpec =
  | { kind: "sqlite"; path: string }
  | { kind: "redis"; url: string; prefix: string }
  | { kind: "postgres"; url: string; schema: string };

interface BackendCase {
  name: string;
  /** Where this file's jobs live on this backend (the server is started on first use). */
  spec(): Promise<BackendSpec>;
  /** Removes what the file left on the backend. */
  cleanup(): Promise<void>;
}

const tempDir = mkdtempSync(join(tmpdir(), "asyncmq-mp-"));
const redisPrefix = uniquePrefix("mp");
const pgSchema = testSchema("mp");
let redisUsed = false;
let pgUsed: string | undefined;

const BACKENDS: BackendCase[] = [
  {
    name: "sqlite",
    spec: async () => ({ kind: "sqlite", path: join(tempDir, "asyncmq.db") }),
    cleanup: async () => {},
  },
  {
    name: "redis",
    spec: async () => {
      redisUsed = true;
      return { kind: "redis", url: await redisUrl(), prefix: redisPrefix };
    },
    cleanup: async () => {
      if (redisUsed) await dropPrefix(redisPrefix);
    },
  },
];
// The Postgres backend joins as soon as the package exports it (the children import it from there).
if ("PostgresBackend" in api) {
  BACKENDS.push({
    name: "postgres",
    spec: async () => {
      pgUsed = await postgresUrl();
      return { kind: "postgres", url: pgUsed, schema: pgSchema };
    },
    cleanup: async () => {
      if (pgUsed !== undefined) await dropSchema(pgUsed, pgSchema);
      stopPostgres();
    },
  });
}

/** The parent's own connection to the backend a spec describes (the source, not the build). */
function openBackend(spec: BackendSpec): Backend {
  switch (spec.kind) {
    case "sqlite":
      return new SqliteBackend({ path: spec.path });
    case "redis":
      return new RedisBackend({ url: spec.url, prefix: spec.prefix });
    case "postgres":
      return new PostgresBackend({ url: spec.url, schema: spec.schema });
  }
}

/** A child process running a fixture, its stdout read line by line. */
class Child {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  /** How it ended: exit code, or the signal that killed it. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    script: string,
    config: unknown,
  ) {
    this.child = spawn(process.execPath, [join(FIXTURES, script), JSON.stringify(config)], {
      cwd: tempDir,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.lines.push(line);
      this.#notify();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.ended = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.#closed = true;
        this.#notify();
        resolve({ code, signal });
      });
    });
    running.add(this);
    void this.ended.then(() => running.delete(this));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Ids from lines `<word> <id>`. */
  ids(word: "start" | "done"): string[] {
    const prefix = `${word} `;
    return this.lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
  }

  describe(): string {
    const tail = this.lines.slice(-5).join("\n");
    return `${this.label} (pid ${this.pid}), last lines:\n${tail}\nstderr:\n${this.stderr}`;
  }

  /** Resolves once `check` holds; fails if the process ends first or after `ms`. */
  until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (check()) done(resolve);
        else if (this.#closed) done(() => reject(new Error(`${what}: process ended\n${this.describe()}`)));
      };
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(attempt);
        settle();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${what}: not within ${ms} ms\n${this.describe()}`))),
        ms,
      );
      this.#waiters.add(attempt);
      attempt();
    });
  }

  ready(): Promise<void> {
    return this.until(() => this.lines.some((l) => l.startsWith("ready ")), `${this.label} ready`);
  }

  /** SIGTERM, then the graceful exit the worker fixture promises. */
  async stop(): Promise<void> {
    this.child.kill("SIGTERM");
    const end = await withTimeout(this.ended, 10_000, `${this.label} stopping`);
    expect(end, this.describe()).toEqual({ code: 0, signal: null });
    expect(this.lines.at(-1), this.describe()).toBe("stopped");
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

const running = new Set<Child>();
afterEach(async () => {
  // A failed test leaves its children: kill them, so they neither linger nor touch the next test.
  const left = [...running];
  for (const c of left) c.child.kill("SIGKILL");
  await Promise.all(left.map((c) => c.ended));
});

const opened: Backend[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  for (const b of BACKENDS) await b.cleanup();
  rmSync(tempDir, { recursive: true, force: true });
});

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `read` every 25 ms until `done` holds for its value; fails with the last value after `ms`. */
async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every state 0 but the given ones. */
function counts(nonZero: Partial<Record<JobState, number>>): Record<JobState, number> {
  return Object.fromEntries(JOB_STATES.map((s) => [s, nonZero[s] ?? 0])) as Record<JobState, number>;
}

/** How many times each id occurs. */
function tally(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

function resultPid(job: JobRecord): number | undefined {
  return (job.result as { pid?: number } | undefined)?.pid;
}

let queueCounter = 0;

describe.each(BACKENDS)("multi-process durability on $name", (backendCase) => {
  // Start the server (if the test setup runs its own) before the tests, so they time only themselves.
  beforeAll(async () => {
    await backendCase.spec();
  });

  /** A fresh queue on this backend, with the parent's Queue and the children's config. */
  async function setup(label: string) {
    const spec = await backendCase.spec();
    const backend = openBackend(spec);
    opened.push(backend);
    const name = `mp-${label}-${process.pid}-${++queueCounter}`;
    const queue = new Queue(name, { backend });
    const worker = (tag: string, options: Record<string, unknown>) =>
      new Child(tag, "mp-worker.mjs", { backend: spec, queue: name, ...options });
    return { spec, name, queue, worker };
  }

  it("one producer and two worker processes: 5,000 jobs, each completed exactly once", async () => {
    const { spec, name, queue, worker } = await setup("once");
    const options = { concurrency: 16, scanInterval: 200 };
    const workers = [worker("worker A", options), worker("worker B", options)];
    await Promise.all(workers.map((w) => w.ready()));
    const producer = new Child("producer", "mp-producer.mjs", {
      backend: spec,
      queue: name,
      count: 5000,
      chunk: 500,
    });
    const produced = await withTimeout(producer.ended, 20_000, "producer");
    expect(produced, producer.describe()).toEqual({ code: 0, signal: null });
    const idsLine = producer.lines.find((l) => l.startsWith("ids ")) ?? "ids []";
    const ids = JSON.parse(idsLine.slice(4)) as string[];
    expect(ids).toHaveLength(5000);
    expect(new Set(ids).size).toBe(5000);
    // It enqueued in ten chunks while the workers were already consuming.
    expect(producer.lines.filter((l) => l.startsWith("added "))).toHaveLength(10);

    await pollUntil(
      () => queue.getJobCounts(),
      (c) => c.completed === 5000 || c.failed > 0,
      "5,000 completed",
    );
    await Promise.all(workers.map((w) => w.stop()));

    expect(await queue.getJobCounts()).toEqual(counts({ completed: 5000 }));
    // Every job started exactly once across both processes, and finished in the run that started it.
    const [a, b] = workers as [Child, Child];
    const started = tally([...a.ids("start"), ...b.ids("start")]);
    expect(started.size).toBe(5000);
    expect([...started.keys()].sort()).toEqual([...ids].sort());
    expect([...started.values()].filter((n) => n !== 1)).toEqual([]);
    expect(tally([...a.ids("done"), ...b.ids("done")]).size).toBe(5000);
    // Both processes did real work.
    expect(a.ids("start").length).toBeGreaterThan(0);
    expect(b.ids("start").length).toBeGreaterThan(0);

    const ranIn = new Map<string, number>();
    for (const w of workers) for (const id of w.ids("start")) ranIn.set(id, w.pid);
    const jobs = await queue.getJobs(["completed"]);
    expect(jobs).toHaveLength(5000);
    const wrong = jobs.filter(
      (j) => j.attempts !== 1 || j.stalledCount !== 0 || resultPid(j) !== ranIn.get(j.id),
    );
    expect(wrong.map((j) => ({ id: j.id, attempts: j.attempts, stalled: j.stalledCount }))).toEqual([]);
    await queue.close();
  }, 45_000);

  it("queue.waitFor in this process settles with the outcome of jobs another process runs", async () => {
    const { queue, worker } = await setup("wait");
    const child = worker("worker", { concurrency: 8, scanInterval: 200 });
    // Waits begin before the worker exists: each settles on the child's event, not on a first read.
    const ids = await queue.addBulk(
      Array.from({ length: 40 }, (_, i) => ({ task: "mp", data: { ms: i % 5 } })),
    );
    const failing = await queue.add("mp", { fail: "remote boom" });
    const results = Promise.all(ids.map((id) => queue.waitFor(id, { timeout: "20s" })));
    const failure = queue.waitFor(failing, { timeout: "20s" }).catch((e: unknown) => e);
    await child.ready();
    const pids = new Set((await results).map((r) => (r as { pid: number }).pid));
    expect([...pids]).toEqual([child.pid]);
    expect(await failure).toMatchObject({ name: "JobFailedError", state: "failed", message: "remote boom" });
    await child.stop();
  });

  it("a worker process SIGKILLed with jobs in flight loses none: the survivor recovers them", async () => {
    const { name, queue, worker } = await setup("kill");
    const options = { concurrency: 8, leaseDuration: 500, scanInterval: 50 };
    const victim = worker("victim", options);
    const survivor = worker("survivor", options);
    await Promise.all([victim.ready(), survivor.ready()]);
    const total = 200;
    // Run times of 20 to 50 ms, so that a worker's jobs do not all end together.
    const ids = await queue.addBulk(
      Array.from({ length: total }, (_, i) => ({ task: "mp", data: { i, ms: 20 + (i % 7) * 5 } })),
    );
    expect(new Set(ids).size).toBe(total);

    // Kill it in the middle of its work: after it completed some, while it holds others.
    await victim.until(() => {
      const done = victim.ids("done").length;
      return done >= 20 && victim.ids("start").length > done;
    }, "victim completed 20 jobs and runs more");
    victim.child.kill("SIGKILL");
    expect(await withTimeout(victim.ended, 5000, "victim dying")).toEqual({ code: null, signal: "SIGKILL" });
    const victimDone = new Set(victim.ids("done"));
    const held = victim.ids("start").filter((id) => !victimDone.has(id));
    expect(held.length, `queue ${name}: the victim held no job when killed`).toBeGreaterThan(0);

    await pollUntil(
      () => queue.getJobCounts(),
      (c) => c.completed === total || c.failed > 0,
      `${total} completed`,
    );
    await survivor.stop();
    expect(await queue.getJobCounts()).toEqual(counts({ completed: total }));

    const jobs = new Map((await queue.getJobs()).map((j) => [j.id, j]));
    expect(jobs.size).toBe(total);
    const survivorRan = new Set(survivor.ids("start"));
    // What the dead worker held was recovered (a stall, not a failure) and run by the survivor.
    for (const id of held) {
      const j = jobs.get(id) as JobRecord;
      expect({
        id,
        state: j.state,
        stalled: j.stalledCount >= 1,
        pid: resultPid(j),
        rerun: survivorRan.has(id),
      }).toEqual({
        id,
        state: "completed",
        stalled: true,
        pid: survivor.pid,
        rerun: true,
      });
    }
    // Only the dead worker's jobs stalled: the survivor finished every one of them. (The victim's
    // log cannot say which: it may have claimed a job and died before its handler began, or after
    // its handler returned but before the completion was written.)
    const stalled = [...jobs.values()].filter((j) => j.stalledCount > 0);
    for (const j of stalled) expect({ id: j.id, pid: resultPid(j) }).toEqual({ id: j.id, pid: survivor.pid });
    expect(stalled.length).toBeGreaterThanOrEqual(held.length);
    // Every job ran at least once, and only recovered ones ran twice.
    const runs = tally([...victim.ids("start"), ...survivor.ids("start")]);
    expect(ids.filter((id) => !runs.has(id))).toEqual([]);
    const twice = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice.filter((id) => (jobs.get(id)?.stalledCount ?? 0) === 0)).toEqual([]);
    expect([...runs.values()].every((n) => n <= 2)).toBe(true);
    await queue.close();
  }, 45_000);

  it("a poison job that SIGKILLs its process fails with JobStalledError after 2 stalls; the rest complete", async () => {
    const { queue, worker } = await setup("poison");
    // Ahead of the others (priority 1 before the default 5), so the first worker takes it first.
    const poisonId = await queue.add("mp", { poison: true }, { priority: 1 });
    const others = await queue.addBulk(
      Array.from({ length: 20 }, (_, i) => ({ task: "mp", data: { i, ms: 10 } })),
    );
    // One job at a time: a dying process takes down only the poison job, never a bystander.
    const options = { concurrency: 1, leaseDuration: 500, scanInterval: 50, maxStalledCount: 1 };

    // Keep a worker running: whenever one dies, start the next (at most 5).
    const spawned: Child[] = [];
    const deadline = Date.now() + 25_000;
    let current = worker("worker 1", options);
    spawned.push(current);
    for (;;) {
      const c = await queue.getJobCounts();
      if (c.failed + c.completed === 21) break;
      if (Date.now() > deadline) throw new Error(`poison run not finished: ${JSON.stringify(c)}`);
      if (current.closed) {
        if (spawned.length === 5) throw new Error(`five workers died: ${JSON.stringify(c)}`);
        current = worker(`worker ${spawned.length + 1}`, options);
        spawned.push(current);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    await current.stop();

    expect(await queue.getJobCounts()).toEqual(counts({ completed: 20, failed: 1 }));
    const poison = (await queue.getJob(poisonId)) as JobRecord;
    expect(poison).toMatchObject({ state: "failed", stalledCount: 2, error: { name: "JobStalledError" } });
    // It ran twice, each time killing the process running it; the third worker failed it unrun.
    const runs = spawned.map((w) => w.ids("start").filter((id) => id === poisonId).length);
    expect(runs).toEqual([1, 1, 0]);
    const ends = await Promise.all(spawned.slice(0, 2).map((w) => w.ended));
    expect(ends).toEqual([
      { code: null, signal: "SIGKILL" },
      { code: null, signal: "SIGKILL" },
    ]);
    for (const w of spawned.slice(0, 2)) expect(w.ids("start").at(-1), w.describe()).toBe(poisonId);
    // The others ran once each and completed, none stalled.
    const jobs = await Promise.all(others.map((id) => queue.getJob(id)));
    const wrong = jobs.filter((j) => j?.state !== "completed" || j.stalledCount !== 0 || j.attempts !== 1);
    expect(wrong).toEqual([]);
    const ran = tally(spawned.flatMap((w) => w.ids("start")).filter((id) => id !== poisonId));
    expect([...ran.keys()].sort()).toEqual([...others].sort());
    expect([...ran.values()].every((n) => n === 1)).toBe(true);
    await queue.close();
  }, 45_000);
});
