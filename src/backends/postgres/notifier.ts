/**
 * The read side of the PostgreSQL engine's cross-process transport (the write side is the
 * `publish()` each transition calls inside its transaction: one pg_notify on the schema's channel
 * with the wake-up reasons and, while another process subscribes to the queue, the events; inline,
 * or by id through the `events` table when large).
 *
 * - One LISTEN connection per engine (listener.ts), opened when the first queue is listened to, on
 *   `listenUrl` or the pool. This engine's own notifications are skipped (its effects were
 *   delivered locally). A transaction-pooled pool without `listenUrl` has none: nothing is heard
 *   from other processes (one warning says so), and workers find their jobs by their idle poll.
 * - Wake-ups are handed on at once; events go through an inbox that keeps their order while a
 *   large batch is read from the table.
 * - A queue listened to for events is registered in `subscribers` (shared/subscriptions.ts), so
 *   that writers in other processes publish its events.
 * - Notifications sent while the LISTEN connection was down are lost: on reconnecting, every
 *   listened queue gets a wake-up of every reason so its workers look for themselves. A first start that
 *   fails (server unreachable) is retried the same way while anything is listened to.
 */
import { errorLine, log, OutageLog } from "../../logger.js";
import type { QueueEvent, WakeReason } from "../backend.js";
import type { EngineContext, Notifier } from "../engine.js";
import { WAKE_REASONS } from "../shared/effects.js";
import { SubscriberRegistrations } from "../shared/subscriptions.js";
import type { Connection } from "./connection.js";
import { Listener } from "./listener.js";
import { channelOf } from "./statements.js";

/** How long a subscriber registration lives without renewal (s), and how often it is renewed (ms). */
const SUBSCRIBER_TTL_S = 30;
const SUBSCRIBER_HEARTBEAT_MS = 10_000;
/** How long large event batches stay in the events table for readers (s). */
const EVENT_KEEP_S = 300;
/** How long after a failed start listening is tried again (ms). */
const RETRY_MS = 1000;

/** A notification as publish() writes it. */
interface Notification {
  /** origin: the engine instance that made the change */
  o: string;
  q: string;
  w: WakeReason[];
  e?: QueueEvent[];
  id?: number;
}

/** LISTEN/NOTIFY for one engine. */
export class PostgresNotifier implements Notifier {
  /** None behind a transaction-mode pooler without `listenUrl` (LISTEN needs a session). */
  readonly #listener: Listener | undefined;
  readonly #wakeQueues = new Set<string>();
  /** The queues listened to for events, registered in `subscribers`. */
  readonly #subscriptions: SubscriberRegistrations;
  #listening: Promise<void> | undefined;
  /** The latest subscriber registration in flight (a queue subscribed after listening began). */
  #registering: Promise<void> = Promise.resolve();
  /** Keeps foreign notifications in arrival order while some need a read (large batches). */
  #inbox: Promise<void> = Promise.resolve();
  /** The next try after a failed start. */
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #warnedDeaf = false;
  readonly #renewals: OutageLog;

  constructor(
    private readonly db: Connection,
    private readonly ctx: EngineContext,
    /** This engine's id in notifications: its own are skipped. */
    private readonly origin: string,
  ) {
    this.#listener =
      db.listenPool &&
      new Listener(
        db.listenPool,
        channelOf(db.schema),
        (payload) => this.#onNotification(payload),
        () => this.#onReconnect(),
      );
    this.#subscriptions = new SubscriberRegistrations(
      { renew: (queues) => this.#renew(queues), drop: (queues) => this.#drop(queues) },
      SUBSCRIBER_HEARTBEAT_MS,
    );
    this.#renewals = new OutageLog(`renewing event subscriptions on ${db.where}`);
  }

  listen(queue: string, kind: "wake" | "events"): () => void {
    if (this.#listener === undefined) {
      this.#warnDeaf();
      return () => {};
    }
    if (kind === "wake") {
      this.#wakeQueues.add(queue);
      this.#start();
      return () => this.#wakeQueues.delete(queue);
    }
    this.#subscriptions.add(queue);
    // Registered once listening (then by the heartbeat); a queue added later registers now.
    if (this.#listening) this.#registering = this.#listening.then(() => this.#subscriptions.renew());
    this.#start();
    return () => void this.#subscriptions.delete(queue);
  }

  /**
   * Resolves once the LISTEN connection is up and the subscriptions are registered, so that other
   * processes' wake-ups and events from then on arrive.
   */
  async listening(): Promise<void> {
    await this.#listening;
    await this.#registering;
  }

  /**
   * Starts the LISTEN connection (once) and registers the current subscriptions; after a failure,
   * tries again later (`retried`: what was sent meanwhile is lost, so the listeners are woken).
   */
  #start(retried = false): void {
    this.#listening ??= (async () => {
      await this.db.open();
      await this.#listener?.start();
      await this.#subscriptions.renew();
      if (retried) this.#wakeAll();
    })().catch((err) => {
      this.#listening = undefined;
      if (this.#closed) return;
      // One warning per outage: the retries fail quietly.
      if (!retried)
        log().warn(
          `cannot listen for notifications on ${this.db.listenWhere} (${errorLine(err)}); retrying every ${RETRY_MS} ms, meanwhile workers find jobs by their scan interval`,
        );
      if (this.#retry !== undefined) return;
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        if (!this.#closed && (this.#wakeQueues.size > 0 || this.#subscriptions.queues.size > 0))
          this.#start(true);
      }, RETRY_MS);
      this.#retry.unref();
    });
  }

  async #renew(queues: readonly string[]): Promise<void> {
    if (this.#closed) return;
    const q = this.db.onPool;
    try {
      await q(this.db.s.subscriberUpsert, [queues, this.origin, SUBSCRIBER_TTL_S]);
      await q(this.db.s.housekeeping, [EVENT_KEEP_S]);
      this.#renewals.succeeded();
    } catch (err) {
      if (!this.#closed) this.#renewals.failed(err, `every ${SUBSCRIBER_HEARTBEAT_MS} ms`);
    }
  }

  async #drop(queues: readonly string[]): Promise<void> {
    // After a registration in flight; a failure leaves rows that expire on their own.
    await this.#listening;
    if (this.db.ready)
      await this.db.onPool(this.db.s.subscriberDelete, [queues, this.origin]).catch(() => {});
  }

  #onNotification(payload: string): void {
    let note: Notification;
    try {
      note = JSON.parse(payload) as Notification;
    } catch {
      return;
    }
    if (note.o === this.origin) return;
    const queue = note.q;
    const subscribed = this.#subscriptions.queues;
    if (note.w.length > 0 && this.#wakeQueues.has(queue)) this.ctx.received(queue, { wakes: note.w });
    if (!subscribed.has(queue) || (note.e === undefined && note.id === undefined)) return;
    this.#inbox = this.#inbox.then(async () => {
      let events = note.e;
      if (events === undefined) {
        try {
          const [row] = await this.db.onPool<{ batch: string }>(this.db.s.eventGet, [note.id]);
          events = row ? (JSON.parse(row.batch) as QueueEvent[]) : [];
        } catch (err) {
          log().warn(
            `could not read an event batch from ${this.db.where} (${errorLine(err)}); its events are lost to this process, the jobs are not affected`,
          );
          return;
        }
      }
      if (subscribed.has(queue)) this.ctx.received(queue, { events });
    });
  }

  /** Says once what is lost without a LISTEN connection, and what restores it. */
  #warnDeaf(): void {
    if (this.#warnedDeaf) return;
    this.#warnedDeaf = true;
    log().warn(
      `the PostgreSQL backend on ${this.db.where} has transactionPooling and no listenUrl, so it does not LISTEN: its workers find jobs added by other processes by their idle poll (scanInterval, default 1000 ms) rather than at once, and QueueEvents/subscribe do not receive events from other processes; pass listenUrl (a direct connection to the database, not through the pooler) to get both`,
    );
  }

  #onReconnect(): void {
    this.#wakeAll();
    void this.#subscriptions.renew();
  }

  /** A wake-up of every reason for every queue listened to, after notifications may have been lost. */
  #wakeAll(): void {
    for (const queue of this.#wakeQueues) this.ctx.received(queue, { wakes: WAKE_REASONS });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#listener?.stop();
    this.#wakeQueues.clear();
    await this.#subscriptions.close();
    await this.#inbox;
  }
}
