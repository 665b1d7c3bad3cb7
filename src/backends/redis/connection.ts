/**
 * The connections of one Redis engine: the command connection (made from a URL, or the caller's),
 * the subscriber connections duplicated from it, failures turned into BackendErrors, one warning
 * per outage, and a prompt close.
 */
import type { Redis } from "ioredis";
import { AsyncMQError, BackendError } from "../../errors.js";
import { log } from "../../logger.js";
import { loadDriver } from "../shared/driver.js";
import { isConnection, type RedisBackendOptions, type RedisConnectionLike } from "./options.js";

/** How long close() waits for QUIT before dropping the connection (ms). */
const QUIT_WAIT_MS = 1000;
const NO_OP = (): void => {};

export class RedisConnection {
  /** The command connection. */
  readonly client: Redis;
  /** The server, for messages (password hidden). */
  readonly url: string;
  readonly #owned: boolean;
  #closed = false;
  /** Set while a connection is failing, so an outage is logged once. */
  #warned = false;

  /**
   * Connects (lazily: the first command waits for the connection), or adopts the caller's
   * connection, which stays the caller's: close() leaves it open.
   */
  constructor(source: RedisBackendOptions | RedisConnectionLike) {
    if (isConnection(source)) {
      // It is an ioredis connection: the interface only names what identifies one.
      this.client = source as unknown as Redis;
      this.#owned = false;
      this.url = `redis://${source.options.host ?? "127.0.0.1"}:${source.options.port ?? 6379}`;
      return;
    }
    const url = source.url ?? "redis://127.0.0.1:6379";
    this.url = url.replace(/\/\/[^@/]*@/, "//***@");
    const { Redis } = loadDriver<typeof import("ioredis")>("ioredis");
    this.client = new Redis(url, {
      // Fail a command after a few reconnect attempts (well under a second when nothing listens)
      // instead of queueing it forever.
      maxRetriesPerRequest: 2,
      connectTimeout: 2000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
    });
    this.#owned = true;
    this.#watch(this.client);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @throws BackendError once closed. */
  assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`the Redis backend for ${this.url} is closed; create a new RedisBackend`);
    }
  }

  /** A failure of a command as the BackendError callers get (asyncmq's own errors pass through). */
  wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    if (this.#closed) {
      return new BackendError(`the Redis backend for ${this.url} was closed during the call`, { cause: err });
    }
    return new BackendError(
      `Redis at ${this.url} failed: ${(err as Error).message}. Is Redis running and reachable there? Fix the URL, start Redis, or pick another backend (ASYNCMQ_BACKEND / --backend)`,
      { cause: err },
    );
  }

  /** A new connection to the same server (for SUBSCRIBE), which its taker disconnects. */
  duplicate(): Redis {
    const connection = this.client.duplicate({ maxRetriesPerRequest: 2, connectTimeout: 2000 });
    this.#watch(connection);
    return connection;
  }

  #watch(connection: Redis): void {
    connection.on("error", (err: Error) => {
      if (this.#warned || this.#closed) return;
      this.#warned = true;
      log().warn(`Redis at ${this.url} is unreachable (${err.message}); retrying`);
    });
    connection.on("ready", () => {
      this.#warned = false;
    });
  }

  /** Marks it closed; closes the command connection if it made it (QUIT, then a drop after QUIT_WAIT_MS). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    const redis = this.client;
    if (redis.status === "ready") {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        redis.quit().catch(NO_OP),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, QUIT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    redis.disconnect();
  }
}
