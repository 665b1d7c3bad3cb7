/**
 * The READ side of the SQLite engine's cross-process transport: it tells this process about other
 * processes' commits, never about its own (those are delivered from the transition's effects).
 *
 * Commits of other connections are noticed through `fs.watch` on the `-wal` file plus a slow
 * fallback poll (watcher.ts), confirmed by `PRAGMA data_version` (which only other connections'
 * commits change). Then:
 * - wake-ups: every transaction that makes work available bumps a per-queue wake counter
 *   (tx-core.ts). For each listened queue this notifier compares the counters with the values it
 *   last saw; one that moved is a wake-up of that reason. The connection reports the bumps of its
 *   own commits (`ownWakes`), so they are not reported a second time.
 * - events: a subscribing process registers itself in `subscribers` (renewed by a heartbeat; old
 *   registrations and event rows are trimmed then). While a registration of another process is
 *   live, writers store each transaction's events as one `events` row in the same commit
 *   (connection.ts); the subscriber reads the rows after its cursor, skipping its own.
 */
import type { QueueEvent } from "../backend.js";
import type { EngineContext, Notifier } from "../engine.js";
import { WAKE_REASONS, wakeReasons } from "../shared/effects.js";
import { type RegistrationStore, SubscriberRegistrations } from "../shared/subscriptions.js";
import type { SqliteConnection } from "./connection.js";
import type { WakeCounters } from "./tx-core.js";
import { ChangeWatcher } from "./watcher.js";

/** How long a subscriber registration lives without renewal (ms). */
const SUBSCRIBER_TTL_MS = 30_000;
/** How often registrations are renewed and old events trimmed (ms). */
const SUBSCRIBER_HEARTBEAT_MS = 5_000;
/** How long event rows are kept for readers that fell behind (ms). */
const EVENT_KEEP_MS = 5 * 60_000;

export class SqliteNotifier implements Notifier, RegistrationStore {
  readonly #watcher: ChangeWatcher;
  /** Wake counters last seen per listened queue; a difference means another process woke it. */
  readonly #wakeSeen = new Map<string, WakeCounters>();
  /** Per subscribed queue: the last event id that existed when the subscription began. */
  readonly #subscribedAfter = new Map<string, number>();
  readonly #registrations: SubscriberRegistrations;
  #eventCursor = 0;
  #dataVersion = 0;

  constructor(
    private readonly conn: SqliteConnection,
    private readonly ctx: EngineContext,
  ) {
    const walPath = conn.path === ":memory:" ? null : `${conn.path}-wal`;
    this.#watcher = new ChangeWatcher(walPath, () => this.#checkForeignChanges());
    this.#registrations = new SubscriberRegistrations(this, SUBSCRIBER_HEARTBEAT_MS);
  }

  listen(queue: string, kind: "wake" | "events"): () => void {
    // Before the queue's starting point is read: a foreign commit in between changes the version
    // the watcher compares with, so it is reported rather than missed.
    if (!this.#watcher.running) this.#dataVersion = this.#readDataVersion();
    const stop = kind === "wake" ? this.#listenWakes(queue) : this.#listenEvents(queue);
    this.#updateWatcher();
    return () => {
      stop();
      if (!this.conn.closed) this.#updateWatcher();
    };
  }

  /** The wake counters a commit of this connection bumped (`wakes`: their bits): not news from elsewhere. */
  ownWakes(queue: string, wakes: number, counters: WakeCounters): void {
    const seen = this.#wakeSeen.get(queue);
    if (seen === undefined) return;
    // A gap means another process's bump is pending: keep the old value so the check reports it.
    for (const reason of wakeReasons(wakes))
      if (seen[reason] === counters[reason] - 1) seen[reason] = counters[reason];
  }

  #listenWakes(queue: string): () => void {
    const row = this.conn.read(() => this.conn.s.wakeCounters.get(queue)) as WakeCounters | undefined;
    this.#wakeSeen.set(queue, row ?? { job: 0, delayed: 0, resume: 0 });
    return () => this.#wakeSeen.delete(queue);
  }

  #listenEvents(queue: string): () => void {
    const { s, instance } = this.conn;
    const expiresAt = Date.now() + SUBSCRIBER_TTL_MS;
    // One transaction: writers that commit after it see the registration and write events with
    // ids above `after`; everything up to `after` happened before this subscription.
    const after = this.conn.transaction(() => {
      s.subscriberUpsert.run(queue, instance, expiresAt);
      return (s.eventsLastId.get() as { n: number }).n;
    });
    if (this.#subscribedAfter.size === 0) this.#eventCursor = Math.max(this.#eventCursor, after);
    this.#subscribedAfter.set(queue, after);
    this.#registrations.add(queue);
    return () => {
      this.#subscribedAfter.delete(queue);
      void this.#registrations.delete(queue);
    };
  }

  #updateWatcher(): void {
    const wanted = this.#wakeSeen.size > 0 || this.#subscribedAfter.size > 0;
    if (wanted && !this.#watcher.running) {
      this.#watcher.start();
    } else if (!wanted && this.#watcher.running) {
      this.#watcher.stop();
    }
  }

  #readDataVersion(): number {
    return this.conn.read(() => this.conn.s.dataVersion.pluck().get() as number);
  }

  /** Signalled by the watcher: if another connection committed, report its wake-ups and events. */
  #checkForeignChanges(): void {
    // Busy or closing: the next signal or poll retries.
    this.#quietly(() => {
      const version = this.#readDataVersion();
      if (version === this.#dataVersion) return;
      this.#dataVersion = version;
      for (const [queue, seen] of this.#wakeSeen) {
        const current = this.conn.s.wakeCounters.get(queue) as WakeCounters | undefined;
        if (!current) continue;
        const wakes = WAKE_REASONS.filter((reason) => current[reason] !== seen[reason]);
        if (wakes.length === 0) continue;
        this.#wakeSeen.set(queue, current);
        this.ctx.received(queue, { wakes });
      }
      if (this.#subscribedAfter.size > 0) this.#readForeignEvents();
    });
  }

  #readForeignEvents(): void {
    const { s, instance } = this.conn;
    const rows = s.eventsAfter.all(this.#eventCursor, instance) as Array<{
      id: number;
      queue: string;
      batch: string;
    }>;
    for (const row of rows) {
      this.#eventCursor = row.id;
      const after = this.#subscribedAfter.get(row.queue);
      if (after === undefined || row.id <= after) continue;
      this.ctx.received(row.queue, { events: JSON.parse(row.batch) as QueueEvent[] });
    }
  }

  // RegistrationStore: failures are ignored (busy: the next heartbeat retries well before a
  // registration expires; closed: registrations expire on their own).

  renew(queues: readonly string[]): void {
    const { s, instance } = this.conn;
    const now = Date.now();
    this.#quietly(() =>
      this.conn.transaction(() => {
        for (const queue of queues) s.subscriberUpsert.run(queue, instance, now + SUBSCRIBER_TTL_MS);
        s.subscriberPrune.run(now);
        s.eventsTrim.run(now - EVENT_KEEP_MS);
      }),
    );
  }

  drop(queues: readonly string[]): void {
    const { s, instance } = this.conn;
    this.#quietly(() =>
      this.conn.transaction(() => {
        for (const queue of queues) s.subscriberDelete.run(queue, instance);
      }),
    );
  }

  /** Runs `fn` unless the connection is closed; a failure (busy, closing) is left to the next try. */
  #quietly(fn: () => void): void {
    if (this.conn.closed) return;
    try {
      fn();
    } catch {}
  }

  async close(): Promise<void> {
    this.#watcher.stop();
    await this.#registrations.close();
    this.#wakeSeen.clear();
    this.#subscribedAfter.clear();
  }
}
