/**
 * A private Redis Cluster for a test file: 3 primaries and 3 replicas, each a `redis-server` (see
 * startRedisServer: a temp dir "asyncmq-redis-*", registered for the run's teardown) on free
 * loopback ports with `--cluster-enabled yes`, joined by `redis-cli --cluster create
 * --cluster-replicas 1` (Debian package redis-tools, which redis-server depends on). `useRedisCluster`
 * starts it before the file's tests and stops it after them, also when they fail.
 */
import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "./redis-server.js";

/** How long a node may be unreachable before the cluster fails it over (ms): short, for the failover test. */
export const NODE_TIMEOUT_MS = 1000;

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:p1,...` (every node). */
  readonly url: string;
  readonly nodes: readonly RedisServer[];
  /** The node (of `nodes`) that is the primary for the slot of `key` now. */
  primaryOf(key: string): Promise<RedisServer>;
  /** A replica of `primary` (one of `nodes`). */
  replicaOf(primary: RedisServer): Promise<RedisServer>;
  /**
   * Resolves once every live node reports cluster_state:ok and names the same primary of `key`, a
   * node that answers (so after a primary is killed: once its replica took over).
   */
  settled(key: string, timeoutMs?: number): Promise<void>;
  /** Resolves once `node` (a primary that was killed and started again) is a synced replica. */
  rejoined(node: RedisServer, timeoutMs?: number): Promise<void>;
  /** Resolves once every live replica's link to its primary is up (synced). */
  replicated(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the 6 nodes and joins them; stops what it started when that fails. */
export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = () => Promise.all(nodes.map((n) => n.stop())).then(() => undefined);
  try {
    for (let i = 0; i < 6; i++) {
      const extra = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"];
      extra.push("--cluster-node-timeout", String(NODE_TIMEOUT_MS));
      // A replica takes over however long ago it last heard from its primary (the test decides).
      extra.push("--cluster-replica-validity-factor", "0");
      // A replica's full sync starts at once, not after the default 5 s wait for more replicas to
      // share the transfer (each node has one replica): the cluster is up and a restarted primary
      // rejoins 5 s sooner.
      extra.push("--repl-diskless-sync-delay", "0");
      nodes.push(await startRedisServer(extra, { clusterBus: true }));
    }
    const addresses = nodes.map((n) => n.url.slice("redis://".length));
    const create = spawnSync(
      "redis-cli",
      ["--cluster", "create", ...addresses, "--cluster-replicas", "1", "--cluster-yes"],
      { encoding: "utf8", timeout: 60_000 },
    );
    if ((create.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      throw new Error("redis-cli is not installed: install the Debian package `redis-tools`");
    }
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
    const cluster = handle(nodes, `redis+cluster://${addresses.join(",")}`, stop);
    await cluster.settled("asyncmq", 30_000);
    await cluster.replicated(30_000);
    return cluster;
  } catch (err) {
    await stop();
    throw err;
  }
}

function handle(nodes: RedisServer[], url: string, stop: () => Promise<void>): RedisCluster {
  const ask = async <T>(node: RedisServer, fn: (r: Redis) => Promise<T>): Promise<T | undefined> => {
    const r = new Redis(node.url, { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    r.on("error", () => {});
    try {
      await r.connect();
      return await fn(r);
    } catch {
      return undefined;
    } finally {
      r.disconnect();
    }
  };
  /** The "host:port" of the primary of `key`'s slot, as `node` sees it (undefined: unreachable). */
  const primaryAddress = (node: RedisServer, key: string) =>
    ask(node, async (r) => {
      const slot = (await r.call("CLUSTER", "KEYSLOT", key)) as number;
      const ranges = (await r.call("CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>;
      const range = ranges.find(([from, to]) => from <= slot && slot <= to);
      const state = (await r.call("CLUSTER", "INFO")) as string;
      if (range === undefined || !state.includes("cluster_state:ok")) return null;
      return `${range[2][0]}:${range[2][1]}`;
    });
  return {
    url,
    nodes,
    async primaryOf(key) {
      for (const node of nodes) {
        const address = await primaryAddress(node, key);
        const primary = nodes.find((n) => n.url === `redis://${address}`);
        if (primary) return primary;
      }
      throw new Error(`no node of the cluster names a primary for ${key}`);
    },
    async replicaOf(primary) {
      const port = `master_port:${primary.url.split(":").pop()}\r\n`;
      for (const node of nodes) {
        if ((await ask(node, (r) => r.info("replication")))?.includes(port)) return node;
      }
      throw new Error(`no node of the cluster replicates ${primary.url}`);
    },
    async settled(key, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const seen = await Promise.all(nodes.map((n) => primaryAddress(n, key)));
        const live = seen.filter((a) => a !== undefined);
        const agreed = live.length > 0 && live.every((a) => a !== null && a === live[0]);
        if (agreed && seen[nodes.findIndex((n) => n.url === `redis://${live[0]}`)] !== undefined) return;
        if (Date.now() > deadline) throw new Error(`the cluster did not settle: ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async rejoined(node, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const info = await ask(node, (r) => r.info("replication"));
        if (info?.includes("role:slave") && info.includes("master_link_status:up")) return;
        if (Date.now() > deadline) throw new Error(`${node.url} did not rejoin as a replica: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async replicated(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const infos = await Promise.all(nodes.map((n) => ask(n, (r) => r.info("replication"))));
        const replicas = infos.filter((i) => i?.includes("role:slave"));
        if (replicas.every((i) => i?.includes("master_link_status:up"))) return;
        if (Date.now() > deadline) throw new Error(`replicas did not sync: ${JSON.stringify(infos)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}

/** Starts a cluster before the file's tests and stops it after them; the getter gives it to the tests. */
export function useRedisCluster(): () => RedisCluster {
  let cluster: RedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (!cluster) throw new Error("useRedisCluster's cluster is there once the file's tests run");
    return cluster;
  };
}
