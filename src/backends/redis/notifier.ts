/**
 * The read side of Redis pub/sub for one engine. The scripts publish (lua/includes/events.lua):
 * on "<Q>wake" the wake-up bits of a transition, on "<Q>events" its events when anyone
 * subscribes, each message tagged with the id of the backend that ran it. One subscriber
 * connection (a duplicate of the command connection, made on first use) subscribes to a queue's
 * channel of a kind while this process has a local listener of that kind, skips the messages this
 * backend published (it delivered those effects from the script's reply) and hands the others to
 * `EngineContext.received`. A SUBSCRIBE that fails (Redis briefly away) is tried again while its
 * channel is listened to, and after a reconnect every channel is subscribed again (by this class:
 * the connection is made without ioredis's autoResubscribe). Messages published while the connection
 * was down are lost: after a reconnect, every queue listened to for wake-ups gets a wake-up of every
 * reason, so its workers (and its delayed scanner) look for themselves.
 */
import type { Redis } from "ioredis";
import { log } from "../../logger.js";
import type { QueueEvent } from "../backend.js";
import type { EngineContext, Notifier } from "../engine.js";
import { WAKE_REASONS, wakeReasons } from "../shared/effects.js";
import type { RedisConnection } from "./connection.js";

const NO_OP = (): void => {};
/** How long after a failed SUBSCRIBE it is tried again (ms). */
const RETRY_MS = 1000;

export class RedisNotifier implements Notifier {
  #subscriber: Redis | undefined;
  /** The channels listened to, and their queue. */
  readonly #channels = new Map<string, string>();
  /** Retries of failed SUBSCRIBEs, cleared on close. */
  readonly #retries = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(
    private readonly io: RedisConnection,
    private readonly ctx: EngineContext,
  ) {}

  listen(queue: string, kind: "wake" | "events"): () => void {
    if (this.#closed) return NO_OP;
    const channel = this.io.keyOf(queue) + kind;
    if (this.#subscriber === undefined) {
      const subscriber = this.io.duplicate();
      subscriber.on("message", (channel: string, message: string) => this.#dispatch(channel, message));
      let connected = false;
      subscriber.on("ready", () => {
        if (connected) this.#onReconnect(subscriber);
        connected = true;
      });
      this.#subscriber = subscriber;
    }
    this.#channels.set(channel, queue);
    const subscribed = this.#subscribe(this.#subscriber, queue, kind, channel, false);
    // Scripts on the queue wait for every SUBSCRIBE in flight (RedisConnection.subscribing).
    const pending = this.io.subscribing;
    const all = Promise.all([pending.get(queue), subscribed]).then(NO_OP);
    pending.set(queue, all);
    void all.then(() => {
      if (pending.get(queue) === all) pending.delete(queue);
    });
    return () => {
      this.#channels.delete(channel);
      if (!this.#closed) this.#subscriber?.unsubscribe(channel).catch(NO_OP);
    };
  }

  /**
   * After a reconnect, every channel listened to is subscribed again, here rather than by ioredis
   * (its re-SUBSCRIBE has no one to hear its failure: a close before its reply was an unhandled
   * rejection); a wake channel then wakes its queue, as a retried SUBSCRIBE does.
   */
  #onReconnect(subscriber: Redis): void {
    if (this.#closed) return;
    for (const [channel, queue] of this.#channels) {
      const kind = channel.endsWith(":wake") ? "wake" : "events";
      void this.#subscribe(subscriber, queue, kind, channel, true);
    }
  }

  /**
   * SUBSCRIBEs to `channel`; a failure is retried while the channel is listened to. Messages sent
   * before a retry succeeds are lost, so a retried wake channel then wakes its queue.
   */
  #subscribe(
    subscriber: Redis,
    queue: string,
    kind: "wake" | "events",
    channel: string,
    retried: boolean,
  ): Promise<void> {
    return subscriber.subscribe(channel).then(
      () => {
        if (retried && kind === "wake") this.ctx.received(queue, { wakes: WAKE_REASONS });
      },
      (err: Error) => {
        if (this.#closed || !this.#channels.has(channel)) return;
        // One warning per channel: the retries fail quietly.
        if (!retried)
          log().warn(`could not subscribe to ${channel} on ${this.io.url}: ${err.message}; retrying`);
        const timer = setTimeout(() => {
          this.#retries.delete(timer);
          if (!this.#closed && this.#channels.has(channel))
            void this.#subscribe(subscriber, queue, kind, channel, true);
        }, RETRY_MS);
        timer.unref();
        this.#retries.add(timer);
      },
    );
  }

  /**
   * A message on "<Q>wake" or "<Q>events" of a queue listened to is "<origin>|<body>": the wake-up
   * bits, or a JSON array of events.
   */
  #dispatch(channel: string, message: string): void {
    const bar = message.indexOf("|");
    const queue = this.#channels.get(channel);
    if (bar < 0 || queue === undefined || message.slice(0, bar) === this.io.origin) return;
    const body = message.slice(bar + 1);
    if (channel.endsWith(":wake")) {
      this.ctx.received(queue, { wakes: wakeReasons(Number(body)) });
      return;
    }
    let events: QueueEvent[];
    try {
      events = JSON.parse(body) as QueueEvent[];
    } catch {
      return;
    }
    this.ctx.received(queue, { events });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#retries) clearTimeout(timer);
    this.#retries.clear();
    this.#channels.clear();
    this.io.subscribing.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
  }
}
