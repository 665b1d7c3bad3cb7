/**
 * Outages for the reliability tests, on servers the test starts itself: a Redis that is crashed
 * and started again (with an fsync'd append-only file, so its data survives), a Postgres that is
 * stopped and started, and an SQLite file held locked by another connection. Plus a logger that
 * keeps every line asyncmq prints, formatted as the console logger would print it.
 */
import { formatWithOptions } from "node:util";
import Database from "better-sqlite3";
import type { Backend } from "../../src/backends/backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { configure } from "../../src/settings.js";
import { startPostgresServer } from "../support/postgres-server.js";
import { startRedisServer } from "../support/redis-server.js";

/** A backend on a server (or file) whose outage the test decides. */
export interface OutageBackend {
  backend: Backend;
  /** Makes the backend unreachable (or locked). */
  down(): Promise<void>;
  /** Ends the outage; resolves once the server accepts connections again. */
  up(): Promise<void>;
  /** Closes the backend and removes the server. */
  dispose(): Promise<void>;
}

export const OUTAGES: Record<string, (dir: string) => Promise<OutageBackend>> = {
  redis: async () => {
    const server = await startRedisServer(["--appendonly", "yes", "--appendfsync", "always"]);
    const backend = new RedisBackend({ url: server.url });
    return {
      backend,
      down: () => server.crash(),
      up: () => server.start(),
      dispose: async () => {
        await backend.close();
        await server.stop();
      },
    };
  },
  postgres: async () => {
    const server = await startPostgresServer();
    const backend = new PostgresBackend({ url: server.url });
    return {
      backend,
      down: async () => server.stop("fast"),
      up: async () => server.start(),
      dispose: async () => {
        await backend.close();
        server.destroy();
      },
    };
  },
  // SQLite has no server: its outage is another connection holding the write lock past busyTimeout.
  sqlite: async (dir) => {
    const path = `${dir}/outage.db`;
    const backend = new SqliteBackend({ path, busyTimeout: 50 });
    let locker: Database.Database | undefined;
    return {
      backend,
      down: async () => {
        locker = new Database(path);
        locker.exec("BEGIN EXCLUSIVE");
      },
      up: async () => {
        locker?.exec("COMMIT");
        locker?.close();
        locker = undefined;
      },
      dispose: async () => {
        locker?.close();
        await backend.close();
      },
    };
  },
};

/** Keeps every line asyncmq logs (as the console logger formats them) until `configure({ logger })` changes. */
export function captureLog(): string[] {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      for (const line of formatWithOptions({ colors: false }, `[asyncmq] ${message}`, ...args).split("\n"))
        lines.push(`${level} ${line}`);
    };
  configure({ logger: { debug: () => {}, info: keep("info"), warn: keep("warn"), error: keep("error") } });
  return lines;
}
