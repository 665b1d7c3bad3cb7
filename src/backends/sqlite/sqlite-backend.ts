/**
 * The embedded default backend: one SQLite file (WAL mode) that several processes may share.
 * A facade over the SQLite engine (sqlite-engine.ts): every transition is one `BEGIN IMMEDIATE`
 * transaction over statements prepared once from `./sql/` (tx.ts), and other processes' commits
 * reach this one through a watch of the `-wal` file (notifier.ts).
 */
import { resolve } from "node:path";
import { ValidationError } from "../../errors.js";
import { EngineBackend } from "../engine-backend.js";
import { SqliteEngine } from "./sqlite-engine.js";

/** Options of {@link SqliteBackend}. */
export interface SqliteBackendOptions {
  /** The database file; its folder is created. Default `./.asyncmq/asyncmq.db`. `":memory:"` for a private in-memory database. */
  path?: string;
  /** SQLite `synchronous` pragma. `NORMAL` (default) is durable against process crashes; `FULL` also against power loss. */
  synchronous?: "OFF" | "NORMAL" | "FULL";
  /** How long a write waits for another process's transaction (ms). Default 5000. */
  busyTimeout?: number;
}

/** A job queue backend stored in one SQLite file, safe to share between processes. */
export class SqliteBackend extends EngineBackend {
  /** The database file in use (absolute), or `":memory:"`. */
  readonly path: string;

  /** Opens (creating and migrating when needed) the database. @throws BackendError when the file cannot be used. */
  constructor(options: SqliteBackendOptions = {}) {
    const requested = options.path ?? "./.asyncmq/asyncmq.db";
    const path = requested === ":memory:" ? requested : resolve(requested);
    const busyTimeout = options.busyTimeout ?? 5000;
    if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
      throw new ValidationError(
        `busyTimeout must be a non-negative integer of ms, got ${String(busyTimeout)}`,
      );
    }
    const synchronous = options.synchronous ?? "NORMAL";
    if (!["OFF", "NORMAL", "FULL"].includes(synchronous)) {
      throw new ValidationError(
        `synchronous must be "OFF", "NORMAL" or "FULL", got ${JSON.stringify(synchronous)}`,
      );
    }
    super((ctx) => new SqliteEngine({ path, synchronous, busyTimeout }, ctx));
    this.path = path;
  }
}
