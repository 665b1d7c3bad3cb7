/**
 * How the Redis stores reach Redis: the key names of a queue, a script run with the arguments every
 * queue script starts with (lua/includes/base.lua), and plain reads, each failure wrapped.
 */
import type { Redis } from "ioredis";
import { BackendError } from "../../errors.js";
import type { EngineContext } from "../engine.js";
import type { RedisConnection } from "./connection.js";
import type { RedisNotifier } from "./notifier.js";
import { runScript, type ScriptArg, type ScriptName } from "./scripts.js";

export class ScriptRunner {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  /** The global key prefix "<prefix>::" (no queue name is empty, so no queue's keys start so). */
  readonly #global: string;
  readonly #origin: string;
  readonly #ctx: EngineContext;
  readonly #notifier: RedisNotifier;

  constructor(
    connection: RedisConnection,
    prefix: string,
    origin: string,
    ctx: EngineContext,
    notifier: RedisNotifier,
  ) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#global = `${prefix}::`;
    this.#origin = origin;
    this.#ctx = ctx;
    this.#notifier = notifier;
  }

  /** The key prefix of `queue`'s keys, "<prefix>:<queue>:". */
  keyOf(queue: string): string {
    return `${this.#prefix}:${queue}:`;
  }

  /** The global key prefix (workers, the set of queues). */
  get global(): string {
    return this.#global;
  }

  assertOpen(): void {
    this.#connection.assertOpen();
  }

  /** Runs a queue script: KEYS queue and global prefixes, ARGV queue, want events, origin, `args`. */
  async run<R>(queue: string, name: ScriptName, args: ScriptArg[]): Promise<R> {
    this.#connection.assertOpen();
    const subscribing = this.#notifier.subscribed(queue);
    if (subscribing !== undefined) await subscribing;
    try {
      return await runScript<Promise<R>>(this.#connection.client, name, this.#lead(queue).concat(args));
    } catch (err) {
      throw this.#connection.wrap(err);
    }
  }

  /** Runs a queue script once per argument list, all in one MULTI (nothing interleaves); its replies. */
  async runAll<R>(queue: string, name: ScriptName, argLists: ScriptArg[][]): Promise<R[]> {
    this.#connection.assertOpen();
    const subscribing = this.#notifier.subscribed(queue);
    if (subscribing !== undefined) await subscribing;
    const lead = this.#lead(queue);
    const multi = this.#connection.client.multi();
    for (const args of argLists) runScript(multi, name, lead.concat(args));
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await multi.exec();
    } catch (err) {
      throw this.#connection.wrap(err);
    }
    if (replies === null) throw new BackendError(`Redis at ${this.#connection.url} discarded a transaction`);
    return replies.map(([err, reply]) => {
      if (err) throw this.#connection.wrap(err);
      return reply as R;
    });
  }

  /** Runs a global script: KEYS "<prefix>:" and the global prefix, ARGV `args`. */
  runGlobal<R>(name: ScriptName, args: ScriptArg[]): Promise<R> {
    return this.read((redis) =>
      runScript<Promise<R>>(redis, name, [`${this.#prefix}:`, this.#global, ...args]),
    );
  }

  /** Runs plain commands, wrapping failures. */
  async read<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    this.#connection.assertOpen();
    try {
      return await fn(this.#connection.client);
    } catch (err) {
      throw this.#connection.wrap(err);
    }
  }

  #lead(queue: string): ScriptArg[] {
    return [this.keyOf(queue), this.#global, queue, this.#ctx.wantsEvents(queue) ? "1" : "0", this.#origin];
  }
}
