/**
 * The four backends the bad-input tests compare, each on fresh storage that `dispose` removes:
 * memory, SQLite in a temp dir, Redis under a unique key prefix and Postgres in a unique schema (on
 * the servers of test/support: REDIS_URL / DATABASE_URL, else private ones). `url` is what the CLI
 * takes as `--backend` to reach the same storage.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { InMemoryBackend } from "../../../src/backends/memory/memory-backend.js";
import { PostgresBackend } from "../../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../../src/backends/sqlite/sqlite-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../../support/redis-server.js";

export interface Engine {
  name: "memory" | "sqlite" | "redis" | "postgres";
  backend: Backend;
  /** `--backend` for the CLI (memory:// is a new, empty store in each process). */
  url: string;
  dispose(): Promise<void>;
}

async function memory(): Promise<Engine> {
  const backend = new InMemoryBackend();
  return { name: "memory", backend, url: "memory://", dispose: () => backend.close() };
}

async function sqlite(): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-bad-input-"));
  const path = join(dir, "jobs.db");
  const backend = new SqliteBackend({ path });
  const dispose = async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { name: "sqlite", backend, url: `sqlite://${path}`, dispose };
}

async function redis(): Promise<Engine> {
  const url = await redisUrl();
  const prefix = uniquePrefix("bad-input");
  const backend = new RedisBackend({ url, prefix });
  const dispose = async () => {
    await backend.close();
    await dropPrefix(prefix);
  };
  return { name: "redis", backend, url: withParam(url, "prefix", prefix), dispose };
}

async function postgres(): Promise<Engine> {
  const url = await postgresUrl();
  const schema = testSchema("bad_input");
  const backend = new PostgresBackend({ url, schema });
  const dispose = async () => {
    await backend.close();
    await dropSchema(url, schema);
    stopPostgres();
  };
  return { name: "postgres", backend, url: withParam(url, "schema", schema), dispose };
}

function withParam(url: string, name: string, value: string): string {
  return `${url}${url.includes("?") ? "&" : "?"}${name}=${value}`;
}

/** Opens all four; the caller disposes each. */
export function openEngines(): Promise<Engine[]> {
  return Promise.all([memory(), sqlite(), redis(), postgres()]);
}

/** Opens the four engines before the file's tests and disposes of them after; the list, once open. */
export function useEngines(): () => Engine[] {
  let engines: Engine[] = [];
  beforeAll(async () => {
    engines = await openEngines();
  });
  afterAll(async () => {
    for (const engine of engines) await engine.dispose();
  });
  return () => engines;
}
