/**
 * Keeps the jobs table's dead row versions few. Every claim and every finish writes a new version
 * of the job's row (its `state` is in the indexes, so the update is never HOT: each index gets an
 * entry), and a claim's ordered scan of `jobs_waiting` steps over the entries of the jobs claimed
 * before until VACUUM removes them. Autovacuum looks at a table once a minute at most
 * (`autovacuum_naptime`) and by default only after a fifth of it changed, or never where it is off;
 * a busy queue changes hundreds of thousands of rows in that time. Measured on the 2-core VM, one
 * worker at concurrency 50 over a backlog of 300,000 jobs (autovacuum off): 7.8-8.0k jobs/s
 * overall, its last 20,000 jobs at 5.9-6.3k; with a VACUUM every ~3 s, 9.7k and 12.5k.
 *
 * So each engine counts the rows its claims and finishes changed; every 5,000 of them it reads the
 * table's dead and live row counts (pg_stat_user_tables, whose figures lag by up to 10 s: a backend
 * reports its counts once a second while busy; the rows this engine wrote since its last VACUUM
 * count as dead at least) and, past 10,000 plus a tenth of the live rows, runs
 * `VACUUM (SKIP_LOCKED)` on one pooled connection, in the background, one at a time (the threshold
 * grows with the table, so the cost of a VACUUM, a pass over every index, stays proportional to
 * what it removes). A failure (no ownership of the table: VACUUM then only
 * warns) changes nothing else; it is logged once and the engine stops trying.
 */
import { errorLine, log } from "../../logger.js";
import type { Connection } from "./connection.js";

/** When a VACUUM runs. */
export interface VacuumLimits {
  /** Rows changed by this engine between two looks at the table's dead rows. */
  checkEvery: number;
  /** Dead rows always tolerated. */
  deadMin: number;
  /** Dead rows tolerated per live row, on top of deadMin. */
  deadShare: number;
}

const LIMITS: VacuumLimits = { checkEvery: 5000, deadMin: 10_000, deadShare: 0.1 };

export class JobsVacuum {
  #changed = 0;
  /** Rows this engine wrote since its last VACUUM: a floor for the dead rows, whose statistics lag. */
  #sinceVacuum = 0;
  #running: Promise<void> | undefined;
  #enabled: boolean;

  constructor(
    private readonly db: Connection,
    enabled: boolean,
    private readonly limits: VacuumLimits = LIMITS,
  ) {
    this.#enabled = enabled;
  }

  /** Counts `rows` written by a claim or finish of this engine; may start a VACUUM. */
  changed(rows: number): void {
    if (!this.#enabled) return;
    this.#changed += rows;
    this.#sinceVacuum += rows;
    if (this.#changed < this.limits.checkEvery || this.#running !== undefined) return;
    this.#changed = 0;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
    });
  }

  /** The VACUUM in flight, if any (close waits for it, as for any statement in flight). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  async #run(): Promise<void> {
    try {
      const [row] = await this.db.one<{ dead: number | string; live: number | string }>("deadRows", [
        this.db.schema,
      ]);
      const { deadMin, deadShare } = this.limits;
      const dead = Math.max(Number(row?.dead ?? 0), this.#sinceVacuum);
      if (dead <= deadMin + deadShare * Number(row?.live ?? 0)) return;
      this.#sinceVacuum = 0;
      await this.db.one("vacuumJobs", []);
    } catch (err) {
      if (this.db.closed) return;
      this.#enabled = false;
      log().warn(
        `could not VACUUM the jobs table of schema "${this.db.schema}" (${errorLine(err)}); leaving it to autovacuum. Pass vacuum: false to PostgresBackend to not try`,
        { schema: this.db.schema },
      );
    }
  }
}
