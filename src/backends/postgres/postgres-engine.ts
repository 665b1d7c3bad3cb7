/** The PostgreSQL engine: its parts on one connection, with one origin id for its notifications. */
import { randomUUID } from "node:crypto";
import type { Engine, EngineContext } from "../engine.js";
import { Connection } from "./connection.js";
import { PostgresJobs } from "./job-store.js";
import { PostgresLeaders } from "./leaders.js";
import { PostgresMetrics } from "./metric-store.js";
import { PostgresNotifier } from "./notifier.js";
import type { PgPool, PostgresBackendOptions } from "./postgres-backend.js";
import { PostgresRateLimits, PostgresRepeatables, PostgresWorkers } from "./stores.js";
import { JobsVacuum } from "./vacuum.js";

/** Durable, shared by any number of processes on the same schema. */
export class PostgresEngine implements Engine {
  readonly durable = true;
  readonly multiProcess = true;
  readonly db: Connection;
  /** False without a LISTEN connection (a transaction pooler and no `listenUrl`): nothing is heard. */
  readonly reliableWakeups: boolean;
  readonly jobs: PostgresJobs;
  readonly notifier: PostgresNotifier;
  readonly repeatables: PostgresRepeatables;
  readonly rateLimits: PostgresRateLimits;
  readonly workers: PostgresWorkers;
  readonly metrics: PostgresMetrics;
  readonly leaders: PostgresLeaders;
  /**
   * Claims and ends of up to 512 jobs a call: every finish call commits with a WAL flush, and a
   * prefetching worker made ~35% more jobs a second with 256 than with 64, and with prefetch 1,800
   * ~10% more with 512 than with 256 (docs/performance.md). A worker takes at most half of what it
   * may hold a call (claim-loop.ts), so prefetch 450 gets batches of 250.
   */
  readonly claimBatch = 512;

  constructor(options: PostgresBackendOptions | PgPool, ctx: EngineContext) {
    this.db = new Connection(options);
    this.reliableWakeups = this.db.listenPool !== undefined;
    // Tells this engine's notifications from other processes'.
    const origin = randomUUID();
    this.jobs = new PostgresJobs(this.db, ctx, origin, new JobsVacuum(this.db, this.db.vacuum));
    this.notifier = new PostgresNotifier(this.db, ctx, origin);
    this.repeatables = new PostgresRepeatables(this.jobs);
    this.rateLimits = new PostgresRateLimits(this.db);
    this.workers = new PostgresWorkers(this.db);
    this.metrics = new PostgresMetrics(this.db);
    this.leaders = new PostgresLeaders(this.db);
  }

  warmUp(): Promise<void> {
    return this.jobs.warmUp();
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
