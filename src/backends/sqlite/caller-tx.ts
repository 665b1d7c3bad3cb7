/**
 * Enqueueing inside the caller's own transaction (the transactional outbox): asyncmq's statements
 * run on the caller's better-sqlite3 connection to the same file, inside its open transaction (as a
 * savepoint, so a refusal undoes only asyncmq's writes), and exist only if it commits. Other
 * connections, this backend's own included, see the commit as a foreign one and wake from it; the
 * events go in the `events` table under an origin no connection has, so every subscriber reads them.
 */
import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import { ValidationError } from "../../errors.js";
import type { TransactionClient } from "../backend.js";
import { prepareStatements, type Statements } from "./statements.js";

/** The origin of events written from a caller's transaction: no subscriber skips them as its own. */
export const CALLER_ORIGIN = "caller-transaction";

/** The caller's connection, ready for asyncmq's statements. */
export interface CallerDatabase {
  /** asyncmq's statements, prepared on the caller's connection. */
  readonly s: Statements;
  /** Runs `fn` as one unit: a savepoint inside the caller's transaction (its own transaction outside one). */
  readonly transact: <T>(fn: () => T) => T;
}

/** Per caller connection: its statements and transaction wrapper, made once. */
const prepared = new WeakMap<object, CallerDatabase>();

/**
 * The caller's `client` as a CallerDatabase, after checking it is an open, writable better-sqlite3
 * connection to the backend's file `path`.
 * @throws ValidationError otherwise, saying what to pass instead.
 */
export function callerDatabase(path: string, client: TransactionClient): CallerDatabase {
  const db = client as Partial<BetterSqlite3.Database>;
  if (
    typeof db !== "object" ||
    db === null ||
    typeof db.prepare !== "function" ||
    typeof db.transaction !== "function" ||
    typeof db.name !== "string"
  ) {
    throw new ValidationError(
      `enqueue option "client" must be a better-sqlite3 Database open on the queue's file ${path}, inside your transaction (db.exec("BEGIN IMMEDIATE")), got ${client === null ? "null" : typeof client}`,
    );
  }
  const known = prepared.get(db);
  if (known !== undefined) return known;
  if (!db.open || db.readonly) {
    throw new ValidationError(
      `enqueue option "client" is a ${db.open ? "read-only" : "closed"} better-sqlite3 Database; pass one open for writing on ${path}`,
    );
  }
  if (path === ":memory:" || db.memory || realFile(db.name) !== realFile(path)) {
    throw new ValidationError(
      `enqueue option "client" is open on ${db.name}, not on the queue's file ${path}; pass a better-sqlite3 Database of the backend's file (an in-memory database is never shared)`,
    );
  }
  const sqlite = db as BetterSqlite3.Database;
  const unit = sqlite.transaction((fn: () => unknown) => fn());
  const caller: CallerDatabase = {
    s: prepareStatements(sqlite),
    transact: <T>(fn: () => T) => unit.immediate(fn) as T,
  };
  prepared.set(db, caller);
  return caller;
}

/** A file's real path (symlinks resolved), or its absolute path when it cannot be resolved. */
function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}
