/**
 * The read side of Redis pub/sub for one engine. The scripts publish (lua/includes/events.lua):
 * on "<Q>wake" the wake-up reasons of a transition, on "<Q>events" its events when anyone
 * subscribes, each message tagged with the id of the backend that ran it. One subscriber
 * connection (a duplicate of the command connection, made on first use) subscribes to a queue's
 * channel of a kind while this process has a local listener of that kind, skips the messages this
 * backend published (it delivered those effects from the script's reply) and hands the others to
 * `EngineContext.received`.
 */
import type { Redis } from "ioredis";
import { log } from "../../logger.js";
import type { QueueEvent, WakeReason } from "../backend.js";
import type { EngineContext, Notifier } from "../engine.js";
import type { RedisConnection } from "./connection.js";

const NO_OP = (): void => {};

export class RedisNotifier implements Notifier {
  readonly #connection: RedisConnection;
  readonly #prefix: string;
  /** This backend's id, followed by the separator, as its messages start. */
  readonly #ownTag: string;
  readonly #ctx: EngineContext;
  #subscriber: Redis | undefined;
  #closed = false;
  /** The channels subscribed to, with their queue and kind. */
  readonly #channels = new Map<string, { queue: string; kind: "wake" | "events" }>();
  /** Per queue: a SUBSCRIBE in flight (see `subscribed`). */
  readonly #pending = new Map<string, Promise<void>>();

  /** @param origin the id this engine's scripts tag their messages with */
  constructor(connection: RedisConnection, prefix: string, origin: string, ctx: EngineContext) {
    this.#connection = connection;
    this.#prefix = prefix;
    this.#ownTag = `${origin}|`;
    this.#ctx = ctx;
  }

  listen(queue: string, kind: "wake" | "events"): () => void {
    if (this.#closed) return NO_OP;
    const channel = `${this.#prefix}:${queue}:${kind}`;
    this.#channels.set(channel, { queue, kind });
    const subscriber = this.#subscriberConnection();
    const subscribed = subscriber.subscribe(channel).then(NO_OP, (err: Error) => {
      if (!this.#closed)
        log().warn(`could not subscribe to ${channel} on ${this.#connection.url}: ${err.message}`);
    });
    const before = this.#pending.get(queue);
    const all = before === undefined ? subscribed : Promise.all([before, subscribed]).then(NO_OP);
    this.#pending.set(queue, all);
    void all.then(() => {
      if (this.#pending.get(queue) === all) this.#pending.delete(queue);
    });
    return () => {
      this.#channels.delete(channel);
      if (!this.#closed) this.#subscriber?.unsubscribe(channel).catch(NO_OP);
    };
  }

  /**
   * Settles once Redis confirmed the subscriptions asked for `queue` (undefined when none is in
   * flight). Writes to the queue wait for it, so a listener added before a write hears of it from
   * every other process.
   */
  subscribed(queue: string): Promise<void> | undefined {
    return this.#pending.get(queue);
  }

  #subscriberConnection(): Redis {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const subscriber = this.#connection.duplicate();
    subscriber.on("message", (channel: string, message: string) => this.#dispatch(channel, message));
    this.#subscriber = subscriber;
    return subscriber;
  }

  /** A message is "<origin>|<body>": wake-up reasons joined by ",", or a JSON array of events. */
  #dispatch(channel: string, message: string): void {
    const target = this.#channels.get(channel);
    if (target === undefined || message.startsWith(this.#ownTag)) return;
    const bar = message.indexOf("|");
    if (bar < 0) return;
    const body = message.slice(bar + 1);
    if (target.kind === "wake") {
      this.#ctx.received(target.queue, { wakes: body.split(",") as WakeReason[] });
      return;
    }
    let events: QueueEvent[];
    try {
      events = JSON.parse(body) as QueueEvent[];
    } catch {
      return;
    }
    this.#ctx.received(target.queue, { events });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
    this.#pending.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }
}
