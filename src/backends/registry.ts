/**
 * Backend selection: `createBackend(url)` by URL scheme, `registerBackend` for a fifth engine, and
 * the process-wide default backend. The engine facades load their driver (better-sqlite3, pg,
 * ioredis) only when constructed, so importing asyncmq loads none of them and `pg`/`ioredis` need
 * to be installed only by those who use them.
 */
import { ValidationError } from "../errors.js";
import { getSettings } from "../settings.js";
import type { Backend } from "./backend.js";
import { InMemoryBackend } from "./memory/memory-backend.js";
import { PostgresBackend, type PostgresBackendOptions } from "./postgres/postgres-backend.js";
import { isClusterUrl } from "./redis/cluster-url.js";
import { RedisBackend, type RedisBackendOptions } from "./redis/redis-backend.js";
import { SqliteBackend } from "./sqlite/sqlite-backend.js";

/** The SQLite file used when nothing else is configured. */
export const DEFAULT_SQLITE_PATH = "./.asyncmq/asyncmq.db";

/** Makes a backend from its full URL (scheme included). */
export type BackendFactory = (url: string) => Backend;

const factories = new Map<string, BackendFactory>([
  ["memory", () => new InMemoryBackend()],
  [
    "sqlite",
    (url) => {
      const path = decodeURIComponent(url.slice("sqlite://".length));
      if (path === "")
        throw new ValidationError(`sqlite backend URL needs a path, like "sqlite://./jobs.db"`);
      return new SqliteBackend({ path });
    },
  ],
  ["postgres", postgres],
  ["postgresql", postgres],
  ["redis", redis],
  ["rediss", redis],
  ["redis+cluster", redis],
  ["rediss+cluster", redis],
]);

function postgres(url: string): Backend {
  const { rest, values } = takeParams(url, ["schema", "transactionPooling", "listenUrl", "vacuum"]);
  const options: PostgresBackendOptions = { url: rest };
  if (values.schema !== undefined) options.schema = values.schema;
  const pooling = booleanParam("transactionPooling", values.transactionPooling);
  if (pooling !== undefined) options.transactionPooling = pooling;
  // Checked by the backend; percent-encoded in the URL, as one query parameter.
  if (values.listenUrl !== undefined) options.listenUrl = values.listenUrl;
  const vacuum = booleanParam("vacuum", values.vacuum);
  if (vacuum !== undefined) options.vacuum = vacuum;
  return new PostgresBackend(options);
}

/** A postgres URL's true/false parameter. @throws ValidationError for another value. */
function booleanParam(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false")
    throw new ValidationError(
      `${name} in a postgres backend URL must be "true" or "false", got ${JSON.stringify(value)}`,
    );
  return value === "true";
}

function redis(url: string): Backend {
  const { rest, values } = takeParams(url, ["prefix", "waitReplicas"]);
  const options: RedisBackendOptions = { url: rest };
  if (values.prefix !== undefined) options.prefix = values.prefix;
  // Checked by the backend (a whole number of replicas).
  if (values.waitReplicas !== undefined) options.waitReplicas = Number(values.waitReplicas);
  return new RedisBackend(options);
}

/**
 * Makes `createBackend` (and so `ASYNCMQ_BACKEND`, `--backend`) understand `scheme://...` URLs.
 * Replaces an earlier registration of the scheme, built-in ones included.
 * @throws ValidationError for a scheme that is not a URL scheme.
 */
export function registerBackend(scheme: string, factory: BackendFactory): void {
  if (typeof scheme !== "string" || !/^[a-z][a-z0-9+.-]*$/.test(scheme)) {
    throw new ValidationError(
      `backend scheme must be lowercase letters, digits, "+", "." or "-", got ${String(scheme)}`,
    );
  }
  if (typeof factory !== "function")
    throw new ValidationError("registerBackend needs a factory (url) => Backend");
  factories.set(scheme, factory);
}

/**
 * Creates a backend from a URL: `memory://`, `sqlite://./path.db` (or `sqlite:///abs/path.db`),
 * `redis://host:6379[/db][?prefix=asyncmq]`, a Redis Cluster
 * `redis+cluster://host1:port1,host2:port2[?prefix=asyncmq]`, `postgres://user@host/db[?schema=asyncmq]`,
 * or a scheme given to `registerBackend`. The `prefix` (Redis key prefix) and `schema` (Postgres schema)
 * parameters let several apps or test runs share one server. A redis URL also takes
 * `waitReplicas=<n>` (see RedisBackendOptions). A postgres URL also takes
 * `transactionPooling=true` and `listenUrl=<percent-encoded postgres URL>`, for a database behind
 * PgBouncer in transaction mode, and `vacuum=false` (see PostgresBackendOptions).
 * @throws ValidationError for a URL it does not understand; BackendError when the driver the
 *   backend needs is not installed (the message names the package).
 */
export function createBackend(url: string): Backend {
  if (typeof url !== "string" || url.trim() === "") {
    throw new ValidationError(
      `backend URL must be a non-empty string like "sqlite://./jobs.db" or "memory://"`,
    );
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  const factory = scheme === undefined ? undefined : factories.get(scheme);
  if (factory === undefined) {
    throw new ValidationError(
      `unsupported backend URL "${url}": use memory://, sqlite://./path.db, redis://host:6379 or postgres://user@host/db`,
    );
  }
  return factory(url);
}

/**
 * Removes the `?name=value` parameters of `names` from a URL; returns the rest (the URL unchanged
 * when it has none of them) and their values (absent ones missing).
 */
function takeParams<N extends string>(
  url: string,
  names: readonly N[],
): { rest: string; values: Partial<Record<N, string>> } {
  // A cluster URL's host list ("h1:p1,h2:p2") is no WHATWG URL host: parseClusterUrl checks it.
  if (!isClusterUrl(url)) {
    try {
      new URL(url);
    } catch {
      throw new ValidationError(`backend URL "${url}" is not a valid URL`);
    }
  }
  const mark = url.indexOf("?");
  const params = new URLSearchParams(mark < 0 ? "" : url.slice(mark + 1));
  const values: Partial<Record<N, string>> = {};
  for (const name of names) {
    const value = params.get(name);
    if (value === null) continue;
    values[name] = value;
    params.delete(name);
  }
  if (Object.keys(values).length === 0) return { rest: url, values };
  const query = params.toString();
  return { rest: url.slice(0, mark) + (query === "" ? "" : `?${query}`), values };
}

const shared = new Map<string, Backend>();

/**
 * The backend for an explicit choice, else the configured default (`configure({ backend })`, then
 * `ASYNCMQ_BACKEND`, then the SQLite file `./.asyncmq/asyncmq.db`). A URL resolves to one shared
 * instance per process, so a Queue and a worker given the same URL share storage (and, for
 * `memory://`, the same jobs).
 */
export function resolveBackend(choice?: Backend | string): Backend {
  const picked = choice ?? getSettings().backend ?? `sqlite://${DEFAULT_SQLITE_PATH}`;
  if (typeof picked !== "string") return picked;
  let backend = shared.get(picked);
  if (!backend) {
    backend = createBackend(picked);
    shared.set(picked, backend);
  }
  return backend;
}

/** Closes every backend that `resolveBackend` opened from a URL. */
export async function closeSharedBackends(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((b) => b.close()));
}
