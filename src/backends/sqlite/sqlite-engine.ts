/**
 * The SQLite engine: one connection (connection.ts) shared by the job store, the notifier and the
 * optional stores. Data is durable and several processes may share the file.
 */
import type { Engine, EngineContext } from "../engine.js";
import { SqliteConnection } from "./connection.js";
import { SqliteJobStore } from "./job-store.js";
import { SqliteNotifier } from "./notifier.js";
import type { OpenOptions } from "./open.js";
import { SqliteRateLimits, SqliteRepeatables, SqliteWorkers } from "./stores.js";

export class SqliteEngine implements Engine {
  readonly durable = true;
  readonly multiProcess = true;
  readonly jobs: SqliteJobStore;
  readonly notifier: SqliteNotifier;
  readonly repeatables: SqliteRepeatables;
  readonly rateLimits: SqliteRateLimits;
  readonly workers: SqliteWorkers;
  readonly #conn: SqliteConnection;

  /** Opens (creating and migrating when needed) the database at `options.path`. */
  constructor(options: OpenOptions, ctx: EngineContext) {
    this.#conn = new SqliteConnection(options, {
      wantsEvents: (queue) => ctx.wantsEvents(queue),
      ownWakes: (queue, wakes, counters) => this.notifier.ownWakes(queue, wakes, counters),
    });
    this.notifier = new SqliteNotifier(this.#conn, ctx);
    this.jobs = new SqliteJobStore(this.#conn);
    this.repeatables = new SqliteRepeatables(this.#conn);
    this.rateLimits = new SqliteRateLimits(this.#conn);
    this.workers = new SqliteWorkers(this.#conn);
  }

  async close(): Promise<void> {
    this.#conn.close();
  }
}
