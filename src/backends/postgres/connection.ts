/**
 * The connection handling of the PostgreSQL engine: the pool (made here, or the caller's), the
 * schema migrated on first use, statements run with epoch-ms bigints as numbers, transactions
 * retried on deadlock or serialization failure, and errors turned into BackendErrors that name the
 * server (never its password). `pg` is loaded here, when a backend is constructed.
 */
import type pg from "pg";
import { AsyncMQError, BackendError, ValidationError } from "../../errors.js";
import { errorLine, log } from "../../logger.js";
import { loadDriver } from "../shared/driver.js";
import { redactUrl as redact } from "../shared/redact-url.js";
import { migrate } from "./migrate.js";
import type { PgPool, PostgresBackendOptions } from "./postgres-backend.js";
import { loadStatements, type Statement, type StatementName, type Statements } from "./statements.js";

/** Runs one statement on the connection it is bound to and returns its rows. */
export type Query = <R>(stmt: Statement, values: unknown[]) => Promise<R[]>;

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
const INT8_OID = 20;
/** SQLSTATEs worth one more try of a whole transaction: deadlock, serialization failure. */
const RETRYABLE = new Set(["40P01", "40001"]);
const CONNECTION_CODE = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)$/;

/**
 * Connections of an own pool of at least HOT_MIN_POOL that are kept for a worker's claims and
 * finishes (the hot pool), the rest for everything else. Each connection costs the server ~50 ms of
 * CPU before it runs these two as fast as the others (its start, catalog caches, and their planning:
 * a first run and five custom plans each); a worker's start opened 10 at once in one pool (its
 * claims, finishes, warm-up, LISTEN, leader election and sweeps together), and drained 20,000 jobs
 * at 14.5-17k jobs/s where 3 connections did 18.8-19.7k (4 runs each, docs/performance.md): a busy
 * worker's claims and finishes keep 3 busy, and more only share the same CPU.
 */
const HOT_CONNECTIONS = 3;
/** The smallest own pool that is split: the hot pool, the LISTEN connection and one more. */
const HOT_MIN_POOL = HOT_CONNECTIONS + 2;

/** One engine's pool, schema and statements. */
export class Connection {
  /** The schema holding the tables. */
  readonly schema: string;
  /** Where the database is, for messages (never with a password). */
  readonly where: string;
  readonly pool: pg.Pool;
  /**
   * Where claims and finishes run (`hot`): a pool of HOT_CONNECTIONS taken out of an own pool of
   * HOT_MIN_POOL or more with prepared statements, else the main pool.
   */
  readonly hotPool: pg.Pool;
  /**
   * The pool of the LISTEN connection: the main pool, a pool of one on `listenUrl`, or none when
   * the main pool is transaction-pooled and no `listenUrl` is given.
   */
  readonly listenPool: pg.Pool | undefined;
  /** Where the LISTEN connection goes, for messages. */
  readonly listenWhere: string;
  /** Every statement: prepared per connection under a name that carries the schema, or unnamed (transactionPooling). */
  readonly s: Statements;
  /** Runs a statement on the pool as is (no migration first, no error wrapping): for bookkeeping. */
  readonly onPool: Query;
  readonly #onHot: Query;
  readonly #ownPool: boolean;
  readonly #ownListenPool: boolean;
  /** Parses bigint (int8) columns to numbers: they hold epoch ms and counters, all within 2^53. */
  readonly #types: pg.CustomTypesConfig;
  #closed = false;
  #ready = false;
  /** Statements are named, so prepared once per connection (not behind a transaction pooler). */
  readonly #prepared: boolean;
  /** Whether the engine VACUUMs the jobs table (PostgresBackendOptions.vacuum). */
  readonly vacuum: boolean;
  #migrating: Promise<void> | undefined;
  /** What readies each connection a pool opens, before its first use (warmUp); none until set. */
  #warmNew: { main?: (q: Query) => Promise<void>; hot?: (q: Query) => Promise<void> } = {};

  /**
   * Connects lazily: nothing touches the database until the first call (see `open`).
   * @throws ValidationError for a schema name that is not a plain identifier, a pool size below 2,
   *   a `transactionPooling` or `vacuum` that is not a boolean, a `listenUrl` that is not a
   *   postgres:// URL.
   * @throws BackendError when the `pg` package is not installed.
   */
  constructor(options: PostgresBackendOptions | PgPool) {
    const opts: PostgresBackendOptions = isPool(options) ? { pool: options } : options;
    this.schema = opts.schema ?? "asyncmq";
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new ValidationError(
        `schema must be lowercase letters, digits and "_" (at most 48, not starting with a digit), got ${JSON.stringify(this.schema)}`,
      );
    }
    const transactionPooling = checkBoolean(opts.transactionPooling ?? false, "transactionPooling");
    this.vacuum = checkBoolean(opts.vacuum ?? true, "vacuum");
    const listenUrl = opts.listenUrl;
    if (listenUrl !== undefined) checkListenUrl(listenUrl);
    const driver = loadDriver<typeof pg>("pg");
    const builtIn = driver.types;
    this.#types = {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID
          ? Number
          : builtIn.getTypeParser(oid, format)) as pg.CustomTypesConfig["getTypeParser"],
    };
    if (opts.pool) {
      const o = opts.pool.options;
      if (o.max !== undefined && o.max < 2) {
        // The LISTEN connection stays checked out; with one connection nothing else could run.
        throw new ValidationError(
          `the pool given to PostgresBackend needs max >= 2 connections, it has ${o.max}`,
        );
      }
      // A pool that passed isPool is a pg Pool (or one shaped like it): the structural type is for consumers.
      this.pool = opts.pool as unknown as pg.Pool;
      this.#ownPool = false;
      this.where = o.connectionString
        ? redact(o.connectionString)
        : `postgres://${o.user ?? "postgres"}@${o.host ?? "localhost"}:${o.port ?? 5432}/${o.database ?? ""}`;
    } else {
      const url = opts.url ?? DEFAULT_URL;
      this.where = redact(url);
      const poolSize = opts.poolSize ?? 10;
      if (!Number.isInteger(poolSize) || poolSize < 2) {
        throw new ValidationError(`poolSize must be an integer >= 2, got ${String(poolSize)}`);
      }
      const split = !transactionPooling && poolSize >= HOT_MIN_POOL;
      const mainSize = split ? poolSize - HOT_CONNECTIONS : poolSize;
      this.pool = newPool(driver, url, mainSize, opts.connectTimeout, (c) => this.#onConnect(c, "main"));
      if (split) {
        this.hotPool = newPool(driver, url, HOT_CONNECTIONS, opts.connectTimeout, (c) =>
          this.#onConnect(c, "hot"),
        );
      }
      this.#ownPool = true;
    }
    this.hotPool ??= this.pool;
    if (listenUrl !== undefined) {
      this.listenPool = newPool(driver, listenUrl, 1, opts.connectTimeout);
      this.listenWhere = redact(listenUrl);
    } else {
      this.listenPool = transactionPooling ? undefined : this.pool;
      this.listenWhere = this.where;
    }
    this.#ownListenPool = listenUrl !== undefined;
    this.#prepared = !transactionPooling;
    this.s = loadStatements(this.schema, { prepared: this.#prepared });
    this.onPool = this.queryOn(this.pool);
    this.#onHot = this.queryOn(this.hotPool);
  }

  /** Whether the schema is migrated (the database was reached at least once). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once the schema is migrated; the first call migrates. */
  async open(): Promise<void> {
    if (this.#closed) {
      throw new BackendError(
        `the PostgreSQL backend for ${this.where} is closed; create a new PostgresBackend`,
      );
    }
    if (this.#ready) return;
    this.#migrating ??= (async () => {
      const client = await this.#checkout();
      let broken = false;
      try {
        await migrate(client, this.queryOn(client), this.s, this.schema, this.where);
      } catch (err) {
        broken = true;
        throw err;
      } finally {
        giveBack(client, broken);
      }
      this.#ready = true;
    })().catch((err) => {
      // A later call tries again (the server may come up).
      this.#migrating = undefined;
      throw this.wrap(err);
    });
    await this.#migrating;
  }

  /** A `Query` on `db` (the pool, or a client checked out of it). */
  queryOn(db: pg.Pool | pg.PoolClient): Query {
    const types = this.#types;
    return async <R>(stmt: Statement, values: unknown[]) =>
      (await db.query<pg.QueryResultRow>({ ...stmt, values, types })).rows as R[];
  }

  /** One statement outside any explicit transaction, once the schema is migrated. */
  one<R>(name: StatementName, values: unknown[]): Promise<R[]> {
    return this.#run(this.onPool, name, values);
  }

  /** `one` on the hot pool: for a worker's claims and finishes. */
  hot<R>(name: StatementName, values: unknown[]): Promise<R[]> {
    return this.#run(this.#onHot, name, values);
  }

  async #run<R>(query: Query, name: StatementName, values: unknown[]): Promise<R[]> {
    await this.open();
    try {
      return await query<R>(this.s[name], values);
    } catch (err) {
      throw this.wrap(err);
    }
  }

  /** Runs `fn` in one transaction; a deadlock or serialization failure runs it again (3 tries in all). */
  async transaction<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    await this.open();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#checkout();
      } catch (err) {
        throw this.wrap(err);
      }
      try {
        await client.query("BEGIN");
        const value = await fn(this.queryOn(client));
        await client.query("COMMIT");
        giveBack(client, false);
        return value;
      } catch (err) {
        let broken = false;
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        giveBack(client, broken);
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < 3) continue;
        throw this.wrap(err);
      }
    }
  }

  /**
   * A client out of the pool, heard while it is out: pg emits the death of a checked-out connection
   * that sits between two queries (server restart, pg_terminate_backend) as an 'error' event on the
   * client, which unheard crashes the process. Its next query fails, and the caller handles that.
   */
  async #checkout(pool = this.pool): Promise<pg.PoolClient> {
    const client = await pool.connect();
    client.on("error", ignoreCheckedOutError);
    return client;
  }

  /**
   * Readies connections before they are needed: `hot` (a worker's claim and finish) on the hot
   * pool's, `main` (an add) on the main pool's, at once on HOT_CONNECTIONS - 1 of the hot pool's and
   * one of the main pool's, and on each one opened from now on before it is handed out (pg-pool's
   * onConnect). Unsplit, both run at once on HOT_CONNECTIONS of the one pool (at most its size less
   * two), and on its new connections if it is ours (a pool the caller gave is not ours to run
   * statements on unasked). A failure leaves a connection to prepare its statements on first use.
   * Does nothing once closed or behind a transaction pooler (statements are not prepared there, and
   * its server connections are not ours to keep).
   */
  async warmUp(hot: (q: Query) => Promise<void>, main: (q: Query) => Promise<void>): Promise<void> {
    if (this.#closed || !this.#prepared) return;
    if (this.hotPool !== this.pool) {
      // All but one of the hot pool's at once: holding them all would keep the first claim waiting.
      this.#warmNew = { hot, main };
      await Promise.all([
        this.#onConnections(this.hotPool, HOT_CONNECTIONS - 1, hot),
        this.#onConnections(this.pool, 1, main),
      ]);
      return;
    }
    const both = async (q: Query) => {
      await hot(q);
      await main(q);
    };
    if (this.#ownPool) this.#warmNew = { main: both };
    // Held at once (else the pool hands back the same one): leave the LISTEN connection and one more.
    await this.#onConnections(this.pool, Math.min(HOT_CONNECTIONS, (this.pool.options.max ?? 10) - 2), both);
  }

  /** Runs `fn` on `n` connections of `pool` held at once (opening them if need be), then gives them back. */
  async #onConnections(pool: pg.Pool, n: number, fn: (q: Query) => Promise<void>): Promise<void> {
    if (n < 1) return;
    const clients = await Promise.all(Array.from({ length: n }, () => this.#checkout(pool)));
    let broken = false;
    try {
      await Promise.all(clients.map((client) => fn(this.queryOn(client))));
    } catch (err) {
      broken = true;
      throw this.wrap(err);
    } finally {
      for (const client of clients) giveBack(client, broken);
    }
  }

  /**
   * pg-pool's onConnect of a pool this object made: warmUp's readying of its new connections, and a
   * hot pool's connection plans its statements once (force_generic_plan): by default each is planned
   * again at each of its first five runs, ~1-3 ms a time per connection, before the generic plan
   * wins. Both are written for a generic plan (claim.sql says how its plan stays on its index).
   * 20,000 jobs at prefetch 450, 4 pairs alternated: 17.6-19.6k -> 19.8-20.2k jobs/s.
   */
  async #onConnect(client: pg.ClientBase, pool: "main" | "hot"): Promise<void> {
    // A server without the setting (before PostgreSQL 12) plans as it does by default.
    if (pool === "hot") await client.query("SET plan_cache_mode = force_generic_plan").catch(() => {});
    const warm = this.#warmNew[pool];
    if (warm === undefined) return;
    try {
      await warm(this.queryOn(client as pg.PoolClient));
    } catch {
      // Handed out all the same: its statements are prepared on first use, as without warmUp.
    }
  }

  /** A BackendError saying what went wrong where (an AsyncMQError passes through). */
  wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    const e = err as { code?: string; message?: string };
    const message = e.message ?? String(err);
    if (
      CONNECTION_CODE.test(e.code ?? "") ||
      /timeout exceeded when trying to connect|Connection terminated|connect ECONN|getaddrinfo/i.test(message)
    ) {
      return new BackendError(
        `cannot reach PostgreSQL at ${this.where} (${message}); check that the server is running and accepts connections there, or pass another url (new PostgresBackend({ url }) or ASYNCMQ_BACKEND=postgres://user@host:port/db)`,
        { cause: err },
      );
    }
    if (e.code === "28P01" || e.code === "28000" || e.code === "3D000") {
      return new BackendError(
        `PostgreSQL at ${this.where} refused the connection: ${message}; fix the user, password or database in the url`,
        { cause: err },
      );
    }
    return new BackendError(`PostgreSQL error on ${this.where}: ${message}`, { cause: err });
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Refuses new calls, waits for a migration in flight, and ends the pool if it is ours. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#migrating?.catch(() => {});
    if (this.#ownPool) await Promise.all([...new Set([this.pool, this.hotPool])].map((pool) => pool.end()));
    if (this.#ownListenPool) await this.listenPool?.end();
  }
}

/** A pool of our own on `url`. */
function newPool(
  driver: typeof pg,
  url: string,
  max: number,
  connectTimeout = 3000,
  onConnect?: (client: pg.ClientBase) => Promise<void>,
): pg.Pool {
  const pool = new driver.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeout,
    onConnect,
  });
  // Idle connections that die (server restart) report here; the next query reconnects. One
  // line: the error carries the whole pg Client, which a logger would print (~117 lines).
  pool.on("error", (err) =>
    log().warn(
      `an idle connection to PostgreSQL at ${redact(url)} was closed (${errorLine(err)}); nothing to do: the next query opens a new one`,
    ),
  );
  return pool;
}

/** @throws ValidationError unless `url` is a postgres:// (or postgresql://) URL. */
function checkListenUrl(url: unknown): void {
  let scheme: string | undefined;
  try {
    scheme = typeof url === "string" ? new URL(url).protocol : undefined;
  } catch {
    scheme = undefined;
  }
  if (scheme !== "postgres:" && scheme !== "postgresql:") {
    throw new ValidationError(
      `listenUrl must be a postgres:// URL of a direct connection to the database (not through the pooler), got ${typeof url === "string" ? JSON.stringify(redact(url)) : String(url)}`,
    );
  }
}

/** Whether `value` is a pool (rather than options): pg's Pool or anything with its `connect` and `query`. */
function isPool(value: PostgresBackendOptions | PgPool): value is PgPool {
  return typeof (value as PgPool).connect === "function" && typeof (value as PgPool).query === "function";
}

/** `value` when it is a boolean. @throws ValidationError naming the option otherwise. */
function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean")
    throw new ValidationError(`${name} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

/** The listener of checked-out clients (see #checkout): the failing query reports the error. */
function ignoreCheckedOutError(): void {}

/** Returns a client from #checkout to the pool; a broken one is destroyed instead. */
function giveBack(client: pg.PoolClient, broken: boolean): void {
  client.off("error", ignoreCheckedOutError);
  client.release(broken);
}
