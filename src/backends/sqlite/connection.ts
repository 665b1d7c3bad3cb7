/**
 * The engine's one SQLite connection and how every operation runs on it:
 * - a transition is one `BEGIN IMMEDIATE` transaction over a `Tx`, which also does the WRITE side
 *   of the cross-process transport: `Tx.flush` bumps the queue's wake counters, and while another
 *   process subscribes to the queue its events go into the `events` table in the same commit;
 * - other writes (leases, stores) are plain immediate transactions, reads run as they are;
 * - SQLite errors become BackendErrors that name the file and what to do; a corrupt file breaks the
 *   connection for good (every later call fails at once with the same fatal error, nothing more is
 *   read or written), so workers stop instead of retrying against it forever.
 */
import { randomUUID } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import { AsyncMQError, BackendError } from "../../errors.js";
import type { Applied } from "../engine.js";
import { explainSqliteFailure } from "./failures.js";
import { type OpenOptions, openDatabase } from "./open.js";
import type { Statements } from "./statements.js";
import { Tx } from "./tx.js";
import type { TxCore, WakeCounters } from "./tx-core.js";

/** What a write transaction asks of the rest of the engine. */
export interface WriteHooks {
  /** Whether this process wants the events of `queue` (EngineContext.wantsEvents). */
  wantsEvents(queue: string): boolean;
  /** After commit: the wake counters this connection bumped (bits of WAKE_BITS), not news from elsewhere. */
  ownWakes(queue: string, wakes: number, counters: WakeCounters): void;
}

export class SqliteConnection {
  /** Tells this connection's rows (events, subscriptions) from other processes'. */
  readonly instance = randomUUID();
  #closed = false;
  /** Set once a statement found the file corrupt: every later call throws it. */
  #broken: BackendError | undefined;
  readonly #db: BetterSqlite3.Database;
  readonly s: Statements;
  /** The database file (absolute), or ":memory:". */
  readonly path: string;
  readonly #immediate: (fn: () => unknown) => unknown;

  /** Opens (creating and migrating when needed) the database. */
  constructor(
    options: OpenOptions,
    private readonly hooks: WriteHooks,
  ) {
    this.path = options.path;
    ({ db: this.#db, s: this.s } = openDatabase(options));
    this.#immediate = this.#db.transaction((fn: () => unknown) => fn()).immediate;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs transition `fn` in one write transaction on `queue`; returns its value and effects. */
  write<T>(queue: string, fn: (tx: Tx) => T): Applied<T> {
    this.#assertOpen();
    const { s, instance } = this;
    const tx = new Tx(s, queue, this.hooks.wantsEvents(queue));
    let counters: WakeCounters | undefined;
    /** Other queues the transition changed (a dependant settled there): their wake bits and counters. */
    let others: Array<[queue: string, wakes: number, counters: WakeCounters]> | undefined;
    let value: T;
    try {
      value = this.#immediate(() => {
        const now = Date.now();
        const remote = s.remoteSubscriber.get(queue, instance, now) !== undefined;
        // Events built only for another process's subscriber reach no listener here: harmless.
        if (remote) tx.wantEvents = true;
        const remoteOf = (q: string) => s.remoteSubscriber.get(q, instance, now) !== undefined;
        tx.wantsEventsOf = (q) => this.hooks.wantsEvents(q) || remoteOf(q);
        const v = fn(tx);
        counters = tx.flush();
        if (remote && tx.events.length > 0)
          s.eventInsert.run(queue, instance, now, JSON.stringify(tx.events));
        for (const [q, sibling] of tx.siblings()) {
          const c = (sibling as TxCore).flush();
          if (sibling.events.length > 0 && remoteOf(q))
            s.eventInsert.run(q, instance, now, JSON.stringify(sibling.events));
          if (c) {
            others ??= [];
            others.push([q, sibling.wakeBits, c]);
          }
        }
        return v;
      }) as T;
    } catch (err) {
      throw this.#wrap(err);
    }
    if (counters) this.hooks.ownWakes(queue, tx.wakeBits, counters);
    for (const [q, wakes, c] of others ?? []) this.hooks.ownWakes(q, wakes, c);
    return { value, effects: tx.take() };
  }

  /** Runs `fn` in one write transaction that announces nothing (leases, stores, registrations). */
  transaction<T>(fn: () => T): T {
    this.#assertOpen();
    try {
      return this.#immediate(fn) as T;
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  /** Runs a read (or a single self-contained statement). */
  read<T>(fn: () => T): T {
    this.#assertOpen();
    try {
      return fn();
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  #assertOpen(): void {
    if (this.#broken) throw this.#broken;
    if (this.#closed) {
      throw new BackendError(`the SQLite backend for ${this.path} is closed; create a new SqliteBackend`);
    }
  }

  /** An error of SQLite as a BackendError (errors of asyncmq, such as refusals, pass unchanged). */
  #wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    const explained = explainSqliteFailure(this.path, err);
    if (explained) {
      if (explained.fatal) this.#broken ??= explained;
      return this.#broken ?? explained;
    }
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_BUSY") {
      return new BackendError(
        `the asyncmq database ${this.path} stayed locked by another connection longer than busyTimeout; raise busyTimeout or look for a process holding a long transaction`,
        { cause: err },
      );
    }
    return new BackendError(`SQLite error on ${this.path}: ${(err as Error).message}`, { cause: err });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
