/**
 * The four backends the reliability tests run on, each made fresh and cleaned up after: memory,
 * SQLite in a temp dir, Redis under a unique prefix and Postgres in a unique schema (on the servers
 * of test/support: REDIS_URL / DATABASE_URL, else private ones).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { dropSchema, postgresUrl, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

export interface MadeBackend {
  backend: Backend;
  /** Closes the backend and removes what it stored. */
  dispose(): Promise<void>;
}

export const BACKENDS: Record<string, () => Promise<MadeBackend>> = {
  memory: async () => {
    const backend = new InMemoryBackend();
    return { backend, dispose: () => backend.close() };
  },
  sqlite: async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncmq-rel-"));
    const backend = new SqliteBackend({ path: join(dir, "jobs.db") });
    return {
      backend,
      dispose: async () => {
        await backend.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  redis: async () => {
    const prefix = uniquePrefix("rel");
    const backend = new RedisBackend({ url: await redisUrl(), prefix });
    return {
      backend,
      dispose: async () => {
        await backend.close();
        await dropPrefix(prefix);
      },
    };
  },
  postgres: async () => {
    const url = await postgresUrl();
    const schema = testSchema("rel");
    const backend = new PostgresBackend({ url, schema });
    return {
      backend,
      dispose: async () => {
        await backend.close();
        await dropSchema(url, schema);
      },
    };
  },
};

/** A view of `backend` that counts the calls of each of `methods`. */
export function counting(
  backend: Backend,
  methods: ReadonlyArray<keyof Backend>,
): { backend: Backend; calls: Record<string, number> } {
  const calls: Record<string, number> = Object.fromEntries(methods.map((m) => [m, 0]));
  const view = new Proxy(backend, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (typeof prop !== "string" || !(prop in calls)) return value.bind(target);
      return (...args: unknown[]) => {
        calls[prop] = (calls[prop] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend: view, calls };
}
