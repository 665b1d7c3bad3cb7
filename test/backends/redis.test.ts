/**
 * Redis-specific behaviour: failing fast on a bad URL, prompt close, two backends (as two processes
 * would hold) sharing wake-ups, events and data, a caller-owned connection, large batches, and a
 * real child process killed mid-job whose job the parent's worker recovers.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend, IdleClaimer, NewJob, QueueEvent, WakeReason } from "../../src/backends/backend.js";
import { EngineBackend } from "../../src/backends/engine-backend.js";
import { jobEntries } from "../../src/backends/redis/enqueue.js";
import { JOB_SETS } from "../../src/backends/redis/queue-registry.js";
import { RECORD_FIELDS } from "../../src/backends/redis/records.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { RedisEngine } from "../../src/backends/redis/redis-engine.js";
import { BackendError } from "../../src/errors.js";
import type { JobState } from "../../src/job.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { completions } from "../conformance/helpers.js";
import { sample } from "../conformance/suite/metrics.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const prefix = uniquePrefix("backend");
afterAll(() => dropPrefix(prefix));

const open: RedisBackend[] = [];
/** A backend on the test server that the test's teardown closes. */
async function backend(): Promise<RedisBackend> {
  const b = new RedisBackend({ url: await redisUrl(), prefix });
  open.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

let queueCounter = 0;
function queueName(label: string): string {
  return `${label}-${++queueCounter}`;
}

function job(over: Partial<NewJob> = {}): NewJob {
  return { task: "t", dataJson: '{"n":1}', priority: 5, maxRetries: 0, createdAt: Date.now(), ...over };
}

async function until(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A connection to the test server that keeps the subscriber connection a backend duplicates from it. */
async function keepingSubscriber(): Promise<{ redis: Redis; subscriber: () => Redis | undefined }> {
  const redis = new Redis(await redisUrl());
  let subscriber: Redis | undefined;
  const duplicate = redis.duplicate.bind(redis);
  redis.duplicate = (...args: Parameters<Redis["duplicate"]>) => {
    subscriber = duplicate(...args);
    return subscriber;
  };
  return { redis, subscriber: () => subscriber };
}

describe("RedisBackend: connection", () => {
  it("a server that is not there gives a BackendError naming the URL, promptly", async () => {
    const b = new RedisBackend({ url: "redis://127.0.0.1:1", prefix });
    const t0 = Date.now();
    const err = await b.getJobCounts("q").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toMatch(/redis:\/\/127\.0\.0\.1:1/);
    expect((err as Error).message).toMatch(/ASYNCMQ_BACKEND/);
    await expect(b.enqueue("q", [job()])).rejects.toBeInstanceOf(BackendError);
    expect(Date.now() - t0).toBeLessThan(5000);
    b.onWake("q", () => {});
    const closing = Date.now();
    await b.close();
    await b.close();
    expect(Date.now() - closing).toBeLessThan(2000);
  });

  it("hides the password in messages", async () => {
    const b = new RedisBackend({ url: "redis://user:secret@127.0.0.1:1", prefix });
    expect(b.url).not.toContain("secret");
    const err = await b.isPaused("q").catch((e: unknown) => e);
    expect((err as Error).message).not.toContain("secret");
    await b.close();
  });

  it("close() is prompt with listeners and work in flight, and rejects later calls", async () => {
    const b = new RedisBackend({ url: await redisUrl(), prefix });
    const q = queueName("close");
    b.onWake(q, () => {});
    b.subscribe(q, () => {});
    await b.enqueue(q, [job()]);
    const inFlight = b.getJobCounts(q);
    const t0 = Date.now();
    await b.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await inFlight).waiting).toBe(1);
    await expect(b.getJob(q, "1")).rejects.toThrow(/closed/);
  });

  it("leaves a caller's connection open on close", async () => {
    const redis = new Redis(await redisUrl());
    try {
      const b = new RedisBackend(redis);
      expect(b.prefix).toBe("asyncmq");
      const q = queueName("own");
      b.onWake(q, () => {});
      await b.enqueue(q, [job()]);
      await b.close();
      expect(await redis.ping()).toBe("PONG");
      await new RedisBackend(redis).obliterate(q, true);
    } finally {
      redis.disconnect();
    }
  });

  it("a SUBSCRIBE that fails is retried, wakes its listeners, and then hears others", async () => {
    const redis = new Redis(await redisUrl());
    // The subscriber connection's first SUBSCRIBE fails, as when Redis is briefly away.
    const duplicate = redis.duplicate.bind(redis);
    redis.duplicate = (...args: Parameters<Redis["duplicate"]>) => {
      const subscriber = duplicate(...args);
      const subscribe = subscriber.subscribe.bind(subscriber) as (channel: string) => Promise<unknown>;
      let failures = 1;
      (subscriber as unknown as { subscribe: (channel: string) => Promise<unknown> }).subscribe = (
        channel,
      ) => (failures-- > 0 ? Promise.reject(new Error("Connection is closed. (test)")) : subscribe(channel));
      return subscriber;
    };
    const a = new RedisBackend({ url: await redisUrl() });
    const b = new RedisBackend(redis);
    const q = `${queueName("resub")}-${process.pid}`;
    try {
      const woke: WakeReason[] = [];
      b.onWake(q, (r) => woke.push(r));
      // Messages sent before the retry succeeded are lost, so the retry itself wakes.
      await until(() => woke.includes("job"), 5000);
      woke.length = 0;
      await a.enqueue(q, [job()]);
      await until(() => woke.includes("job"));
    } finally {
      await a.obliterate(q, true);
      await Promise.all([a.close(), b.close()]);
      redis.disconnect();
    }
  });

  it("a lost subscriber connection reconnects, wakes its listeners, and then hears others again", async () => {
    const { redis, subscriber: made } = await keepingSubscriber();
    const a = new RedisBackend({ url: await redisUrl() });
    const b = new RedisBackend(redis);
    const q = `${queueName("relisten")}-${process.pid}`;
    try {
      const woke: WakeReason[] = [];
      b.onWake(q, (r) => woke.push(r));
      await b.getJobs(q, [], { start: 0, end: 0, asc: true });
      // Dropped and reconnected: what was published meanwhile is lost, so the reconnect wakes.
      made()?.disconnect(true);
      await until(() => woke.includes("job"), 5000);
      woke.length = 0;
      await a.enqueue(q, [job()]);
      await until(() => woke.includes("job"));
    } finally {
      await a.obliterate(q, true);
      await Promise.all([a.close(), b.close()]);
      redis.disconnect();
    }
  });

  it("closed while its subscriber reconnects: no SUBSCRIBE is left to reject unhandled", async () => {
    const { redis, subscriber: made } = await keepingSubscriber();
    const b = new RedisBackend(redis);
    const q = `${queueName("close-resub")}-${process.pid}`;
    const unhandled: unknown[] = [];
    const keep = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", keep);
    try {
      b.onWake(q, () => {});
      await b.getJobs(q, [], { start: 0, end: 0, asc: true });
      // The close lands after a reconnect's re-SUBSCRIBE went out and before its reply (as when a
      // worker stops just as Redis came back and the server goes down next): a re-SUBSCRIBE that
      // nobody awaits then rejects unhandled.
      const subscriber = made();
      const closed = new Promise<void>((resolve) =>
        subscriber?.once("ready", () => {
          const done = b.close();
          (subscriber as unknown as { stream: Socket }).stream.destroy();
          void done.then(resolve);
        }),
      );
      subscriber?.disconnect(true);
      await closed;
      // Its commands are rejected as it ends; Node reports an unhandled one before the next turn.
      if (subscriber?.status !== "end") await new Promise((r) => subscriber?.once("end", r));
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", keep);
      await b.close();
      redis.disconnect();
    }
  });
});

describe("RedisBackend: two backends on one server (as two processes)", () => {
  it("see each other's wake-ups and events, once each", async () => {
    const [a, b] = [await backend(), await backend()];
    const q = queueName("xp");
    const wakesB: WakeReason[] = [];
    const eventsA: QueueEvent[] = [];
    const eventsB: QueueEvent[] = [];
    b.onWake(q, (r) => wakesB.push(r));
    a.subscribe(q, (e) => eventsA.push(e));
    b.subscribe(q, (e) => eventsB.push(e));
    // A write of `a` waits for a's own SUBSCRIBEs only; one of `b` waits for b's (else, on a busy
    // machine, b's could be confirmed after a's first PUBLISH).
    await b.getJobs(q, [], { start: 0, end: 0, asc: true });
    const [r] = await a.enqueue(q, [job({ task: "xp-task" })]);
    await until(() => wakesB.includes("job"));
    const [claimed] = await b.claim(q, { workerId: "wb", limit: 5, leaseMs: 1000, now: Date.now() });
    expect(claimed?.id).toBe(r?.id);
    await b.finish(
      q,
      [{ kind: "completed", jobId: claimed?.id as string, token: claimed?.token as string, resultJson: "7" }],
      Date.now(),
    );
    await a.setPaused(q, true);
    await a.setPaused(q, false);
    await until(() => wakesB.includes("resume"));
    const names = ["job:waiting", "job:started", "job:completed", "queue:paused", "queue:resumed"];
    await until(() => eventsA.length >= names.length && eventsB.length >= names.length);
    // Give a duplicate the time to show up if there were one.
    await new Promise((r) => setTimeout(r, 50));
    expect(eventsA.map((e) => e.name)).toEqual(names);
    expect(eventsB.map((e) => e.name)).toEqual(names);
    expect(eventsA[2]?.payload).toMatchObject({ queue: q, jobId: r?.id, task: "xp-task", result: 7 });
  });

  it("keeps data for a new backend instance", async () => {
    const q = queueName("keep");
    const first = new RedisBackend({ url: await redisUrl(), prefix });
    const [r] = await first.enqueue(q, [job({ dataJson: '{"keep":true}' })]);
    await first.close();
    const second = await backend();
    expect(await second.getJob(q, r?.id as string)).toMatchObject({ state: "waiting", data: { keep: true } });
    const [claimed] = await second.claim(q, { workerId: "w", limit: 5, leaseMs: 1000, now: Date.now() });
    expect(claimed?.id).toBe(r?.id);
  });

  it("two backends racing to claim never hand out one job twice", async () => {
    const [a, b] = [await backend(), await backend()];
    const q = queueName("race");
    await a.enqueue(
      q,
      Array.from({ length: 300 }, () => job()),
    );
    const seen: string[] = [];
    const drain = async (x: RedisBackend) => {
      for (;;) {
        const jobs = await x.claim(q, { workerId: "w", limit: 7, leaseMs: 5000, now: Date.now() });
        if (jobs.length === 0) return;
        seen.push(...jobs.map((j) => j.id));
      }
    };
    await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
    expect(seen).toHaveLength(300);
    expect(new Set(seen).size).toBe(300);
  });
});

describe("RedisBackend: active jobs", () => {
  it("have no creation index: counted and listed from the lease index, in creation order", async () => {
    const b = await backend();
    const q = queueName("active-index");
    await b.enqueue(
      q,
      Array.from({ length: 5 }, () => job()),
    );
    const now = Date.now();
    const claimed = await b.claim(q, { workerId: "w", limit: 3, leaseMs: 5000, now });
    expect(claimed.map((c) => c.id)).toEqual(["1", "2", "3"]);
    const redis = new Redis(await redisUrl());
    try {
      expect(await redis.exists(`${prefix}:${q}:s:active`)).toBe(0);
      expect(await redis.zcard(`${prefix}:${q}:active`)).toBe(3);
    } finally {
      redis.disconnect();
    }
    expect(await b.getJobCounts(q)).toMatchObject({ active: 3, waiting: 2 });
    expect((await b.getJobs(q, ["active"], { start: 0, end: -1, asc: false })).map((j) => j.id)).toEqual([
      "3",
      "2",
      "1",
    ]);
    const page = await b.getJobs(q, ["active", "waiting"], { start: 1, end: 3, asc: true });
    expect(page.map((j) => [j.id, j.state])).toEqual([
      ["2", "active"],
      ["3", "active"],
      ["4", "waiting"],
    ]);
    await b.finish(
      q,
      [{ kind: "completed", jobId: "2", token: claimed[1]?.token ?? "", resultJson: "1" }],
      now,
    );
    expect(await b.getJobCounts(q)).toMatchObject({ active: 2, completed: 1 });
    expect((await b.getJobs(q, ["active"], { start: 0, end: -1, asc: true })).map((j) => j.id)).toEqual([
      "1",
      "3",
    ]);
  });
});

describe("RedisBackend: a claim right behind an enqueue", () => {
  const claim = { workerId: "w", limit: 5, leaseMs: 30_000, now: Date.now() };

  it("wakes this process's workers as the enqueue is sent, and a claim sent then finds its job", async () => {
    const b = await backend();
    const q = queueName("early");
    const wakes: WakeReason[] = [];
    b.onWake(q, (reason) => wakes.push(reason));
    const added = b.enqueue(q, [job()]);
    // Not awaited: the enqueue is on the wire, its reply not in yet.
    expect(wakes).toEqual(["job"]);
    const claimed = b.claim(q, { ...claim, now: Date.now() });
    const [result] = await added;
    expect((await claimed).map((j) => j.id)).toEqual([result?.id]);
    // The reply's wake-up still comes.
    expect(wakes).toEqual(["job", "job"]);
  });

  it("gives no early wake-up for jobs that will not be waiting, nor with waitReplicas", async () => {
    const b = await backend();
    const q = queueName("late");
    const wakes: WakeReason[] = [];
    b.onWake(q, (reason) => wakes.push(reason));
    const delayed = b.enqueue(q, [job({ runAt: Date.now() + 60_000 })]);
    expect(wakes).toEqual([]);
    const [parent] = await delayed;
    wakes.length = 0;
    const child = b.enqueue(q, [job({ dependsOn: [parent?.id as string] })]);
    expect(wakes).toEqual([]);
    await child;

    const waiting = new RedisBackend({ url: await redisUrl(), prefix, waitReplicas: 1, waitTimeoutMs: 10 });
    open.push(waiting);
    const seen: WakeReason[] = [];
    waiting.onWake(q, (reason) => seen.push(reason));
    const added = waiting.enqueue(q, [job()]);
    expect(seen).toEqual([]);
    await added;
    expect(seen).toEqual(["job"]);
  });
});

describe("RedisBackend: an idle worker's claim sent with an enqueue", () => {
  /**
   * A backend on a connection of the test's own, whose socket writes it records (one entry per
   * system call); also that connection, which stays the test's to quit.
   */
  async function recorded() {
    const redis = new Redis(await redisUrl());
    await redis.ping();
    const b = new RedisBackend({ connection: redis, prefix });
    open.push(b);
    const writes: string[][] = [];
    const stream = redis.stream as unknown as {
      _write: (chunk: unknown, encoding: unknown, cb: unknown) => void;
      _writev: (chunks: Array<{ chunk: unknown }>, cb: unknown) => void;
    };
    const text = (chunk: unknown) => String(chunk);
    const write = stream._write.bind(stream);
    const writev = stream._writev.bind(stream);
    stream._write = (chunk, encoding, cb) => {
      writes.push([text(chunk)]);
      write(chunk, encoding, cb);
    };
    stream._writev = (chunks, cb) => {
      writes.push(chunks.map((c) => text(c.chunk)));
      writev(chunks, cb);
    };
    return { b, redis, writes };
  }

  /** Counts `b`'s idle-claim offers: made in all, and registered now (its loop sleeps idle). */
  function watchOffers(b: Backend): { made: number; idle: number } {
    const offer = b.offerIdleClaim?.bind(b);
    if (offer === undefined) throw new Error("this backend takes no idle claims");
    const seen = { made: 0, idle: 0 };
    (b as { offerIdleClaim: typeof offer }).offerIdleClaim = (queue: string, claimer: IdleClaimer) => {
      seen.made++;
      seen.idle++;
      const withdraw = offer(queue, claimer);
      return () => {
        seen.idle--;
        withdraw();
      };
    };
    return seen;
  }

  it("is made by the enqueue's own script; the loop sleeps on, and the job's finish claims (drained)", async () => {
    const { b, redis, writes } = await recorded();
    const q = queueName("handoff");
    const taskName = `${q}-t`;
    const started: string[] = [];
    task(taskName, { queue: q }, (_data, ctx) => {
      started.push(ctx.job.id);
    });
    const offers = watchOffers(b);
    // What the loop's own claims found.
    const found: number[] = [];
    const claim = b.claim.bind(b);
    (b as { claim: typeof b.claim }).claim = async (queue, options) => {
      const jobs = await claim(queue, options);
      found.push(jobs.length);
      return jobs;
    };
    const worker = new Worker(q, { backend: b, concurrency: 3, scanInterval: 60_000 });
    let drained = 0;
    worker.on("drained", () => drained++);
    try {
      await worker.start();
      await until(() => offers.idle > 0);
      found.length = 0;
      writes.length = 0;
      const [added] = await b.enqueue(q, [job({ task: taskName })]);
      await until(() => started.length === 1);
      expect(started).toEqual([added?.id]);
      // No poll comes (scanInterval 60 s): the finish's claim found the queue empty.
      await until(() => drained === 1);
      // One command: the enqueue script, carrying the worker's claim; then the job's own writes.
      const first = writes[0] ?? [];
      expect(first).toHaveLength(1);
      expect(first[0]).toContain(taskName);
      expect(first[0]).toContain(worker.id);
      // The reply's "job" wake-up had nothing left for this process: the loop made no claim.
      expect(found).toEqual([]);
    } finally {
      await worker.stop();
      unregisterTask(taskName);
      await b.close(); // a caller's connection stays open: quit it too
      await redis.quit();
    }
  });

  it("is not taken by a paused worker nor one under a rate limit; a stop waits for one in flight", async () => {
    const b = await backend();
    const q = queueName("handoff-rules");
    const taskName = `${q}-t`;
    const started: string[] = [];
    task(taskName, { queue: q }, async (_data, ctx) => {
      started.push(ctx.job.id);
      await new Promise((r) => setTimeout(r, 50));
    });
    const offers = watchOffers(b);
    const limited = new Worker(q, { backend: b, concurrency: 2, rateLimit: 100, scanInterval: 60_000 });
    const worker = new Worker(q, { backend: b, concurrency: 2, scanInterval: 60_000 });
    try {
      // A rate-limited loop never offers (its claims take tokens): none once it went idle.
      let claims = 0;
      const claim = b.claim.bind(b);
      (b as { claim: typeof b.claim }).claim = async (queue, options) => {
        const jobs = await claim(queue, options);
        claims++;
        return jobs;
      };
      await limited.start();
      await until(() => claims > 0);
      await new Promise((r) => setTimeout(r, 20));
      expect(offers.made).toBe(0);
      await limited.stop();

      await worker.start();
      await until(() => offers.idle > 0);
      // Paused while idle (its offer still registered): the enqueue claims nothing for it.
      await worker.pause();
      const [held] = await b.enqueue(q, [job({ task: taskName })]);
      await new Promise((r) => setTimeout(r, 50));
      expect(started).toEqual([]);
      expect((await b.getJob(q, held?.id as string))?.state).toBe("waiting");
      worker.resume();
      await until(() => started.length === 1);
      await until(async () => (await b.getJob(q, held?.id as string))?.state === "completed");

      // Stopped right after an enqueue whose claim is in flight: the stop waits for that job.
      await until(() => offers.idle > 0);
      const adding = b.enqueue(q, [job({ task: taskName })]);
      await worker.stop();
      const [added] = await adding;
      expect(started).toEqual([held?.id, added?.id]);
      expect((await b.getJob(q, added?.id as string))?.state).toBe("completed");
    } finally {
      await limited.stop();
      await worker.stop();
      unregisterTask(taskName);
    }
  });

  it("an enqueue that fails gives the slots back; a batch too large for one script is claimed by the loop", async () => {
    let failNext = false;
    const url = await redisUrl();
    const b = new EngineBackend((ctx) => {
      const engine = new RedisEngine({ url, prefix }, ctx);
      const { jobs } = engine;
      const combined = jobs.enqueueAndClaim.bind(jobs);
      (jobs as { enqueueAndClaim: typeof combined }).enqueueAndClaim = (queue, newJobs, options, claim) => {
        if (!failNext) return combined(queue, newJobs, options, claim);
        failNext = false;
        return Promise.reject(new BackendError("the connection dropped"));
      };
      return engine;
    });
    open.push(b as unknown as RedisBackend);
    const q = queueName("handoff-fails");
    const taskName = `${q}-t`;
    let ran = 0;
    task(taskName, { queue: q }, () => {
      ran++;
    });
    const offers = watchOffers(b);
    // No poll comes (scanInterval 60 s): a job runs only through a hand-off or a wake-up.
    const worker = new Worker(q, { backend: b, concurrency: 1, scanInterval: 60_000 });
    try {
      await worker.start();
      await until(() => offers.idle > 0);
      failNext = true;
      await expect(b.enqueue(q, [job({ task: taskName })])).rejects.toThrow("the connection dropped");
      // Its one slot is free again: the next enqueue hands it a job.
      await b.enqueue(q, [job({ task: taskName })]);
      await until(() => ran === 1);
      // 2,500 jobs: two scripts in one MULTI, no claim in them; the reply's wake-up is delivered.
      await until(() => offers.idle > 0);
      await b.enqueue(
        q,
        Array.from({ length: 2500 }, () => job({ task: taskName })),
      );
      await until(() => ran === 2501, 20_000);
    } finally {
      await worker.stop();
      unregisterTask(taskName);
    }
  }, 30_000);
});

describe("RedisBackend: the job indexes", () => {
  it("obliterate walks every state's index in chunks and leaves no key, an earlier version's `jobs` index included", async () => {
    const b = await backend();
    const q = queueName("walk");
    const redis = new Redis(await redisUrl());
    try {
      // 2,600 jobs (obliterate deletes 1,000 a script) in five states.
      const now = Date.now();
      await b.enqueue(
        q,
        Array.from({ length: 1200 }, () => job()),
      );
      await b.enqueue(
        q,
        Array.from({ length: 700 }, () => job({ runAt: now + 60_000 })),
      );
      await b.enqueue(
        q,
        Array.from({ length: 700 }, () => job({ removeOnComplete: false })),
      );
      const claimed = await b.claim(q, { workerId: "w", limit: 900, leaseMs: 30_000, now });
      await b.finish(q, completions(claimed.slice(0, 600)), now);
      await b.finish(
        q,
        claimed.slice(600, 800).map((c) => ({
          kind: "failed" as const,
          jobId: c.id,
          token: c.token,
          error: { name: "E", message: "m" },
        })),
        now,
      );
      expect(await b.getJobCounts(q)).toMatchObject({
        waiting: 1000,
        delayed: 700,
        active: 100,
        completed: 600,
        failed: 200,
      });
      // A queue written by an earlier version also had "<Q>jobs", a ZSET of every job.
      await redis.zadd(`${prefix}:${q}:jobs`, 1, "1", 2, "2");
      expect(await b.listQueues()).toContain(q);
      const all = await b.getJobs(q, [], { start: 0, end: 2, asc: false });
      expect(all.map((j) => j.id)).toEqual(["2600", "2599", "2598"]);
      // Pages ending past the first 1,000 find their bounds by bisection (get-jobs.lua): the same
      // jobs as a slice of the whole listing, the active ones among them.
      const ids = async (states: JobState[], start: number, end: number, asc: boolean) =>
        (await b.getJobs(q, states, { start, end, asc })).map((j) => j.id);
      for (const states of [[], ["completed", "active", "waiting"]] as JobState[][]) {
        for (const asc of [false, true]) {
          const whole = await ids(states, 0, -1, asc);
          for (const [start, end] of [
            [0, 9],
            [995, 1004],
            [1000, 1000],
            [850, 1850],
            [2590, 2700],
            [3000, 3010],
          ]) {
            expect(
              await ids(states, start as number, end as number, asc),
              `${states} ${asc} ${start}-${end}`,
            ).toEqual(whole.slice(start, (end as number) + 1));
          }
        }
      }
      await b.obliterate(q, true);
      expect(await redis.keys(`${prefix}:${q}:*`)).toEqual([]);
      expect(await b.listQueues()).not.toContain(q);
    } finally {
      redis.disconnect();
    }
  });

  it("RECORD_FIELDS is one list in Lua and TypeScript, and a claimed record has a slot for each and the token", () => {
    const read = (file: string) => readFileSync(join(root, "src/backends/redis/lua/includes", file), "utf8");
    const list = /local RECORD_FIELDS = \{([^}]*)\}/.exec(read("records.lua"))?.[1] ?? "";
    expect([...list.matchAll(/'([^']+)'/g)].map((m) => m[1])).toEqual(RECORD_FIELDS);
    // claiming.lua builds each record with a table constructor of `false`s (one allocation).
    const slots = /local v = \{([^}]*)\}/.exec(read("claiming.lua"))?.[1] ?? "";
    expect(slots.split(",").map((s) => s.trim())).toEqual(Array(RECORD_FIELDS.length + 1).fill("false"));
  });

  it("JOB_SETS is one list in Lua and TypeScript", () => {
    const lua = readFileSync(join(root, "src/backends/redis/lua/includes/base.lua"), "utf8");
    const list = /local JOB_SETS = \{([^}]*)\}/.exec(lua)?.[1] ?? "";
    expect([...list.matchAll(/'([^']+)'/g)].map((m) => m[1])).toEqual([...JOB_SETS]);
  });
});

describe("RedisBackend: metric keys", () => {
  it("minute hashes expire a minute past the retention, the totals never; pruning and obliterate delete them", async () => {
    const b = await backend();
    const q = queueName("metrics");
    const redis = new Redis(await redisUrl());
    try {
      const key = (name: string) => `${prefix}:${q}:${name}`;
      const keep = 10 * 60_000;
      const now = Date.now();
      const minute = Math.floor(now / 60_000) * 60_000;
      await b.metrics?.record(q, [sample(minute, 2), sample(minute - 60_000, 1)], now, keep);
      for (const name of [`metrics:${minute}`, "metrics-minutes"]) {
        const ttl = await redis.pttl(key(name));
        expect(ttl, name).toBeGreaterThan(keep);
        expect(ttl, name).toBeLessThanOrEqual(minute + keep + 60_000 - now);
      }
      expect(await redis.pttl(key("metrics-total"))).toBe(-1);
      // The next minute's first call prunes minute - 60 000 once it is out of the retention.
      await b.metrics?.record(q, [sample(minute, 1)], minute + keep, keep);
      expect(await redis.exists(key(`metrics:${minute - 60_000}`))).toBe(0);
      expect(await redis.zrange(key("metrics-minutes"), 0, -1)).toEqual([String(minute)]);
      await b.obliterate(q, false);
      expect(await redis.keys(`${prefix}:${q}:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });
});

describe("RedisBackend: delayed jobs stored by an earlier version", () => {
  it("a delayed member that is the bare job id is still promoted, cancelled or changed", async () => {
    const b = await backend();
    const q = queueName("legacy-delayed");
    const runAt = Date.now() + 60_000;
    await b.enqueue(q, [job({ id: "p", runAt }), job({ id: "c", runAt }), job({ id: "d", runAt })]);
    // What the layout before sequenced members held: member = id, and no wm on the job.
    const redis = new Redis(await redisUrl());
    const key = `${prefix}:${q}:`;
    try {
      for (const id of ["p", "c", "d"]) {
        await redis.zrem(`${key}delayed`, (await redis.hget(`${key}job:${id}`, "wm")) as string);
        await redis.zadd(`${key}delayed`, runAt, id);
        await redis.hdel(`${key}job:${id}`, "wm");
      }
      expect(await b.cancelJob(q, "c", Date.now())).toBe(true);
      expect(await b.changeDelay(q, "d", runAt + 1)).toBe(true);
      expect(await redis.zrange(`${key}delayed`, 0, -1)).toEqual(["p", expect.stringMatching(/^\d{15}d$/)]);
      expect(await b.promoteDelayed(q, runAt, 10)).toEqual({ promoted: 1, nextDueAt: runAt + 1 });
      expect(
        (await b.claim(q, { workerId: "w", limit: 10, leaseMs: 1000, now: runAt })).map((j) => j.id),
      ).toEqual(["p"]);
      expect(await b.promoteJobs(q, 10, runAt)).toBe(1);
      expect(await redis.zcard(`${key}delayed`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });
});

describe("RedisBackend: large batches", () => {
  it("enqueues a batch larger than one script chunk, all or nothing", async () => {
    const b = await backend();
    const q = queueName("bulk");
    const jobs = Array.from({ length: 4500 }, (_, i) => job({ priority: i % 3 }));
    const results = await b.enqueue(q, jobs);
    expect(results).toHaveLength(4500);
    expect(new Set(results.map((r) => r.id)).size).toBe(4500);
    expect((await b.getJobCounts(q)).waiting).toBe(4500);
    // An unknown parent at the end rejects every chunk, the first included.
    const bad = [...jobs, job({ dependsOn: ["ghost"] })];
    await expect(b.enqueue(q, bad)).rejects.toThrow(/ghost/);
    expect((await b.getJobCounts(q)).waiting).toBe(4500);
    expect(await b.drain(q, true, Date.now())).toBe(4500);
    expect(await b.listQueues()).not.toContain(q);
  });
});

describe("RedisBackend: jobs that differ only in their data", () => {
  it("travel as their data alone, after the job before in full", () => {
    const now = Date.now();
    const plain = { task: "a", priority: 5, maxRetries: 0, createdAt: now };
    const entries = jobEntries("q", [
      { ...plain, dataJson: "1" },
      { ...plain, dataJson: "2" },
      { ...plain, dataJson: "3", ttl: 5 },
      { ...plain, dataJson: "4", ttl: 5 },
      { ...plain, dataJson: "5" },
    ]);
    expect(entries.map((e) => (typeof e === "string" ? e : `full ${e[2]}`))).toEqual([
      "full 1",
      "2",
      "full 3",
      "4",
      "full 5",
    ]);
  });
});

describe("RedisBackend: a real worker process killed mid-job", () => {
  // The child is plain JavaScript: the runtime and this backend compiled from src/ into a cache
  // folder inside the repository (so that ioredis resolves from node_modules), Lua files copied.
  const out = join(root, "node_modules", ".cache", "asyncmq-redis-child");
  const children: ChildProcess[] = [];

  beforeAll(() => {
    rmSync(out, { recursive: true, force: true });
    const tsc = spawnSync(
      process.execPath,
      [
        join(root, "node_modules", "typescript", "bin", "tsc"),
        "--ignoreConfig",
        "--noCheck",
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
        join(root, "src", "backends", "redis", "redis-backend.ts"),
        join(root, "src", "worker", "worker.ts"),
        join(root, "src", "task.ts"),
      ],
      { cwd: root, encoding: "utf8" },
    );
    if (tsc.status !== 0)
      throw new Error(`compiling the runtime for the child failed:\n${tsc.stdout}${tsc.stderr}`);
    cpSync(join(root, "src/backends/redis/lua"), join(out, "backends/redis/lua"), { recursive: true });
    writeFileSync(
      join(out, "child-worker.mjs"),
      `import { RedisBackend } from "./backends/redis/redis-backend.js";
import { task } from "./task.js";
import { Worker } from "./worker/worker.js";
const [url, prefix, queue, taskName] = process.argv.slice(2);
const backend = new RedisBackend({ url, prefix });
task(taskName, { queue }, () => {
  process.stdout.write("started\\n");
  return new Promise(() => {}); // runs until the parent kills this process
});
const worker = new Worker(queue, { backend, concurrency: 1, leaseDuration: 300, scanInterval: 50 });
await worker.start();
process.stdout.write("ready\\n");
`,
    );
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("the parent's worker recovers the job of a SIGKILLed child and completes it", async () => {
    const b = await backend();
    const q = queueName("crash");
    const taskName = `${q}-work`;
    const child = spawn(
      process.execPath,
      [join(out, "child-worker.mjs"), await redisUrl(), prefix, q, taskName],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    children.push(child);
    let stdout = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    await until(() => stdout.includes("ready"), 10_000);
    const [r] = await b.enqueue(q, [job({ task: taskName })]);
    const id = r?.id as string;
    await until(() => stdout.includes("started"), 5000);
    expect((await b.getJob(q, id))?.state).toBe("active");
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    task(taskName, { queue: q }, () => "from the parent");
    const worker = new Worker(q, { backend: b, concurrency: 1, leaseDuration: 300, scanInterval: 50 });
    try {
      await worker.start();
      await until(async () => (await b.getJob(q, id))?.state === "completed", 10_000);
    } finally {
      await worker.stop();
      unregisterTask(taskName);
    }
    expect(await b.getJob(q, id)).toMatchObject({
      state: "completed",
      result: "from the parent",
      stalledCount: 1,
      attempts: 1,
    });
  }, 30_000);
});

describe("RedisBackend: repeatable run counts", () => {
  it("a slot record written before runs were kept ('<slot>' alone) counts 0 runs, and fires on", async () => {
    const b = await backend();
    const q = queueName("runs");
    const redis = new Redis(await redisUrl());
    try {
      await redis.hset(`${prefix}:${q}:slots`, "r", "1000");
      expect(await b.repeatables?.lastFired(q, "r")).toEqual({ slot: 1000, runs: 0 });
      const fire = (slot: number) => ({ repeatId: "r", slot, job: job(), nextRun: slot + 1000, limit: 1 });
      expect(await b.repeatables?.fire(q, fire(1000))).toBeNull();
      expect(await b.repeatables?.fire(q, fire(2000))).not.toBeNull();
      expect(await redis.hget(`${prefix}:${q}:slots`, "r")).toBe("2000|1");
      expect(await b.repeatables?.fire(q, fire(3000))).toBeNull();
      await b.obliterate(q, true);
    } finally {
      redis.disconnect();
    }
  });
});
