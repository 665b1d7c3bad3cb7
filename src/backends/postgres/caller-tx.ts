/**
 * Enqueueing inside the caller's own transaction (the transactional outbox): asyncmq's statements
 * run on the caller's pg client, after its BEGIN, so the jobs exist only if it commits. They run in
 * a savepoint, so a refusal (a missing parent) or an error rolls back only asyncmq's writes and the
 * caller's transaction stays usable. Their NOTIFY carries an origin no engine has, so every
 * process, this one included, hears of the jobs when (and only when) the caller commits.
 */
import type pg from "pg";
import { ValidationError } from "../../errors.js";
import type { TransactionClient } from "../backend.js";
import type { Connection, Query } from "./connection.js";

/** The origin of notifications sent from a caller's transaction: no engine skips them as its own. */
export const CALLER_ORIGIN = "caller-transaction";

/** Runs statements on a connection, as one all-or-nothing unit. */
export type Transact = <T>(fn: (q: Query) => Promise<T>) => Promise<T>;

/** SQLSTATE of SAVEPOINT outside a transaction block. */
const NO_TRANSACTION = "25P01";
/** The server and database of a connection: what tells the caller's client is on the backend's. */
const WHERE_SQL =
  "SELECT current_database() || ':' || current_setting('port') || ':' || pg_postmaster_start_time() AS at";

/** Clients already found on the backend's database. */
const checked = new WeakMap<object, Connection>();
/** Where each backend's pool is connected (WHERE_SQL), asked once. */
const places = new WeakMap<Connection, Promise<string | undefined>>();

/**
 * A `Transact` on the caller's `client`.
 * @throws ValidationError when `client` is not a pg client checked out for one transaction.
 */
export function callerTransaction(db: Connection, client: TransactionClient): Transact {
  const c = client as Partial<pg.PoolClient & pg.Pool>;
  if (typeof c !== "object" || c === null || typeof c.query !== "function") {
    throw new ValidationError(
      `enqueue option "client" must be a pg Client or PoolClient inside your transaction (const client = await pool.connect(); await client.query("BEGIN")), got ${client === null ? "null" : typeof client}`,
    );
  }
  if (typeof c.totalCount === "number") {
    throw new ValidationError(
      `enqueue option "client" is a pg Pool: each of its queries may run on another connection, outside your transaction; pass the client you ran BEGIN on (const client = await pool.connect())`,
    );
  }
  const pgClient = client as pg.PoolClient;
  return async (fn) => {
    await db.open();
    try {
      await sameDatabase(db, pgClient);
      const q = db.queryOn(pgClient);
      try {
        await pgClient.query("SAVEPOINT asyncmq_enqueue");
      } catch (err) {
        if ((err as { code?: string }).code !== NO_TRANSACTION) throw err;
        // Not inside BEGIN: the client commits each statement anyway, so the unit is ours to open.
        return await ownTransaction(pgClient, () => fn(q));
      }
      try {
        const value = await fn(q);
        await pgClient.query("RELEASE SAVEPOINT asyncmq_enqueue");
        return value;
      } catch (err) {
        await pgClient.query("ROLLBACK TO SAVEPOINT asyncmq_enqueue").catch(() => {});
        throw err;
      }
    } catch (err) {
      throw db.wrap(err);
    }
  };
}

/** Runs `fn` in a transaction of its own on `client` (which is in none). */
async function ownTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const value = await fn();
    await client.query("COMMIT");
    return value;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/** Refuses a client connected elsewhere than the backend (checked once per client object). */
async function sameDatabase(db: Connection, client: pg.PoolClient): Promise<void> {
  if (checked.get(client) === db) return;
  let ours = places.get(db);
  if (ours === undefined) {
    ours = db.pool.query<{ at: string }>(WHERE_SQL).then(({ rows }) => rows[0]?.at);
    places.set(db, ours);
    ours.catch(() => places.delete(db));
  }
  const { rows } = await client.query<{ at: string }>(WHERE_SQL);
  const theirs = rows[0]?.at;
  if (theirs !== (await ours)) {
    throw new ValidationError(
      `enqueue option "client" is connected to another server or database (${theirs}) than the queue's backend (${db.where}); pass a client of the backend's database`,
    );
  }
  checked.set(client, db);
}
