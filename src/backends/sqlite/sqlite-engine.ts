/**
 * The SQLite engine: one connection (connection.ts) shared by the job store, the notifier and the
 * optional stores. Data is durable and several processes may share the file.
 */
import type { LeaderStore, MetricStore, RateLimitStore, WorkerRegistry } from "../backend.js";
import type { Engine, EngineContext, EngineRepeatables, JobStore } from "../engine.js";
import { SqliteConnection } from "./connection.js";
import { sqliteJobStore } from "./job-store.js";
import { sqliteMetrics } from "./metric-store.js";
import { SqliteNotifier } from "./notifier.js";
import type { OpenOptions } from "./open.js";
import { sqliteLeaders, sqliteRateLimits, sqliteRepeatables, sqliteWorkers } from "./stores.js";

export class SqliteEngine implements Engine {
  readonly durable = true;
  readonly multiProcess = true;
  /** Other processes' commits are noticed by the watcher (file events and a fallback poll). */
  readonly reliableWakeups = true;
  readonly jobs: JobStore;
  readonly notifier: SqliteNotifier;
  readonly repeatables: EngineRepeatables;
  readonly rateLimits: RateLimitStore;
  readonly workers: WorkerRegistry;
  readonly metrics: MetricStore;
  readonly leaders: LeaderStore;
  readonly #conn: SqliteConnection;

  /** Opens (creating and migrating when needed) the database at `options.path`. */
  constructor(options: OpenOptions, ctx: EngineContext) {
    const conn = new SqliteConnection(options, {
      wantsEvents: (queue) => ctx.wantsEvents(queue),
      ownWakes: (queue, wakes, counters) => this.notifier.ownWakes(queue, wakes, counters),
    });
    this.#conn = conn;
    this.notifier = new SqliteNotifier(conn, ctx);
    this.jobs = sqliteJobStore(conn);
    this.repeatables = sqliteRepeatables(conn);
    this.rateLimits = sqliteRateLimits(conn);
    this.workers = sqliteWorkers(conn);
    this.metrics = sqliteMetrics(conn);
    this.leaders = sqliteLeaders(conn);
  }

  async close(): Promise<void> {
    this.#conn.close();
  }
}
