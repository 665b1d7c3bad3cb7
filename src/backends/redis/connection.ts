/**
 * How the Redis engine reaches Redis: the command connection (made from a URL, or the caller's) with
 * the scripts registered, subscriber connections duplicated from it, the keys of a queue, script
 * runs with the arguments every queue script starts with (lua/includes/base.lua), failures turned
 * into BackendErrors, one warning per outage, and a prompt close.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { AsyncMQError, BackendError, ValidationError } from "../../errors.js";
import { log } from "../../logger.js";
import { loadDriver } from "../shared/driver.js";
import { explainRedisFailure } from "./failures.js";
import { isConnection, type RedisBackendOptions, type RedisConnectionLike } from "./options.js";
import { defineScripts, runScript, type ScriptArg } from "./scripts.js";

/** How long close() waits for QUIT before dropping the connection (ms). */
const QUIT_WAIT_MS = 1000;
const NO_OP = (): void => {};

export class RedisConnection {
  /** The command connection. */
  readonly client: Redis;
  /** The server, for messages (password hidden). */
  readonly url: string;
  readonly prefix: string;
  /** The global key prefix "<prefix>::" (no queue name is empty, so no queue's keys start so). */
  readonly global: string;
  /** Tags what this engine's scripts publish, so its notifier skips its own messages. */
  readonly origin = randomUUID();
  /**
   * Per queue: SUBSCRIBEs in flight (notifier.ts). Scripts on the queue wait for them, so a listener
   * added before a write hears of it from every other process.
   */
  readonly subscribing = new Map<string, Promise<void>>();
  readonly #wantsEvents: (queue: string) => boolean;
  readonly #owned: boolean;
  #closed = false;
  /** Set while a connection is failing, so an outage is logged once. */
  #warned = false;
  /** Set once a connection was ready: before, a failing call says why, so no warning is logged. */
  #everReady = false;
  /** The last connection error (e.g. "connect ECONNREFUSED ..."), for a call that gave up on it. */
  #connectError: string | undefined;
  /** Set when Redis refused the connection for good (a database it lacks): every call fails with it. */
  #refused: BackendError | undefined;

  /**
   * Connects (lazily: the first command waits for the connection), or adopts the caller's
   * connection, which stays the caller's: close() leaves it open.
   * @param wantsEvents whether scripts on a queue build events for this process
   */
  constructor(source: RedisBackendOptions | RedisConnectionLike, wantsEvents: (queue: string) => boolean) {
    this.#wantsEvents = wantsEvents;
    this.prefix = (isConnection(source) ? undefined : source.prefix) ?? "asyncmq";
    if (this.prefix === "" || this.prefix.includes(":")) {
      throw new ValidationError(`Redis key prefix must be non-empty and without ":", got "${this.prefix}"`);
    }
    this.global = `${this.prefix}::`;
    if (isConnection(source)) {
      // It is an ioredis connection: the interface only names what identifies one.
      this.client = source as unknown as Redis;
      this.#owned = false;
      this.url = `redis://${source.options.host ?? "127.0.0.1"}:${source.options.port ?? 6379}`;
    } else {
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
    defineScripts(this.client);
  }

  /** The key prefix of `queue`'s keys, "<prefix>:<queue>:". */
  keyOf(queue: string): string {
    return `${this.prefix}:${queue}:`;
  }

  /** @throws BackendError once closed. */
  assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`the Redis backend for ${this.url} is closed; create a new RedisBackend`);
    }
  }

  /** Runs a queue script: KEYS queue and global prefixes, ARGV queue, want events, origin, `args`. */
  async run<R>(queue: string, name: string, args: ScriptArg[]): Promise<R> {
    const subscribing = this.subscribing.get(queue);
    if (subscribing !== undefined) await subscribing;
    return this.call((redis) => runScript<Promise<R>>(redis, name, this.#lead(queue).concat(args)));
  }

  /** Runs a queue script once per argument list, all in one MULTI (nothing interleaves); its replies. */
  async runAll<R>(queue: string, name: string, argLists: ScriptArg[][]): Promise<R[]> {
    const subscribing = this.subscribing.get(queue);
    if (subscribing !== undefined) await subscribing;
    const lead = this.#lead(queue);
    const replies = await this.call((redis) => {
      const multi = redis.multi();
      for (const args of argLists) runScript(multi, name, lead.concat(args));
      return multi.exec();
    });
    if (replies === null) throw new BackendError(`Redis at ${this.url} discarded a transaction`);
    return replies.map(([err, reply]) => {
      if (err) throw this.#wrap(err);
      return reply as R;
    });
  }

  /** Runs a global script: KEYS "<prefix>:" and the global prefix, ARGV `args`. */
  runGlobal<R>(name: string, args: ScriptArg[]): Promise<R> {
    return this.call((redis) =>
      runScript<Promise<R>>(redis, name, [`${this.prefix}:`, this.global, ...args]),
    );
  }

  /** Runs commands on the command connection, failures as BackendErrors. */
  async call<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.#refused) throw this.#refused;
    try {
      return await fn(this.client);
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  #lead(queue: string): ScriptArg[] {
    return [this.keyOf(queue), this.global, queue, this.#wantsEvents(queue) ? "1" : "0", this.origin];
  }

  /** A failure of a command as the BackendError callers get (asyncmq's own errors pass through). */
  #wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    if (this.#refused) return this.#refused;
    if (this.#closed) {
      return new BackendError(`the Redis backend for ${this.url} was closed during the call`, { cause: err });
    }
    return explainRedisFailure(this.url, err, this.#connectError);
  }

  /** A new connection to the same server (for SUBSCRIBE), which its taker disconnects. */
  duplicate(): Redis {
    const connection = this.client.duplicate({ maxRetriesPerRequest: 2, connectTimeout: 2000 });
    this.#watch(connection);
    return connection;
  }

  #watch(connection: Redis): void {
    connection.on("error", (err: Error) => {
      if (this.#closed || this.#refused) return;
      // ioredis reports a refused SELECT here, then goes on with database 0: stop instead.
      const db = (connection.options as { db?: number }).db ?? 0;
      if (err.name === "ReplyError" && /DB index/i.test(err.message)) {
        this.#refused = new BackendError(
          `Redis refused database ${db} (${err.message}); put a database it has in the URL (redis://host:port/0; its "databases" setting says how many, 16 by default)`,
          {
            cause: err,
            fatal: true,
          },
        );
        connection.disconnect();
        return;
      }
      this.#connectError = err.message;
      if (this.#warned || !this.#everReady) return;
      this.#warned = true;
      log().warn(`Redis at ${this.url} is unreachable (${err.message}); retrying`);
    });
    connection.on("ready", () => {
      this.#warned = false;
      this.#everReady = true;
      this.#connectError = undefined;
    });
  }

  /** Marks it closed; closes the command connection if it made it (QUIT, then a drop after QUIT_WAIT_MS). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#owned) return;
    const redis = this.client;
    if (redis.status === "ready")
      await Promise.race([redis.quit().catch(NO_OP), sleep(QUIT_WAIT_MS, undefined, { ref: false })]);
    redis.disconnect();
  }
}
