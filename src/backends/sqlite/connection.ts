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
import { CALLER_ORIGIN, type CallerDatabase } from "./caller-tx.js";
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
    let done: Transition<T>;
    try {
      done = this.#immediate(() =>
        transition(s, instance, tx, fn, (q) => this.hooks.wantsEvents(q)),
      ) as Transition<T>;
    } catch (err) {
      throw this.#wrap(err);
    }
    for (const [q, wakes, counters] of done.bumped) this.hooks.ownWakes(q, wakes, counters);
    return { value: done.value, effects: tx.take() };
  }

  /**
   * Runs transition `fn` on the caller's connection, inside its transaction (caller-tx.ts); returns
   * its value. Its effects reach this process as another's do, once the caller commits.
   */
  writeOn<T>(caller: CallerDatabase, queue: string, fn: (tx: Tx) => T): T {
    this.#assertOpen();
    const tx = new Tx(caller.s, queue, false);
    try {
      return caller.transact(() => transition(caller.s, CALLER_ORIGIN, tx, fn, () => false).value);
    } catch (err) {
      throw this.#wrap(err);
    }
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

/** What a write transaction did: its value, and the wake counters it bumped per queue. */
interface Transition<T> {
  value: T;
  bumped: Array<[queue: string, wakes: number, counters: WakeCounters]>;
}

/**
 * The body of a write transaction: `fn`, then, for its queue and each other queue it changed (a
 * dependant settled there), the counters stored and the wake counters bumped; while another process
 * subscribes to a queue, that queue's events are built and stored as one row under `origin`.
 * `wantsEvents` says where this process listens.
 */
function transition<T>(
  s: Statements,
  origin: string,
  tx: Tx,
  fn: (tx: Tx) => T,
  wantsEvents: (queue: string) => boolean,
): Transition<T> {
  const now = Date.now();
  // Read once per queue: before the transition (to build events) and after it (to store them).
  const remote = new Map<string, boolean>();
  const remoteOf = (q: string) => {
    let yes = remote.get(q);
    if (yes === undefined) {
      yes = s.remoteSubscriber.get(q, origin, now) !== undefined;
      remote.set(q, yes);
    }
    return yes;
  };
  // Events built only for another process's subscriber reach no listener here: harmless.
  if (remoteOf(tx.queue)) tx.wantEvents = true;
  tx.wantsEventsOf = (q) => wantsEvents(q) || remoteOf(q);
  const value = fn(tx);
  const bumped: Transition<T>["bumped"] = [];
  for (const [q, changed] of [[tx.queue, tx] as const, ...tx.siblings()]) {
    const counters = (changed as TxCore).flush();
    if (changed.events.length > 0 && remoteOf(q))
      s.eventInsert.run(q, origin, now, JSON.stringify(changed.events));
    if (counters) bumped.push([q, changed.wakeBits, counters]);
  }
  return { value, bumped };
}
