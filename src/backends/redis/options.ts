/**
 * What `RedisBackend` takes, in types that need no ioredis: its declarations must compile in a
 * project that never installed ioredis (it is an optional peer dependency).
 */

/** Options of `RedisBackend`. */
export interface RedisBackendOptions {
  /**
   * The server: `redis://[user:password@]host:port[/db]` (`rediss://` for TLS), or a Redis Cluster:
   * `redis+cluster://[user:password@]host1:port1,host2:port2` (`rediss+cluster://` for TLS), any
   * of its nodes (ioredis finds the others). Default `redis://127.0.0.1:6379`.
   */
  url?: string;
  /**
   * A connection of the caller's instead of `url`: an ioredis `Redis` or `Cluster`. It stays the
   * caller's: close() leaves it open (but closes the subscriber connection duplicated from it).
   * Default: none (asyncmq connects to `url`).
   */
  connection?: RedisConnectionLike;
  /**
   * Prefix of every key and channel; non-empty, without ":". Default `asyncmq`. On a Redis Cluster,
   * a prefix with a hash tag (`{app}`) puts every queue of it in one slot, which flows across
   * queues need (docs/scaling.md).
   */
  prefix?: string;
  /**
   * After each job transition (enqueue, claim, finish, ...), `WAIT` until this many replicas have
   * acknowledged the write, up to `waitTimeoutMs`: fewer writes acknowledged to asyncmq are lost
   * when a primary fails over (docs/scaling.md has the numbers). A WAIT that times out is logged,
   * not thrown (the write was done). Default 0: no WAIT.
   */
  waitReplicas?: number;
  /** How long one WAIT of `waitReplicas` may block (ms, positive). Default 1000. */
  waitTimeoutMs?: number;
}

/**
 * An ioredis connection (`new Redis(...)` or `new Cluster(...)` of the "ioredis" package),
 * described by the members that identify one, so that naming it needs no ioredis types.
 */
export interface RedisConnectionLike {
  /** Its options: a `Redis`'s name `host` and `port`. */
  readonly options: object;
  readonly status: string;
  /** Set by ioredis: true on a `Cluster`. */
  readonly isCluster?: boolean;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
  duplicate(...args: never[]): unknown;
}

/** Whether `source` is a connection rather than options (by shape: the caller's ioredis copy may not be ours). */
export function isConnection(
  source: RedisBackendOptions | RedisConnectionLike,
): source is RedisConnectionLike {
  return typeof (source as Partial<RedisConnectionLike>).defineCommand === "function";
}
