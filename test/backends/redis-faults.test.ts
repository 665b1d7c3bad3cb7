/**
 * Redis refusing writes (issue 10, item 9): a Redis out of memory (maxmemory reached, noeviction)
 * must be named as such, with what to do, not asked whether it is running and reachable (an addBulk
 * surfaced as "EXECABORT ... Is Redis running and reachable there?"). The test starts its own
 * redis-server, stores some data, then sets its maxmemory to half of what it uses.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { BackendError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { type RedisServer, startRedisServer } from "../support/redis-server.js";

let server: RedisServer;
let backend: RedisBackend;

beforeAll(async () => {
  server = await startRedisServer(["--maxmemory-policy", "noeviction"]);
  backend = new RedisBackend({ url: server.url });
  // One job added while there is room: the reads below find it, and the backend's functions are loaded.
  await new Queue("oom-read", { backend }).add("t", { n: 0 });
  // Over maxmemory by far, so Redis refuses every write: filled to the limit instead, the server
  // hovered at it, and the memory a request freed (its client's buffers) let the next write in.
  const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
  try {
    const chunk = "x".repeat(64 * 1024);
    for (let i = 0; i < 32; i++) await admin.set(`fill:${i}`, chunk);
    const used = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]);
    await admin.config("SET", "maxmemory", String(Math.floor(used / 2)));
    const refused = await admin.set("probe", "x").then(
      () => false,
      (err: Error) => /^OOM/.test(err.message),
    );
    if (!refused) throw new Error("redis-server still takes writes over its maxmemory");
  } finally {
    admin.disconnect();
  }
}, 30_000);

afterAll(async () => {
  await backend?.close();
  await server?.stop();
});

/** What the refusal must say: out of memory, maxmemory, what to do; not a reachability question. */
function expectOutOfMemory(err: unknown): void {
  expect(err).toBeInstanceOf(BackendError);
  const message = (err as Error).message;
  expect(message).toContain(`Redis at ${server.url} refused the write because it is out of memory`);
  expect(message).toMatch(/maxmemory/);
  expect(message).toMatch(/Give Redis more memory .* or free some/);
  expect(message).not.toMatch(/reachable|EXECABORT Transaction discarded/);
}

describe("RedisBackend: a Redis out of memory", () => {
  it("addBulk is refused with a message naming out of memory and what to do", async () => {
    const queue = new Queue("oom-bulk", { backend });
    const jobs = Array.from({ length: 3000 }, (_, i) => ({ task: "t", data: { i } }));
    const err = await queue.addBulk(jobs).then(
      () => new Error("addBulk succeeded on a full Redis"),
      (e: unknown) => e,
    );
    expectOutOfMemory(err);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0 });
  });

  it("a single add is refused the same way", async () => {
    const queue = new Queue("oom-one", { backend });
    const err = await queue.add("t", { n: 1 }).then(
      () => new Error("add succeeded on a full Redis"),
      (e: unknown) => e,
    );
    expectOutOfMemory(err);
  });

  it("reads still work on the full server", async () => {
    const queue = new Queue("oom-read", { backend });
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 1 });
    expect((await queue.getJobs(["waiting"])).map((j) => j.data)).toEqual([{ n: 0 }]);
  });
});
