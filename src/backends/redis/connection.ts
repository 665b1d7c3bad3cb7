/**
 * How the Redis engine reaches Redis: the command connection (made from a URL, or the caller's; a
 * single server or a Redis Cluster) with the scripts registered, subscriber connections duplicated
 * from it, the keys of a queue, script runs with the arguments every queue script starts with
 * (lua/includes/base.lua), the optional WAIT for replicas after them, failures turned into
 * BackendErrors, one warning per outage, and a prompt close.
 *
 * Scripts run as the functions of one library (scripts.ts) that the first script call loads on the
 * server (each primary of a cluster) and a call that finds it gone (FUNCTION FLUSH, a new node)
 * loads again; where the server has no functions (Redis 6) or refuses FUNCTION LOAD or FCALL (an
 * ACL), as scripts (EVALSHA).
 *
 * Key layout: on one server, and on a cluster whose prefix has a hash tag (`{app}`: every key in
 * one slot), a queue's keys start with "<prefix>:<queue>:" and the global ones with "<prefix>::",
 * as before clusters were supported. On a cluster without one ("spread": each queue in its own
 * slot), a queue's keys start with "<prefix>:{<queue>}:" and the global ones with "<prefix>:{:}:"
 * (no queue name holds ":", so no queue shares that tag), and the set of queue names, which no
 * queue script can reach there, is kept by plain commands (queue-registry.ts).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Cluster, Redis } from "ioredis";
import { AsyncMQError, BackendError, ValidationError } from "../../errors.js";
import { log } from "../../logger.js";
import { loadDriver } from "../shared/driver.js";
import { isClusterUrl, parseClusterUrl } from "./cluster-url.js";
import { explainRedisFailure, redisFailureOf } from "./failures.js";
import { isConnection, type RedisBackendOptions, type RedisConnectionLike } from "./options.js";
import { defineScripts, functionLibrary, runScript, type ScriptArg } from "./scripts.js";

/** How long close() waits for QUIT before dropping the connection (ms). */
const QUIT_WAIT_MS = 1000;
const NO_OP = (): void => {};

export class RedisConnection {
  /**
   * The command connection. A `Cluster` is typed as a `Redis`: ioredis gives both the same command
   * API (routing each command by its first key); `cluster` tells them apart where they differ.
   */
  readonly client: Redis;
  /** Whether `client` is a Redis Cluster. */
  readonly cluster: boolean;
  /** On a cluster without a hash tag in the prefix: each queue's keys in a slot of their own. */
  readonly spread: boolean;
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
  /** Whether scripts run as the library's functions; undefined until a load finds out. */
  #fcall: boolean | undefined;
  #loading: Promise<boolean> | undefined;
  /** The last connection error (e.g. "connect ECONNREFUSED ..."), for a call that gave up on it. */
  #connectError: string | undefined;
  /** Set when Redis refused the connection for good (a database it lacks): every call fails with it. */
  #refused: BackendError | undefined;
  /** WAIT after each script for this many replicas (0: no WAIT), up to #waitMs. */
  readonly #waitReplicas: number;
  readonly #waitMs: number;
  /** Set while WAITs time out, so a shortfall is logged once. */
  #waitWarned = false;

  /**
   * Connects (lazily: the first command waits for the connection), or adopts the caller's
   * connection, which stays the caller's: close() leaves it open.
   * @param wantsEvents whether scripts on a queue build events for this process
   */
  constructor(source: RedisBackendOptions | RedisConnectionLike, wantsEvents: (queue: string) => boolean) {
    this.#wantsEvents = wantsEvents;
    const options: RedisBackendOptions = isConnection(source) ? { connection: source } : source;
    this.prefix = options.prefix ?? "asyncmq";
    if (this.prefix === "" || this.prefix.includes(":")) {
      throw new ValidationError(`Redis key prefix must be non-empty and without ":", got "${this.prefix}"`);
    }
    this.#waitReplicas = options.waitReplicas ?? 0;
    this.#waitMs = options.waitTimeoutMs ?? 1000;
    if (!Number.isInteger(this.#waitReplicas) || this.#waitReplicas < 0) {
      throw new ValidationError(
        `waitReplicas must be a whole number of replicas (0 for no WAIT), got ${String(options.waitReplicas)}`,
      );
    }
    if (!Number.isInteger(this.#waitMs) || this.#waitMs <= 0) {
      throw new ValidationError(
        `waitTimeoutMs must be a positive whole number of milliseconds, got ${String(options.waitTimeoutMs)}`,
      );
    }
    const given = options.connection;
    if (given !== undefined) {
      if (options.url !== undefined) {
        throw new ValidationError("give RedisBackend a url or a connection, not both");
      }
      // It is an ioredis connection: the interface only names what identifies one.
      this.client = given as unknown as Redis;
      this.#owned = false;
      const { host = "127.0.0.1", port = 6379 } = given.options as { host?: string; port?: number };
      this.url = given.isCluster ? "redis+cluster://(the caller's Cluster)" : `redis://${host}:${port}`;
    } else {
      const url = options.url ?? "redis://127.0.0.1:6379";
      this.url = url.replace(/\/\/[^@/]*@/, "//***@");
      this.client = connect(url);
      this.#owned = true;
      this.#watch(this.client);
    }
    this.cluster = given?.isCluster === true || (given === undefined && isClusterUrl(this.url));
    this.spread = this.cluster && !hasHashTag(this.prefix);
    this.global = this.spread ? `${this.prefix}:{:}:` : `${this.prefix}::`;
    defineScripts(this.client);
  }

  /** Whether every script is followed by a WAIT for replicas (the waitReplicas option). */
  get waitsForReplicas(): boolean {
    return this.#waitReplicas > 0;
  }

  /** The key prefix of `queue`'s keys: "<prefix>:<queue>:", or "<prefix>:{<queue>}:" when spread. */
  keyOf(queue: string): string {
    return this.spread ? `${this.prefix}:{${queue}}:` : `${this.prefix}:${queue}:`;
  }

  /** @throws BackendError once closed. */
  assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`the Redis backend for ${this.url} is closed; create a new RedisBackend`);
    }
  }

  /**
   * Runs a queue script: KEYS queue and global prefixes, ARGV queue, want events, origin, `args`.
   * With waitReplicas, a WAIT follows it in one pipeline (so on a cluster it reaches the same node).
   */
  async run<R>(queue: string, name: string, args: ScriptArg[]): Promise<R> {
    const subscribing = this.subscribing.get(queue);
    if (subscribing !== undefined) await subscribing;
    const all = this.#lead(queue).concat(args);
    return this.#scripts(async (fcall) => {
      if (this.#waitReplicas === 0)
        return this.call((redis) => runScript<Promise<R>>(redis, name, all, fcall));
      const replies = await this.call((redis) =>
        runScript<ReturnType<Redis["pipeline"]>>(redis.pipeline(), name, all, fcall)
          .wait(this.#waitReplicas, this.#waitMs)
          .exec(),
      );
      return this.#replicated(replies)[0] as R;
    });
  }

  /** Runs a queue script once per argument list, all in one MULTI (nothing interleaves); its replies. */
  async runAll<R>(queue: string, name: string, argLists: ScriptArg[][]): Promise<R[]> {
    const subscribing = this.subscribing.get(queue);
    if (subscribing !== undefined) await subscribing;
    const lead = this.#lead(queue);
    // A missing function fails every call of the MULTI alike, so a retry finds nothing written.
    const replies = await this.#scripts(async (fcall) => {
      const all = await this.call((redis) => {
        const multi = redis.multi();
        for (const args of argLists) runScript(multi, name, lead.concat(args), fcall);
        return multi.exec();
      });
      if (all === null) throw new BackendError(`Redis at ${this.url} discarded a transaction`);
      const missing = all.find(([err]) => isFunctionMissing(err));
      if (missing) throw this.#wrap(missing[0]);
      return all;
    });
    if (this.#waitReplicas > 0) {
      // A keyed no-op takes the WAIT to the queue's node on a cluster (the MULTI's connection).
      const paused = `${this.keyOf(queue)}paused`;
      this.#replicated(
        await this.call((redis) =>
          redis.pipeline().exists(paused).wait(this.#waitReplicas, this.#waitMs).exec(),
        ),
      );
    }
    return replies.map(([err, reply]) => {
      if (err) throw this.#wrap(err);
      return reply as R;
    });
  }

  /**
   * The replies of a pipeline that ended with a WAIT, without the WAIT's; a WAIT that got fewer
   * replicas than asked is logged (once until one gets them all again), not thrown: the write is done.
   */
  #replicated(replies: Array<[Error | null, unknown]> | null): unknown[] {
    if (replies === null) throw new BackendError(`Redis at ${this.url} discarded a pipeline`);
    const out = replies.map(([err, reply]) => {
      if (err) throw this.#wrap(err);
      return reply;
    });
    const acked = out.pop() as number;
    if (acked >= this.#waitReplicas) this.#waitWarned = false;
    else if (!this.#waitWarned) {
      this.#waitWarned = true;
      log().warn(
        `Redis at ${this.url}: only ${acked} of ${this.#waitReplicas} replicas acknowledged a write within ${this.#waitMs} ms (waitReplicas); a failover now may lose it`,
      );
    }
    return out;
  }

  /** Runs a global script on `keys` (two keys of the global prefix), ARGV `args`. */
  runGlobal<R>(name: string, keys: [string, string], args: ScriptArg[]): Promise<R> {
    return this.#scripts((fcall) =>
      this.call((redis) => runScript<Promise<R>>(redis, name, [...keys, ...args], fcall)),
    );
  }

  /**
   * Runs `send` with whether scripts go as functions (loading the library first when that is not
   * known yet), and once more, after loading it again, when the server had lost it.
   */
  async #scripts<T>(send: (fcall: boolean) => Promise<T>): Promise<T> {
    const fcall = this.#fcall ?? (await this.#functions());
    try {
      return await send(fcall);
    } catch (err) {
      if (!fcall) throw err;
      if (/^NOPERM.*'fcall/i.test(redisFailureOf(err)?.message ?? "")) {
        // FUNCTION LOAD was let through but FCALL is not (an ACL): scripts, from now on.
        this.#fcall = false;
        return send(false);
      }
      if (!isFunctionMissing(err)) throw err;
      this.#fcall = undefined;
      return send(await this.#functions());
    }
  }

  /** Loads the library (one load at a time); whether scripts go as its functions. */
  #functions(): Promise<boolean> {
    this.#loading ??= this.#loadLibrary().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #loadLibrary(): Promise<boolean> {
    const { text } = functionLibrary();
    try {
      await this.call(async (redis) => {
        const load = (node: Redis) =>
          node.call("FUNCTION", "LOAD", text).catch((err: unknown) => {
            // Loaded already, by this process's other connections or another process.
            if (!/already exists/i.test((err as Error).message)) throw err;
          });
        if (!this.cluster) return load(redis);
        const cluster = redis as unknown as Cluster;
        // On every primary. They are known once the cluster answered (the nodes listed before are
        // the start-up ones, which it replaces).
        await cluster.ping();
        await Promise.all(cluster.nodes("master").map(load));
      });
      this.#fcall = true;
    } catch (err) {
      const refusal = redisFailureOf(err);
      // Not answered (a connection failure): the caller gets it, the next call loads again.
      if (refusal?.name !== "ReplyError") throw err;
      // Out of memory (FUNCTION LOAD is a write): scripts for this call, the load again next time.
      if (/^OOM/.test(refusal.message)) return false;
      // No functions there (Redis 6), or not for this user: scripts, from now on.
      this.#fcall = false;
    }
    return this.#fcall;
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

  /**
   * KEYS: the queue's prefix and the global one, or the queue's again when spread (the scripts then
   * leave the set of queues alone). ARGV[2]: whether this process wants the events ("1"/"0"), as
   * "3"/"2" on a cluster, where PUBSUB NUMSUB only counts the subscribers of the node the script
   * runs on, so the scripts publish events whoever listens.
   */
  #lead(queue: string): ScriptArg[] {
    const q = this.keyOf(queue);
    const events = (this.#wantsEvents(queue) ? 1 : 0) + (this.cluster ? 2 : 0);
    return [q, this.spread ? q : this.global, queue, events, this.origin];
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

  /** A new connection to the same server or cluster (for SUBSCRIBE), which its taker disconnects. */
  duplicate(): Redis {
    const connection = this.cluster
      ? ((this.client as unknown as Cluster).duplicate() as unknown as Redis)
      : // The notifier subscribes again after a reconnect (see notifier.ts).
        this.client.duplicate({ maxRetriesPerRequest: 2, connectTimeout: 2000, autoResubscribe: false });
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

/** Whether `err` says the library's function is not on the server. */
function isFunctionMissing(err: unknown): boolean {
  return /function not found/i.test(redisFailureOf(err)?.message ?? "");
}

/** A connection made from a URL: a `Cluster` for redis+cluster://, else a `Redis`. */
function connect(url: string): Redis {
  const ioredis = loadDriver<typeof import("ioredis")>("ioredis");
  // Fail a command after a few reconnect attempts (well under a second when nothing listens)
  // instead of queueing it forever.
  const retry = (times: number) => Math.min(times * 100, 2000);
  if (!isClusterUrl(url)) {
    return new ioredis.Redis(url, { maxRetriesPerRequest: 2, connectTimeout: 2000, retryStrategy: retry });
  }
  const { nodes, auth } = parseClusterUrl(url);
  const cluster = new ioredis.Cluster(nodes, {
    redisOptions: { ...auth, maxRetriesPerRequest: 2, connectTimeout: 2000 },
    clusterRetryStrategy: retry,
    // While a replica takes over a failed primary's slots: retry for a few seconds, then fail.
    retryDelayOnClusterDown: 300,
    retryDelayOnFailover: 300,
    slotsRefreshTimeout: 2000,
  });
  return cluster as unknown as Redis;
}

/**
 * Whether `prefix` holds a whole hash tag ("{" and a later "}" with something between): then it
 * decides the slot of every key, so all queues of the prefix share one slot.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf("{");
  return open >= 0 && prefix.indexOf("}", open + 1) > open + 1;
}
