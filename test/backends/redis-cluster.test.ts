/**
 * RedisBackend on a Redis Cluster (3 primaries, 3 replicas, started for this file): where the keys
 * go (one hash tag per queue, or the prefix's), an ioredis Cluster given as the connection, and
 * wake-ups over pub/sub between backends that may be subscribed on other nodes than the writer.
 */
import { Cluster, Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { Queue } from "../../src/queue.js";
import { configure } from "../../src/settings.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue } from "../helpers.js";
import { captureLog } from "../reliability/outage.js";
import { useRedisCluster } from "../support/redis-cluster.js";
import { uniquePrefix } from "../support/redis-server.js";

const cluster = useRedisCluster();
afterEach(() => configure({ logger: undefined }));

/** Every key under `prefix` on the cluster's primaries, with its slot. */
async function keysOf(prefix: string): Promise<Array<{ key: string; slot: number }>> {
  const out: Array<{ key: string; slot: number }> = [];
  for (const node of cluster().nodes) {
    const r = new Redis(node.url, { maxRetriesPerRequest: 1 });
    try {
      if (!(await r.info("replication")).includes("role:master")) continue;
      const keys = await r.keys(`${prefix}:*`);
      for (const key of keys) out.push({ key, slot: (await r.call("CLUSTER", "KEYSLOT", key)) as number });
    } finally {
      r.disconnect();
    }
  }
  return out;
}

/**
 * Adds a job to `queue` and runs it with a worker (which registers itself), so the queue's keys and
 * the global ones exist; `during` runs once the job ran, before the worker stops.
 */
async function useQueue(backend: RedisBackend, queue: string, during?: () => Promise<void>): Promise<void> {
  const taskName = `${queue}-t`;
  const done = gate();
  task(taskName, { queue }, () => done.open());
  const worker = new Worker(queue, { backend, scanInterval: 100 });
  try {
    await worker.start();
    await new Queue(queue, { backend }).add(taskName, { a: 1 });
    await done.promise;
    await during?.();
  } finally {
    await worker.stop();
    unregisterTask(taskName);
  }
}

describe("RedisBackend on a Redis Cluster", () => {
  it("a plain prefix: each queue's keys share the tag {<queue>}, the global keys the tag {:}", async () => {
    const prefix = uniquePrefix("layout");
    const backend = new RedisBackend({ url: cluster().url, prefix });
    const qa = uniqueQueue("la");
    const qb = uniqueQueue("lb");
    try {
      let keys: Array<{ key: string; slot: number }> = [];
      const of = (head: string) => keys.filter((k) => k.key.startsWith(head));
      await useQueue(backend, qa);
      await useQueue(backend, qb, async () => {
        keys = await keysOf(prefix);
      });
      expect(await backend.listQueues()).toEqual([qa, qb].sort());
      expect(of(`${prefix}:{${qa}}:`).length).toBeGreaterThan(3);
      expect(of(`${prefix}:{${qb}}:`).length).toBeGreaterThan(3);
      expect(of(`${prefix}:{:}:`).map((k) => k.key.slice(prefix.length + 5))).toEqual(
        expect.arrayContaining(["queues", "workers", "worker-expiry"]),
      );
      for (const head of [`${prefix}:{${qa}}:`, `${prefix}:{${qb}}:`, `${prefix}:{:}:`])
        expect(new Set(of(head).map((k) => k.slot)).size).toBe(1);
      expect(keys.length).toBe(
        of(`${prefix}:{${qa}}:`).length + of(`${prefix}:{${qb}}:`).length + of(`${prefix}:{:}:`).length,
      );
      await backend.obliterate(qa, true);
      expect(await backend.listQueues()).toEqual([qb]);
    } finally {
      await backend.close();
    }
  });

  it("a prefix with a hash tag: every key of every queue in its one slot", async () => {
    const prefix = `{${uniquePrefix("tagged")}}`;
    const backend = new RedisBackend({ url: cluster().url, prefix });
    try {
      await useQueue(backend, uniqueQueue("ta"));
      await useQueue(backend, uniqueQueue("tb"));
      const keys = await keysOf(prefix);
      expect(keys.length).toBeGreaterThan(6);
      expect(new Set(keys.map((k) => k.slot)).size).toBe(1);
    } finally {
      await backend.close();
    }
  });

  it("takes an ioredis Cluster as its connection, and leaves it open on close", async () => {
    const nodes = cluster().url.slice("redis+cluster://".length).split(",");
    const connection = new Cluster(nodes.map((n) => ({ host: "127.0.0.1", port: Number(n.split(":")[1]) })));
    const backend = new RedisBackend({ connection, prefix: uniquePrefix("given") });
    try {
      expect(backend.url).toBe("redis+cluster://(the caller's Cluster)");
      await useQueue(backend, uniqueQueue("given"));
      await backend.close();
      expect(await connection.ping()).toBe("PONG");
    } finally {
      await backend.close();
      connection.disconnect();
    }
  });

  it("a worker on another backend is woken over pub/sub by an add, not by its scan", async () => {
    const prefix = uniquePrefix("wake");
    const producer = new RedisBackend({ url: cluster().url, prefix });
    const consumer = new RedisBackend({ url: cluster().url, prefix });
    const q = uniqueQueue("wake");
    const taskName = `${q}-t`;
    const ran = gate<number>();
    task(taskName, { queue: q }, () => ran.open(Date.now()));
    // A scan interval far beyond the test's timeout: only a wake-up can start the job in time.
    const worker = new Worker(q, { backend: consumer, scanInterval: 600_000 });
    try {
      await worker.start();
      // Let the first (empty) claim pass, so the worker waits for a wake-up.
      await new Promise((r) => setTimeout(r, 300));
      const added = Date.now();
      await new Queue(q, { backend: producer }).add(taskName);
      expect((await ran.promise) - added).toBeLessThan(5000);
    } finally {
      await worker.stop();
      unregisterTask(taskName);
      await producer.close();
      await consumer.close();
    }
  }, 15_000);

  it("waitReplicas: the WAIT goes to the node of the write and waits for its replica; a shortfall is logged once", async () => {
    const lines = captureLog();
    const backend = new RedisBackend({
      url: cluster().url,
      prefix: uniquePrefix("wait"),
      waitReplicas: 1,
      waitTimeoutMs: 300,
    });
    const warnings = () => lines.filter((l) => l.includes("replicas acknowledged"));
    const q = uniqueQueue("wait");
    const queue = new Queue(q, { backend });
    let frozen: number | undefined;
    try {
      await queue.addBulk(Array.from({ length: 2500 }, () => ({ task: "t" }))); // MULTI, then WAIT
      await queue.add("t");
      expect(warnings()).toEqual([]);
      // With the queue's replica stopped, a WAIT on the write's node waits out its timeout; one
      // on another node would find no write of this connection to wait for and answer at once.
      frozen = (await cluster().replicaOf(await cluster().primaryOf(q))).pid();
      if (frozen === undefined) throw new Error("the replica has no pid");
      process.kill(frozen, "SIGSTOP");
      const t0 = Date.now();
      await queue.add("t");
      await queue.addBulk(Array.from({ length: 2500 }, () => ({ task: "t" })));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(2 * 290);
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toMatch(
        /only 0 of 1 replicas acknowledged a write within 300 ms \(waitReplicas\)/,
      );
      expect((await queue.getJobCounts()).waiting).toBe(5002);
    } finally {
      if (frozen !== undefined) process.kill(frozen, "SIGCONT");
      await backend.close();
    }
  });
});
