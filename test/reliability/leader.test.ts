/**
 * Leader-run maintenance on real engines (a SQLite file, Redis, Postgres): several runtimes on one
 * queue, each with its own backend instance as separate processes would have. Only the leader runs
 * the maintenance calls; when it dies without resigning another takes over after the lease expires
 * and still recovers stalled jobs and promotes delayed ones; a graceful stop resigns, so the
 * takeover does not wait for the expiry; repeatables stay exactly once per slot; an idle claim loop
 * backs off to its long safety poll and is still woken at once by another process's job.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Backend, LeaderStore } from "../../src/backends/backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { runWorker } from "../../src/worker/runners.js";
import { uniqueQueue, until, withMembers } from "../helpers.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const MAINTENANCE = ["recoverStalled", "promoteDelayed", "removeExpiredFinished", "expireDue"] as const;

/** A "process": its own backend instance, counting its calls; `die()` makes it stop without resigning. */
interface Proc {
  backend: Backend;
  calls: Record<string, number>;
  /** When this process first made each call, epoch ms. */
  first: Record<string, number>;
  /** From now on the process resigns nothing, as one killed would. */
  die(): void;
  maintenance(): number;
}

function counted(real: Backend): Proc {
  const calls: Record<string, number> = {};
  const first: Record<string, number> = {};
  let dead = false;
  const overrides: Partial<Record<keyof Backend, unknown>> = {};
  for (const name of [...MAINTENANCE, "claim"] as const) {
    const method = (real[name] as (...a: unknown[]) => Promise<unknown>).bind(real);
    overrides[name] = (...args: unknown[]) => {
      calls[name] = (calls[name] ?? 0) + 1;
      first[name] ??= Date.now();
      return method(...args);
    };
  }
  const leaders = real.leaders as LeaderStore;
  overrides.leaders = {
    tryLead: (...args: Parameters<LeaderStore["tryLead"]>) => leaders.tryLead(...args),
    resign: async (...args: Parameters<LeaderStore["resign"]>) => {
      if (!dead) await leaders.resign(...args);
    },
  } satisfies LeaderStore;
  return {
    backend: withMembers(real, overrides as Partial<Backend>),
    calls,
    first,
    die: () => {
      dead = true;
    },
    maintenance: () => MAINTENANCE.reduce((n, name) => n + (calls[name] ?? 0), 0),
  };
}

interface Engine {
  name: string;
  open(): Promise<Backend> | Backend;
  dispose(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "asyncmq-leader-"));
const redisPrefix = uniquePrefix("leader");
const pgSchema = testSchema("leader");

const ENGINES: Engine[] = [
  {
    name: "sqlite file",
    open: () => new SqliteBackend({ path: join(dir, "leader.db") }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  },
  {
    name: "redis",
    open: async () => new RedisBackend({ url: await redisUrl(), prefix: redisPrefix }),
    dispose: () => dropPrefix(redisPrefix),
  },
  {
    name: "postgres",
    open: async () => new PostgresBackend({ url: await postgresUrl(), schema: pgSchema }),
    dispose: async () => {
      await dropSchema(await postgresUrl(), pgSchema);
      stopPostgres();
    },
  },
];

afterAll(async () => {
  for (const engine of ENGINES) await engine.dispose();
});

describe.each(ENGINES)("leader-run maintenance: $name", (engine) => {
  const opened: Backend[] = [];
  const tasks: string[] = [];
  const stops: AbortController[] = [];
  const runs: Promise<void>[] = [];

  afterEach(async () => {
    for (const ctl of stops.splice(0)) ctl.abort();
    await Promise.allSettled(runs.splice(0));
    for (const b of opened.splice(0)) await b.close();
    for (const t of tasks.splice(0)) unregisterTask(t);
  });

  async function procs(n: number): Promise<Proc[]> {
    const out: Proc[] = [];
    for (let i = 0; i < n; i++) {
      const b = await engine.open();
      opened.push(b);
      out.push(counted(b));
    }
    return out;
  }

  /** A producer/admin view of the queue on its own backend instance. */
  async function queueOf(name: string): Promise<Queue> {
    const b = await engine.open();
    opened.push(b);
    return new Queue(name, { backend: b });
  }

  function define(name: string, queue: string): void {
    task(name, { queue }, () => "ok");
    tasks.push(name);
  }

  function start(q: string, proc: Proc, options: Parameters<typeof runWorker>[1] = {}): AbortController {
    const ctl = new AbortController();
    stops.push(ctl);
    runs.push(runWorker(q, { backend: proc.backend, signal: ctl.signal, scanInterval: 50, ...options }));
    return ctl;
  }

  it("three runtimes: only the leader makes maintenance calls", async () => {
    const q = uniqueQueue("one");
    const ps = await procs(3);
    for (const p of ps) start(q, p, { leaderLease: 1500 });
    // An idle leader's sweeps back off (the housekeeper doubles its wait from scanInterval): 10
    // calls take a few seconds, long enough for a runtime that is not the leader to show its own.
    await until(() => ps.some((p) => p.maintenance() >= 10), 15_000, "10 maintenance calls");
    expect(ps.filter((p) => p.maintenance() > 0)).toHaveLength(1);
    // Every runtime still claims.
    for (const p of ps) expect(p.calls.claim ?? 0).toBeGreaterThan(0);
  });

  it("a leader killed without resigning is replaced: a stalled job is recovered and a delayed job promoted", async () => {
    const q = uniqueQueue("kill");
    define(`${q}-t`, q);
    const ttl = 1500;
    // A job claimed by a worker that then vanished, before the runtimes start (they would take it
    // first); its lease outlives the leader, which is killed at once.
    const queue = await queueOf(q);
    const [stalled] = await queue.backend.enqueue(q, [newJob(`${q}-t`)]);
    const ghost = await queue.backend.claim(q, {
      workerId: "ghost",
      limit: 1,
      leaseMs: 1000,
      now: Date.now(),
    });
    expect(ghost).toHaveLength(1);
    const ps = await procs(3);
    const ctls = ps.map((p) => start(q, p, { leaderLease: ttl }));
    const leader = (await until(() => ps.find((p) => p.maintenance() > 0), 10_000, "a leader")) as Proc;
    const i = ps.indexOf(leader);
    leader.die();
    ctls[i]?.abort();
    await runs[i];
    const killedAt = Date.now();
    // And a job delayed by 100 ms, added once the leader is gone.
    const [delayed] = await queue.backend.enqueue(q, [{ ...newJob(`${q}-t`), runAt: Date.now() + 100 }]);
    const done = async (id: string | undefined) => (await queue.getJob(id as string))?.state === "completed";
    await until(async () => (await done(stalled?.id)) && (await done(delayed?.id)), 15_000, "both jobs");
    const took = Date.now() - killedAt;
    const survivors = ps.filter((_, j) => j !== i);
    expect(survivors.filter((p) => (p.calls.recoverStalled ?? 0) > 0)).toHaveLength(1);
    // Lease expiry (<= ttl) + the next try (ttl / 3) + a sweep, with room for a loaded machine.
    expect(took).toBeLessThan(ttl + ttl / 3 + 3000);
    expect((await queue.getJob(stalled?.id as string))?.stalledCount).toBe(1);
  });

  it("a leader that stops gracefully resigns: another takes over before its lease would have expired", async () => {
    const q = uniqueQueue("resign");
    const ttl = 6000;
    const ps = await procs(2);
    const ctls = ps.map((p) => start(q, p, { leaderLease: ttl }));
    const leader = (await until(() => ps.find((p) => p.maintenance() > 0), 10_000, "a leader")) as Proc;
    const i = ps.indexOf(leader);
    const other = ps[1 - i] as Proc;
    // Renewed every ttl / 3: when it stops its lease has >= 2/3 ttl (4 s) left; the other tries every 2 s.
    ctls[i]?.abort();
    await runs[i];
    const stoppedAt = Date.now();
    await until(() => other.first.recoverStalled, 10_000, "the other's first sweep");
    expect(other.first.recoverStalled as number).toBeLessThan(stoppedAt + (2 * ttl) / 3 - 500);
  });

  it("three runtimes: repeatables (in-process and durable) fire exactly once per slot", async () => {
    const q = uniqueQueue("rep");
    define(`${q}-t`, q);
    const every = 100;
    const queue = await queueOf(q);
    await queue.upsertRepeatable({ task: `${q}-t`, every, id: "dur" });
    const local = [{ task: `${q}-t`, every, id: "loc" }];
    const ps = await procs(3);
    for (const p of ps) start(q, p, { leaderLease: 1500, repeatables: local });
    const slotsOf = async (id: string) =>
      (await queue.getJobs([], { asc: true }))
        .map((j) => new RegExp(`^repeat-${id}-(\\d+)$`).exec(j.id)?.[1])
        .filter((s): s is string => s !== undefined)
        .map(Number);
    await until(
      async () => (await slotsOf("dur")).length >= 12 && (await slotsOf("loc")).length >= 12,
      20_000,
    );
    for (const id of ["dur", "loc"]) {
      const slots = (await slotsOf(id)).sort((a, b) => a - b);
      expect(new Set(slots).size).toBe(slots.length);
      expect(((slots.at(-1) as number) - (slots[0] as number)) / every + 1).toBe(slots.length);
    }
  });

  it("an idle claim loop backs off to its safety poll and still hears another process's job at once", async () => {
    const q = uniqueQueue("idle");
    define(`${q}-t`, q);
    const [p] = await procs(1);
    const proc = p as Proc;
    expect(proc.backend.capabilities.reliableWakeups).toBe(true);
    start(q, proc, { scanInterval: 20, idlePoll: 20_000 });
    await until(() => proc.calls.claim, 5000, "a first claim");
    await new Promise((r) => setTimeout(r, 1500));
    // Sleeps of 20, 40, 80, ... ms: about 7 claims in 1.5 s, where a fixed 20 ms poll makes 75.
    expect(proc.calls.claim).toBeLessThanOrEqual(12);
    const queue = await queueOf(q);
    const added = Date.now();
    const [job] = await queue.backend.enqueue(q, [newJob(`${q}-t`)]);
    await until(
      async () => (await queue.getJob(job?.id as string))?.state === "completed",
      10_000,
      "the job",
    );
    // The next poll would be seconds away: a wake-up brought it.
    expect(Date.now() - added).toBeLessThan(1500);
  });

  it("an idle leader's maintenance backs off, and a job stalled meanwhile is still recovered soon after its lease lapses", async () => {
    const q = uniqueQueue("quiet");
    const [p] = await procs(1);
    const proc = p as Proc;
    // Job lease 2 s: an idle stall sweep every 1 s at most (half of it); retention/ttl double from
    // 50 ms. rateLimit 0: this worker claims nothing, so the job below is the ghost's alone.
    start(q, proc, { scanInterval: 50, leaseDuration: 2000, idlePoll: 20_000, rateLimit: 0 });
    await until(() => proc.calls.recoverStalled, 5000, "a first sweep");
    const since = { ...proc.calls };
    await new Promise((r) => setTimeout(r, 2500));
    const made = (name: string) => (proc.calls[name] ?? 0) - (since[name] ?? 0);
    // Every 50 ms, as before, would be ~50 calls of each in 2.5 s.
    expect(made("recoverStalled")).toBeLessThanOrEqual(4);
    expect(made("removeExpiredFinished")).toBeLessThanOrEqual(8);
    expect(made("promoteDelayed")).toBeLessThanOrEqual(3);
    // A worker that vanished holding a job (lease 300 ms), claimed while the sweeper sleeps.
    const queue = await queueOf(q);
    const [job] = await queue.backend.enqueue(q, [newJob(`${q}-t`)]);
    const ghost = await queue.backend.claim(q, {
      workerId: "ghost",
      limit: 1,
      leaseMs: 300,
      now: Date.now(),
    });
    expect(ghost.map((j) => j.id)).toEqual([job?.id]);
    const claimed = Date.now();
    await until(
      async () => (await queue.getJob(job?.id as string))?.state === "waiting",
      10_000,
      "the job back",
    );
    // Lease 300 ms + the sweeper's idle sleep (1 s at most), with room for a loaded machine.
    expect(Date.now() - claimed).toBeLessThan(2500);
    expect((await queue.getJob(job?.id as string))?.stalledCount).toBe(1);
  });

  it("a repeatable stored by another process starts at its first slot, though the leader's look for them backs off", async () => {
    const q = uniqueQueue("rep-late");
    define(`${q}-t`, q);
    const [p] = await procs(1);
    start(q, p as Proc, { scanInterval: 50, idlePoll: 20_000 });
    await until(() => (p as Proc).calls.recoverStalled, 5000, "a leader");
    await new Promise((r) => setTimeout(r, 500)); // its scheduler now sleeps up to 20 s
    const queue = await queueOf(q);
    const stored = Date.now();
    await queue.upsertRepeatable({ task: `${q}-t`, every: 200, id: "late" });
    await until(async () => (await queue.getJobCounts()).completed >= 1, 10_000, "a first run");
    // Its first slot is at most 200 ms away: the upsert woke the scheduler.
    expect(Date.now() - stored).toBeLessThan(2000);
  });
});

function newJob(task: string) {
  return { task, dataJson: "null", priority: 0, maxRetries: 0, createdAt: Date.now() };
}
