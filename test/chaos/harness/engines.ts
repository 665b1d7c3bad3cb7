/**
 * The engines under attack, each on a server (or file) the suite owns: SQLite in a temp dir, Redis
 * with AOF (appendonly yes, appendfsync always) and Postgres on private servers, since the suite
 * crashes them and kills their sessions. Each engine gives the workers' URL, a parent-side backend
 * (from the source) and its faults.
 */
import { Redis } from "ioredis";
import pg from "pg";
import type { Backend } from "../../../src/backends/backend.js";
import { PostgresBackend } from "../../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../../src/backends/sqlite/sqlite-backend.js";
import { startPostgresServer } from "../../support/postgres-server.js";
import { startRedisServer } from "../../support/redis-server.js";

export interface ChaosEngine {
  readonly name: "sqlite" | "redis" | "postgres";
  /** A fresh, empty store (own key prefix / schema / file) for one scenario: its URL and parent backend. */
  store(label: string): { url: string; backend: Backend };
  /** Takes the engine down for `ms`, then brings it back; returns when it accepts connections again. */
  outage?(ms: number): Promise<{ downAt: number; upAt: number }>;
  /** Kills every client connection but the killer's own; returns how many were killed. */
  killConnections?(): Promise<number>;
  /** Stops the server and removes what it left. */
  destroy(): Promise<void>;
}

export function sqliteEngine(dir: string): ChaosEngine {
  return {
    name: "sqlite",
    store(label) {
      const path = `${dir}/${label}.db`;
      return { url: `sqlite://${path}`, backend: new SqliteBackend({ path }) };
    },
    async destroy() {},
  };
}

export async function redisEngine(): Promise<ChaosEngine> {
  const server = await startRedisServer(["--appendonly", "yes", "--appendfsync", "always"]);
  return {
    name: "redis",
    store(label) {
      const prefix = `chaos-${label}`;
      return {
        url: `${server.url}?prefix=${prefix}`,
        backend: new RedisBackend({ url: server.url, prefix }),
      };
    },
    async outage(ms) {
      // A crash, not a shutdown: with appendfsync always, every acknowledged write is on disk.
      const downAt = Date.now();
      await server.crash();
      await new Promise((r) => setTimeout(r, ms));
      await server.start();
      return { downAt, upAt: Date.now() };
    },
    async killConnections() {
      const admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
      try {
        // CLIENT KILL skips the caller's own connection (SKIPME yes is the default).
        const normal = Number(await admin.call("CLIENT", "KILL", "TYPE", "normal"));
        const pubsub = Number(await admin.call("CLIENT", "KILL", "TYPE", "pubsub"));
        return normal + pubsub;
      } finally {
        admin.disconnect();
      }
    },
    async destroy() {
      await server.stop();
    },
  };
}

export async function postgresEngine(): Promise<ChaosEngine> {
  const server = await startPostgresServer();
  return {
    name: "postgres",
    store(label) {
      const schema = `chaos_${label.replace(/\W/g, "_")}`;
      return {
        url: `${server.url}?schema=${schema}`,
        backend: new PostgresBackend({ url: server.url, schema }),
      };
    },
    async outage(ms) {
      const downAt = Date.now();
      await server.stop("fast");
      await new Promise((r) => setTimeout(r, ms));
      await server.start();
      return { downAt, upAt: Date.now() };
    },
    async killConnections() {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const r = await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'`,
        );
        return r.rowCount ?? 0;
      } finally {
        await client.end();
      }
    },
    async destroy() {
      server.destroy();
    },
  };
}
