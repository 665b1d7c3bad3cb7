/**
 * `RedisBackend`: the Redis engine (redis-engine.ts) behind the shared `EngineBackend`. Any number
 * of processes can share one server. Needs the optional "ioredis" package, loaded when the first
 * backend is constructed.
 */
import { EngineBackend } from "../engine-backend.js";
import type { RedisBackendOptions, RedisConnectionLike } from "./options.js";
import { RedisEngine } from "./redis-engine.js";

export type { RedisBackendOptions, RedisConnectionLike } from "./options.js";

/** A job queue backend on Redis, shared by any number of processes. */
export class RedisBackend extends EngineBackend {
  /** The server, for messages (password hidden). */
  readonly url: string;
  /** Prefix of every key and channel. */
  readonly prefix: string;

  /**
   * Connects to Redis or a Redis Cluster (lazily: the first command waits for the connection).
   * @param options a URL (default `redis://127.0.0.1:6379`; `redis+cluster://h1:p1,h2:p2` for a
   *   cluster) or an ioredis `Redis`/`Cluster` as `connection`, a key prefix (default `asyncmq`)
   *   and `waitReplicas`; or just an ioredis connection, used with the default prefix (it stays the
   *   caller's: close() leaves it open, but closes the subscriber connection duplicated from it).
   * @throws BackendError when ioredis is not installed; ValidationError for a bad prefix, cluster
   *   URL or waitReplicas.
   */
  constructor(options: RedisBackendOptions | RedisConnectionLike = {}) {
    super((ctx) => new RedisEngine(options, ctx));
    const { connection } = this.engine as RedisEngine;
    this.url = connection.url;
    this.prefix = connection.prefix;
  }
}
