/**
 * The optional stores of the PostgreSQL engine: durable repeatables with exactly-once slots, the
 * queue-wide rate bucket, and the live-worker registry. Each is shared by every process on the schema.
 */
import type { JobState } from "../../job.js";
import type {
  FiredRecord,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  WorkerInfo,
  WorkerRegistry,
} from "../backend.js";
import type { Applied, EngineRepeatables } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { announceFree, copyRepeatable, duplicateResult, holdCeiling, rateWaitMs } from "../shared/rules.js";
import { newJobRow } from "../shared/sql-rows.js";
import type { Connection } from "./connection.js";
import { isSimple } from "./enqueue.js";
import { PLAIN_COLUMNS } from "./rows.js";
import { inTransaction, type TxRunner } from "./tx.js";

/** Repeatable definitions and the last slot fired per repeat id. */
export class PostgresRepeatables implements EngineRepeatables {
  constructor(private readonly on: TxRunner) {}

  async upsert(queue: string, info: RepeatableInfoRecord): Promise<Applied<RepeatableInfoRecord>> {
    const { s } = this.on.db;
    return inTransaction(this.on, queue, async (tx) => {
      await tx.q(s.repeatableUpsert, [queue, info.id, JSON.stringify(info.def), info.nextRun, info.paused]);
      tx.wake("delayed");
      return copyRepeatable(info);
    });
  }

  async list(queue: string): Promise<RepeatableInfoRecord[]> {
    type Row = { id: string; def: string; next_run: number; paused: boolean; runs: number };
    const rows = await this.on.db.one<Row>("repeatableList", [queue]);
    return rows.map((r) => ({
      id: r.id,
      def: JSON.parse(r.def),
      nextRun: r.next_run,
      paused: r.paused,
      runs: r.runs,
    }));
  }

  async remove(queue: string, id: string): Promise<boolean> {
    return (await this.on.db.one("repeatableDelete", [queue, id])).length > 0;
  }

  async setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<Applied<boolean>> {
    const { s } = this.on.db;
    return inTransaction(this.on, queue, async (tx) => {
      const changed = (await tx.q(s.repeatableSetPaused, [paused, nextRun ?? null, queue, id])).length > 0;
      if (changed) tx.wake("delayed");
      return changed;
    });
  }

  /** One statement for a job without dedup or parents (what schedulers fire), else one transaction. */
  async fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>> {
    const { db, origin, ctx } = this.on;
    const job = fire.job;
    if (!isSimple(job)) {
      return inTransaction(this.on, queue, async (tx) => {
        const [def] = await tx.q<{ paused: boolean }>(db.s.repeatableLock, [queue, fire.repeatId]);
        if (def?.paused) return null;
        const [won] = await tx.q(db.s.slotClaim, [queue, fire.repeatId, fire.slot, fire.limit ?? null]);
        if (!won) return null;
        const { id } = await tx.insert(job);
        if (def) await tx.q(db.s.repeatableSetNextRun, [fire.nextRun, queue, fire.repeatId]);
        return id;
      });
    }
    // The statement derives the state; the row's columns are all it takes from the job.
    const plain = newJobRow(queue, "", job, "waiting");
    const [row] = await db.one<{ fired: boolean; id: string; inserted: boolean; state: JobState | null }>(
      "fire",
      [
        queue,
        fire.repeatId,
        fire.slot,
        fire.nextRun,
        job.id ?? null,
        ...PLAIN_COLUMNS.map((column) => plain[column]),
        origin,
        fire.limit ?? null,
      ],
    );
    if (!row?.fired) return { value: null };
    const signals = new EffectsCollector(ctx.wantsEvents(queue));
    if (!row.inserted) duplicateResult(signals, queue, row.id, row.state ?? "waiting", job.task);
    else announceFree(signals, queue, row.id, job.task, row.state === "delayed", job.runAt);
    return { value: row.id, effects: signals.take() };
  }

  async lastFired(queue: string, repeatId: string): Promise<FiredRecord | null> {
    const [row] = await this.on.db.one<{ last_slot: number; runs: number }>("slotGet", [queue, repeatId]);
    return row === undefined ? null : { slot: row.last_slot, runs: row.runs };
  }
}

/** The token bucket of each queue, in one row. */
export class PostgresRateLimits implements RateLimitStore {
  constructor(private readonly db: Connection) {}

  async take(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    await this.db.open();
    if (rate <= 0) return intervalMs;
    const [row] = await this.db.one<{ available: number }>("takeRateToken", [queue, rate, intervalMs, now]);
    const available = row?.available ?? 0;
    if (available >= 1 - 1e-9) return 0;
    return rateWaitMs(available, rate, intervalMs);
  }

  async refund(queue: string, n: number, rate: number, intervalMs: number, now: number): Promise<void> {
    await this.db.open();
    if (rate <= 0) return;
    await this.db.one("adjustRateTokens", [queue, rate, intervalMs, now, n, rate]);
  }

  async hold(queue: string, ms: number, rate: number, intervalMs: number, now: number): Promise<void> {
    await this.db.open();
    if (rate <= 0) return;
    await this.db.one("adjustRateTokens", [
      queue,
      rate,
      intervalMs,
      now,
      0,
      holdCeiling(ms, rate, intervalMs),
    ]);
  }
}

/** Live workers, each a row with a heartbeat expiry. */
export class PostgresWorkers implements WorkerRegistry {
  constructor(private readonly db: Connection) {}

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    // Registrations of workers that died long ago go; recent ones stay visible to list(now).
    await this.db.one("workerUpsert", [
      info.id,
      JSON.stringify(info),
      info.heartbeatAt + ttlMs,
      info.heartbeatAt - Math.max(ttlMs, 60_000),
    ]);
  }

  async remove(id: string): Promise<void> {
    await this.db.one("workerDelete", [id]);
  }

  async list(now: number): Promise<WorkerInfo[]> {
    return (await this.db.one<{ info: string }>("workerList", [now])).map((r) => JSON.parse(r.info));
  }
}
