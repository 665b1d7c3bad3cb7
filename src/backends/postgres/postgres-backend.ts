/**
 * The PostgreSQL backend: durable, shared by any number of processes (see postgres-engine.ts for
 * its parts). This file is the public face only; its types mention nothing of `pg`, so a
 * TypeScript project that never installed @types/pg compiles against asyncmq.
 */
import { EngineBackend } from "../engine-backend.js";
import { PostgresEngine } from "./postgres-engine.js";

/**
 * A `pg` Pool that the caller owns: the backend uses it, takes one connection from it for LISTEN
 * (returned on close; none with `transactionPooling` or `listenUrl`) and leaves it open on close.
 * Any `new pg.Pool(...)` fits.
 */
export interface PgPool {
  connect(): Promise<unknown>;
  query(...args: never[]): unknown;
  readonly options: {
    max?: number;
    connectionString?: string;
    user?: string;
    host?: string;
    port?: number;
    database?: string;
  };
}

/** Options of {@link PostgresBackend}. */
export interface PostgresBackendOptions {
  /** Connection URL. Default `postgres://postgres@127.0.0.1:5432/postgres`. */
  url?: string;
  /** A pool to use instead of `url` (at least 2 connections); it stays the caller's. Default: a pool of its own. */
  pool?: PgPool;
  /** Schema holding asyncmq's tables (created when absent). Lowercase letters, digits, `_`. Default `asyncmq`. */
  schema?: string;
  /**
   * Connections of the pool the backend makes for itself. Of 5 or more, 3 are kept for a worker's
   * claims and finishes (a busy worker keeps 3 busy; each connection opened costs the server CPU
   * before it is fast), the rest run everything else. Default 10.
   */
  poolSize?: number;
  /** How long to wait for a connection before failing with BackendError (ms). Default 3000. */
  connectTimeout?: number;
  /**
   * The pool's connections go through a pooler in transaction mode (PgBouncer `pool_mode =
   * transaction`), so nothing may outlive a transaction on them: statements are sent unnamed
   * (parsed and planned at each call instead of prepared once per connection), and LISTEN is not
   * done on the pool (see `listenUrl`). Default false.
   */
  transactionPooling?: boolean;
  /**
   * A direct connection URL (not through the pooler) for the backend's one LISTEN connection, by
   * which other processes' wake-ups and events arrive. Default: a connection of the pool, or, with
   * `transactionPooling`, none: workers then find jobs added by other processes by their idle poll
   * (`scanInterval`, default 1 s) and `QueueEvents`/`subscribe` hear only this process's events.
   */
  listenUrl?: string;
  /**
   * Runs `VACUUM (SKIP_LOCKED)` on the jobs table, in the background, when the dead row versions its
   * claims and finishes leave pass 10,000 plus a tenth of the live rows (checked every 5,000 rows
   * this backend wrote): a claim steps over the index entries of every job claimed since the last
   * VACUUM, and autovacuum comes once a minute at most (docs/backends.md). Needs ownership of the
   * table (the role that created the schema has it); without, it is logged once and left to
   * autovacuum. Default true.
   */
  vacuum?: boolean;
}

/** A job queue backend stored in PostgreSQL, safe to share between processes. Needs the `pg` package. */
export class PostgresBackend extends EngineBackend {
  /**
   * Connects lazily: nothing touches the database until the first call, which also applies pending
   * migrations. Given a Pool (or `{ pool, schema }`), the backend uses it and leaves it open on close.
   * @throws ValidationError for a bad schema name or pool size; BackendError when `pg` is not installed.
   */
  constructor(options: PostgresBackendOptions | PgPool = {}) {
    super((ctx) => new PostgresEngine(options, ctx));
  }

  /**
   * Opens up to three pooled connections (at most the pool's size less two) and prepares the claim,
   * finish and bulk enqueue statements on them, so that a worker's first jobs do not pay ~40 ms each
   * for a fresh connection; writes nothing (the enqueue is rolled back). The runtime calls it when a
   * worker starts. Does nothing behind a transaction pooler (`transactionPooling`).
   */
  declare readonly warmUp: () => Promise<void>;

  /** The schema holding the tables. */
  get schema(): string {
    return (this.engine as PostgresEngine).db.schema;
  }

  /**
   * Resolves once this backend's LISTEN connection is up and its subscriptions are registered, so
   * that other processes' wake-ups and events from then on reach its listeners. Listening starts
   * with the first `onWake`/`subscribe` call; this only lets a caller wait for it.
   */
  listening(): Promise<void> {
    return (this.engine as PostgresEngine).notifier.listening();
  }
}
