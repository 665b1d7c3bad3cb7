/** The optional stores of the SQLite engine: repeatables, queue-wide rate buckets, live workers. */
import type {
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  WorkerInfo,
  WorkerRegistry,
} from "../backend.js";
import type { Applied, EngineRepeatables } from "../engine.js";
import { copyRepeatable, rateWaitMs, refillTokens } from "../shared/rules.js";
import type { SqliteConnection } from "./connection.js";

interface RepeatableRow {
  id: string;
  def: string;
  next_run: number;
  paused: number;
}

function toRepeatable(row: RepeatableRow): RepeatableInfoRecord {
  return { id: row.id, def: JSON.parse(row.def), nextRun: row.next_run, paused: row.paused === 1 };
}

/** Durable repeatable definitions and the last slot fired per repeat id. */
export class SqliteRepeatables implements EngineRepeatables {
  constructor(private readonly conn: SqliteConnection) {}

  async upsert(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord> {
    const { s } = this.conn;
    return this.conn.transaction(() => {
      s.queueEnsure.run(queue);
      s.repeatableUpsert.run({
        queue,
        id: info.id,
        def: JSON.stringify(info.def),
        nextRun: info.nextRun,
        paused: info.paused ? 1 : 0,
      });
      return copyRepeatable(info);
    });
  }

  async list(queue: string): Promise<RepeatableInfoRecord[]> {
    return this.conn.read(() => (this.conn.s.repeatableList.all(queue) as RepeatableRow[]).map(toRepeatable));
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const { s } = this.conn;
    return this.conn.transaction(() => {
      const removed = s.repeatableDelete.run(queue, id).changes > 0;
      s.slotDelete.run(queue, id);
      return removed;
    });
  }

  async setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean> {
    return this.conn.read(
      () => this.conn.s.repeatableSetPaused.run(paused ? 1 : 0, nextRun ?? null, queue, id).changes > 0,
    );
  }

  async fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>> {
    const { s } = this.conn;
    return this.conn.write(queue, (tx) => {
      const last = s.slotGet.get(queue, fire.repeatId) as { last_slot: number } | undefined;
      if (last && fire.slot <= last.last_slot) return null;
      const def = s.repeatableGet.get(queue, fire.repeatId) as RepeatableRow | undefined;
      if (def?.paused) return null;
      const { id } = tx.insert(fire.job);
      s.slotSet.run(queue, fire.repeatId, fire.slot);
      if (def) s.repeatableSetNextRun.run(fire.nextRun, queue, fire.repeatId);
      return id;
    });
  }

  async lastSlot(queue: string, repeatId: string): Promise<number | null> {
    return this.conn.read(
      () =>
        (this.conn.s.slotGet.get(queue, repeatId) as { last_slot: number } | undefined)?.last_slot ?? null,
    );
  }
}

/** The token bucket of each queue, one row per queue. */
export class SqliteRateLimits implements RateLimitStore {
  constructor(private readonly conn: SqliteConnection) {}

  async take(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    if (rate <= 0) return intervalMs;
    const { s } = this.conn;
    return this.conn.transaction(() => {
      const bucket = s.bucketGet.get(queue) as { tokens: number; updated_at: number } | undefined;
      let tokens = rate;
      let updatedAt = now;
      if (bucket) {
        tokens = refillTokens(bucket.tokens, bucket.updated_at, rate, intervalMs, now);
        updatedAt = Math.max(now, bucket.updated_at);
      }
      if (tokens >= 1 - 1e-9) {
        s.bucketSet.run(queue, Math.max(0, tokens - 1), updatedAt);
        return 0;
      }
      s.bucketSet.run(queue, tokens, updatedAt);
      return rateWaitMs(tokens, rate, intervalMs);
    });
  }
}

/** Live workers, each a JSON row that expires without heartbeat. */
export class SqliteWorkers implements WorkerRegistry {
  constructor(private readonly conn: SqliteConnection) {}

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    const { s } = this.conn;
    this.conn.read(() => {
      s.workerUpsert.run(info.id, JSON.stringify(info), info.heartbeatAt + ttlMs);
      // Registrations of workers that died long ago go; recent ones stay visible to list(now).
      s.workerPrune.run(info.heartbeatAt - Math.max(ttlMs, 60_000));
    });
  }

  async remove(id: string): Promise<void> {
    this.conn.read(() => this.conn.s.workerDelete.run(id));
  }

  async list(now: number): Promise<WorkerInfo[]> {
    return this.conn.read(() =>
      (this.conn.s.workerList.pluck().all(now) as string[]).map((info) => JSON.parse(info)),
    );
  }
}
