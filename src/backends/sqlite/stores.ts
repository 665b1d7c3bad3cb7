/** The optional stores of the SQLite engine: repeatables, queue-wide rate buckets, live workers, leader leases. */
import type {
  FiredRecord,
  LeaderStore,
  RateLimitStore,
  RepeatableInfoRecord,
  WorkerRegistry,
} from "../backend.js";
import type { EngineRepeatables } from "../engine.js";
import {
  adjustedTokens,
  copyRepeatable,
  holdCeiling,
  mayFire,
  rateWaitMs,
  refillTokens,
} from "../shared/rules.js";
import type { SqliteConnection } from "./connection.js";

interface RepeatableRow {
  id: string;
  def: string;
  next_run: number;
  paused: number;
  runs: number;
}

function toRepeatable(row: RepeatableRow): RepeatableInfoRecord {
  const { id, def, next_run, paused, runs } = row;
  return { id, def: JSON.parse(def), nextRun: next_run, paused: paused === 1, runs };
}

/** Durable repeatable definitions, and the last slot fired and the runs per repeat id. */
export function sqliteRepeatables(conn: SqliteConnection): EngineRepeatables {
  const { s } = conn;
  const lastFired = (queue: string, id: string): FiredRecord | null => {
    const row = s.slotGet.get(queue, id) as { last_slot: number; runs: number } | undefined;
    return row === undefined ? null : { slot: row.last_slot, runs: row.runs };
  };
  return {
    upsert: async (queue, info) =>
      conn.write(queue, (tx) => {
        s.queueEnsure.run(queue);
        s.repeatableUpsert.run(queue, info.id, JSON.stringify(info.def), info.nextRun, info.paused ? 1 : 0);
        tx.wake("delayed");
        return copyRepeatable(info);
      }),

    list: async (queue) =>
      conn.read(() => (s.repeatableList.all(queue) as RepeatableRow[]).map(toRepeatable)),

    remove: async (queue, id) =>
      conn.transaction(() => {
        const removed = s.repeatableDelete.run(queue, id).changes > 0;
        s.slotDelete.run(queue, id);
        return removed;
      }),

    setPaused: async (queue, id, paused, nextRun) =>
      conn.write(queue, (tx) => {
        const changed = s.repeatableSetPaused.run(paused ? 1 : 0, nextRun ?? null, queue, id).changes > 0;
        if (changed) tx.wake("delayed");
        return changed;
      }),

    fire: async (queue, fire) =>
      conn.write(queue, (tx) => {
        if (!mayFire(lastFired(queue, fire.repeatId), fire)) return null;
        const def = s.repeatableGet.get(queue, fire.repeatId) as { paused: number } | undefined;
        if (def?.paused) return null;
        const { id } = tx.insert(fire.job);
        s.slotSet.run(queue, fire.repeatId, fire.slot);
        if (def) s.repeatableSetNextRun.run(fire.nextRun, queue, fire.repeatId);
        return id;
      }),

    lastFired: async (queue, repeatId) => conn.read(() => lastFired(queue, repeatId)),
  };
}

/** The token bucket of each queue, one row per queue. */
export function sqliteRateLimits(conn: SqliteConnection): RateLimitStore {
  const { s } = conn;
  /** The queue's bucket refilled to `now` (a clock behind its last writer moves no time back), or null: never used, full. */
  const refilled = (queue: string, rate: number, intervalMs: number, now: number) => {
    const bucket = s.bucketGet.get(queue) as { tokens: number; updated_at: number } | undefined;
    if (bucket === undefined) return null;
    const tokens = refillTokens(bucket.tokens, bucket.updated_at, rate, intervalMs, now);
    return { tokens, at: Math.max(now, bucket.updated_at) };
  };
  /** The bucket refilled to `now`, then adjustedTokens, in one transaction. */
  const adjust = (
    queue: string,
    rate: number,
    intervalMs: number,
    now: number,
    add: number,
    ceiling: number,
  ) => {
    if (rate <= 0) return;
    conn.transaction(() => {
      const { tokens, at } = refilled(queue, rate, intervalMs, now) ?? { tokens: rate, at: now };
      s.bucketSet.run(queue, adjustedTokens(tokens, rate, add, ceiling), at);
    });
  };
  return {
    take: async (queue, rate, intervalMs, now) => {
      if (rate <= 0) return intervalMs;
      return conn.transaction(() => {
        const { tokens, at } = refilled(queue, rate, intervalMs, now) ?? { tokens: rate, at: now };
        const took = tokens >= 1 - 1e-9;
        s.bucketSet.run(queue, took ? Math.max(0, tokens - 1) : tokens, at);
        return took ? 0 : rateWaitMs(tokens, rate, intervalMs);
      });
    },
    refund: async (queue, n, rate, intervalMs, now) => adjust(queue, rate, intervalMs, now, n, rate),
    hold: async (queue, ms, rate, intervalMs, now) =>
      adjust(queue, rate, intervalMs, now, 0, holdCeiling(ms, rate, intervalMs)),
  };
}

/** Live workers, each a JSON row that expires without heartbeat. */
export function sqliteWorkers(conn: SqliteConnection): WorkerRegistry {
  const { s } = conn;
  return {
    heartbeat: async (info, ttlMs) => {
      conn.read(() => {
        s.workerUpsert.run(info.id, JSON.stringify(info), info.heartbeatAt + ttlMs);
        // Registrations of workers that died long ago go; recent ones stay visible to list(now).
        s.workerPrune.run(info.heartbeatAt - Math.max(ttlMs, 60_000));
      });
    },
    remove: async (id) => {
      conn.read(() => s.workerDelete.run(id));
    },
    list: async (now) =>
      conn.read(() => (s.workerList.pluck().all(now) as string[]).map((i) => JSON.parse(i))),
  };
}

/** Leader leases, one row per scope; each call is one write transaction. */
export function sqliteLeaders(conn: SqliteConnection): LeaderStore {
  const { s } = conn;
  return {
    tryLead: async (scopes, holder, ttlMs, now) =>
      conn.transaction(() => scopes.filter((scope) => s.leaderTake.get(scope, holder, now + ttlMs, now))),
    resign: async (scopes, holder) => {
      conn.transaction(() => {
        for (const scope of scopes) s.leaderResign.run(scope, holder);
      });
    },
  };
}
