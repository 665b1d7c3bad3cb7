/**
 * The Redis backend's scripts as a Redis Function library (scripts.ts, connection.ts): loaded by
 * the first call, used by every call after it, loaded again when the server lost it, and replaced
 * by EVALSHA scripts where the server refuses FUNCTION LOAD or FCALL (here: ACL users).
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { NewJob } from "../../src/backends/backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { functionLibrary } from "../../src/backends/redis/scripts.js";
import { completions } from "../conformance/helpers.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const prefix = uniquePrefix("functions");
const open: Array<RedisBackend | Redis> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => (c instanceof Redis ? c.quit() : c.close())));
});
afterAll(() => dropPrefix(prefix));

async function admin(): Promise<Redis> {
  const redis = new Redis(await redisUrl());
  open.push(redis);
  return redis;
}

function job(n: number): NewJob {
  return { task: "t", dataJson: JSON.stringify({ n }), priority: 5, maxRetries: 0, createdAt: Date.now() };
}

/** Enqueues three jobs, claims and completes them; the ids completed. */
async function roundTrip(b: RedisBackend, queue: string): Promise<string[]> {
  await b.enqueue(queue, [job(1), job(2), job(3)]);
  const now = Date.now();
  const claimed = await b.claim(queue, { workerId: "w", limit: 10, leaseMs: 5000, now });
  const done = await b.finish(queue, completions(claimed), now);
  expect(done).toEqual(claimed.map(() => true));
  return claimed.map((c) => c.id);
}

/** The library's functions on the server (none when it is not loaded). */
async function loadedFunctions(redis: Redis): Promise<string[]> {
  const { name } = functionLibrary();
  const list = (await redis.call("FUNCTION", "LIST", "LIBRARYNAME", name)) as unknown[];
  return JSON.stringify(list).match(new RegExp(`${name}_\\w+`, "g")) ?? [];
}

/** FCALL and EVALSHA (or EVAL) calls the server counted so far. */
async function scriptCalls(redis: Redis): Promise<{ fcall: number; evalsha: number }> {
  const stats = await redis.info("commandstats");
  const calls = (name: string) => Number(stats.match(new RegExp(`cmdstat_${name}:calls=(\\d+)`))?.[1] ?? 0);
  return { fcall: calls("fcall"), evalsha: calls("evalsha") + calls("eval") };
}

/** Runs `test` with a backend that connects as a user with the ACL `rules` on top of +@all. */
async function asUser(rules: string[], test: (b: RedisBackend) => Promise<void>): Promise<void> {
  const redis = await admin();
  const user = `asyncmq_functions_${process.pid}`;
  await redis.call("ACL", "SETUSER", user, "reset", "on", ">secret", "~*", "&*", "+@all", ...rules);
  try {
    const url = new URL(await redisUrl());
    url.username = user;
    url.password = "secret";
    const b = new RedisBackend({ url: url.toString(), prefix });
    open.push(b);
    await test(b);
  } finally {
    await redis.call("ACL", "DELUSER", user);
  }
}

describe("Redis scripts as a function library", () => {
  it("the first call loads the library, with a function for every script, and the calls are FCALLs", async () => {
    const redis = await admin();
    // EVAL and EVALSHA refused: the round trip can only go through FCALL (the server's counters
    // alone would also count other test files' calls on a shared server).
    await asUser(["-eval", "-evalsha", "-eval_ro", "-evalsha_ro"], async (b) => {
      const before = await scriptCalls(redis);
      expect(await roundTrip(b, "loaded")).toEqual(["1", "2", "3"]);
      const functions = await loadedFunctions(redis);
      for (const script of ["enqueue", "claim", "finish", "recover-stalled", "list-queues"]) {
        expect(functions).toContain(functionLibrary().functionOf(script));
      }
      const after = await scriptCalls(redis);
      expect(after.fcall - before.fcall).toBeGreaterThanOrEqual(3);
    });
  });

  it("a library deleted from the server is loaded again by the next call, which goes on", async () => {
    const redis = await admin();
    const b = new RedisBackend({ url: await redisUrl(), prefix });
    open.push(b);
    await roundTrip(b, "reloaded");
    await redis.call("FUNCTION", "DELETE", functionLibrary().name);
    expect(await loadedFunctions(redis)).toEqual([]);
    // A single script (enqueue of a few jobs) and a MULTI of scripts (a batch of chunks) both recover.
    expect(await roundTrip(b, "reloaded")).toEqual(["4", "5", "6"]);
    expect((await loadedFunctions(redis)).length).toBeGreaterThan(0);
    await redis.call("FUNCTION", "DELETE", functionLibrary().name);
    const many = Array.from({ length: 4500 }, (_, i) => job(i));
    const added = await b.enqueue("reloaded-bulk", many);
    expect(added).toHaveLength(4500);
    expect(await b.getJobCounts("reloaded-bulk")).toMatchObject({ waiting: 4500 });
  });

  it.each([
    ["FUNCTION LOAD and FCALL", ["-function", "-fcall", "-fcall_ro"]],
    ["FCALL only", ["-fcall", "-fcall_ro"]],
  ])("where %s are refused (an ACL), runs the scripts with EVALSHA", async (_label, rules) => {
    const redis = await admin();
    await asUser(rules, async (b) => {
      const queue = `refused-${rules.length}`;
      const before = await scriptCalls(redis);
      expect(await roundTrip(b, queue)).toEqual(["1", "2", "3"]);
      expect(await roundTrip(b, queue)).toEqual(["4", "5", "6"]);
      const after = await scriptCalls(redis);
      expect(after.evalsha - before.evalsha).toBeGreaterThanOrEqual(6);
    });
  });
});
