/**
 * What `RedisBackend` takes, in types that need no ioredis: its declarations must compile in a
 * project that never installed ioredis (it is an optional peer dependency).
 */

/** Options of `RedisBackend`. */
export interface RedisBackendOptions {
  /** The server. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key and channel; non-empty, without ":". Default `asyncmq`. */
  prefix?: string;
}

/**
 * An ioredis connection (`new Redis(...)` of the "ioredis" package), described by the members that
 * identify one, so that naming it needs no ioredis types.
 */
export interface RedisConnectionLike {
  readonly options: { host?: string; port?: number };
  readonly status: string;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  duplicate(...args: never[]): unknown;
}

/** Whether `source` is a connection rather than options (by shape: the caller's ioredis copy may not be ours). */
export function isConnection(
  source: RedisBackendOptions | RedisConnectionLike,
): source is RedisConnectionLike {
  return typeof (source as Partial<RedisConnectionLike>).defineCommand === "function";
}
