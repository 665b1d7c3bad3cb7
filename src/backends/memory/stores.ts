/** The memory engine's optional stores: repeatables, the queue-wide rate bucket, the worker registry. */
import type {
  FiredRecord,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  WorkerInfo,
  WorkerRegistry,
} from "../backend.js";
import type { Applied, EngineRepeatables } from "../engine.js";
import {
  adjustedTokens,
  copyRepeatable,
  holdCeiling,
  mayFire,
  rateWaitMs,
  refillTokens,
} from "../shared/rules.js";
import { enqueueJobs } from "./enqueue.js";
import type { MemoryData } from "./queue-state.js";

export class MemoryRepeatables implements EngineRepeatables {
  constructor(private readonly data: MemoryData) {}

  async upsert(queue: string, info: RepeatableInfoRecord): Promise<Applied<RepeatableInfoRecord>> {
    const stored = copyRepeatable(info);
    this.data.ensure(queue).repeatables.set(info.id, stored);
    return { value: copyRepeatable(stored), effects: { wakes: ["delayed"] } };
  }

  async list(queue: string): Promise<RepeatableInfoRecord[]> {
    const defs = [...(this.data.find(queue)?.repeatables.values() ?? [])];
    const q = this.data.find(queue);
    return defs
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((d) => ({ ...copyRepeatable(d), runs: q?.fired.get(d.id)?.runs ?? 0 }));
  }

  async remove(queue: string, id: string): Promise<boolean> {
    const q = this.data.find(queue);
    if (q === undefined) return false;
    const slot = q.fired.delete(id);
    return q.repeatables.delete(id) || slot;
  }

  async setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<Applied<boolean>> {
    const def = this.data.find(queue)?.repeatables.get(id);
    if (def === undefined) return { value: false };
    def.paused = paused;
    if (nextRun !== undefined) def.nextRun = nextRun;
    return { value: true, effects: { wakes: ["delayed"] } };
  }

  async fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>> {
    const q = this.data.ensure(queue);
    const last = q.fired.get(fire.repeatId);
    const def = q.repeatables.get(fire.repeatId);
    if (!mayFire(last, fire) || def?.paused) return { value: null };
    const tx = this.data.begin(queue);
    const [result] = enqueueJobs(tx, q, [fire.job]);
    q.fired.set(fire.repeatId, { slot: fire.slot, runs: (last?.runs ?? 0) + 1 });
    if (def !== undefined) def.nextRun = fire.nextRun;
    return { value: result?.id ?? null, effects: tx.take() };
  }

  async lastFired(queue: string, repeatId: string): Promise<FiredRecord | null> {
    const fired = this.data.find(queue)?.fired.get(repeatId);
    return fired === undefined ? null : { ...fired };
  }
}

export class MemoryRateLimits implements RateLimitStore {
  constructor(private readonly data: MemoryData) {}

  async take(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    this.data.open();
    if (rate <= 0) return intervalMs;
    const q = this.data.ensure(queue);
    const bucket = q.rateBucket ?? { tokens: rate, at: now };
    bucket.tokens = refillTokens(bucket.tokens, bucket.at, rate, intervalMs, now);
    bucket.at = Math.max(bucket.at, now);
    q.rateBucket = bucket;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return rateWaitMs(bucket.tokens, rate, intervalMs);
  }

  async refund(queue: string, n: number, rate: number, intervalMs: number, now: number): Promise<void> {
    this.#adjust(queue, rate, intervalMs, now, n, rate);
  }

  async hold(queue: string, ms: number, rate: number, intervalMs: number, now: number): Promise<void> {
    this.#adjust(queue, rate, intervalMs, now, 0, holdCeiling(ms, rate, intervalMs));
  }

  /** The bucket refilled to `now` (a bucket never used is full), then adjustedTokens. */
  #adjust(queue: string, rate: number, intervalMs: number, now: number, add: number, ceiling: number): void {
    this.data.open();
    if (rate <= 0) return;
    const q = this.data.ensure(queue);
    const bucket = q.rateBucket ?? { tokens: rate, at: now };
    const refilled = refillTokens(bucket.tokens, bucket.at, rate, intervalMs, now);
    bucket.tokens = adjustedTokens(refilled, rate, add, ceiling);
    bucket.at = Math.max(bucket.at, now);
    q.rateBucket = bucket;
  }
}

export class MemoryWorkers implements WorkerRegistry {
  constructor(private readonly data: MemoryData) {}

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.data.open();
    this.data.workers.set(info.id, { info: copyWorker(info), ttlMs });
  }

  async remove(id: string): Promise<void> {
    this.data.open();
    this.data.workers.delete(id);
  }

  async list(now: number): Promise<WorkerInfo[]> {
    this.data.open();
    const alive: WorkerInfo[] = [];
    for (const [id, entry] of this.data.workers) {
      if (entry.info.heartbeatAt + entry.ttlMs > now) alive.push(copyWorker(entry.info));
      else this.data.workers.delete(id);
    }
    return alive;
  }
}

function copyWorker(info: WorkerInfo): WorkerInfo {
  return { ...info, queues: [...info.queues] };
}
