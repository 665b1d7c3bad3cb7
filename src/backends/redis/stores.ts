/** The optional stores of the Redis engine: repeatables, the queue-wide rate bucket, the worker registry. */
import type {
  FiredRecord,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  WorkerInfo,
  WorkerRegistry,
} from "../backend.js";
import type { Applied, EngineRepeatables } from "../engine.js";
import { copyRepeatable, externalParents, holdCeiling, missingParentError } from "../shared/rules.js";
import type { RedisConnection } from "./connection.js";
import type { InvalidReply } from "./jobs.js";
import { noteQueue, requireOneSlot } from "./queue-registry.js";
import { type EffectsReply, effectsOf, jobArgs } from "./records.js";

/** Repeatable definitions ("<Q>repeat", "<Q>repeat-meta") and the last slot fired and the runs per repeat id ("<Q>slots"). */
export class RedisRepeatables implements EngineRepeatables {
  constructor(private readonly io: RedisConnection) {}

  async upsert(queue: string, info: RepeatableInfoRecord): Promise<Applied<RepeatableInfoRecord>> {
    const args = [info.id, JSON.stringify(info.def), info.nextRun, info.paused ? 1 : 0];
    const [effects] = await this.io.run<[EffectsReply, number]>(queue, "upsert-repeatable", args);
    await noteQueue(this.io, queue);
    return { value: copyRepeatable(info), effects: effectsOf(effects) };
  }

  async list(queue: string): Promise<RepeatableInfoRecord[]> {
    const q = this.io.keyOf(queue);
    const [defs, metas, slots] = await this.io.call((r) =>
      Promise.all([r.hgetall(`${q}repeat`), r.hgetall(`${q}repeat-meta`), r.hgetall(`${q}slots`)]),
    );
    return Object.keys(defs)
      .sort()
      .map((id) => {
        const [nextRun, paused] = (metas[id] ?? "0|0").split("|");
        const runs = firedRecord(slots[id])?.runs ?? 0;
        const def = JSON.parse(defs[id] as string);
        return { id, def, nextRun: Number(nextRun), paused: paused === "1", runs };
      });
  }

  async remove(queue: string, id: string): Promise<boolean> {
    return (await this.io.run<number>(queue, "remove-repeatable", [id])) === 1;
  }

  async setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<Applied<boolean>> {
    const args = [id, paused ? 1 : 0, nextRun ?? ""];
    const [effects, changed] = await this.io.run<[EffectsReply, number]>(
      queue,
      "set-repeatable-paused",
      args,
    );
    return { value: changed === 1, effects: effectsOf(effects) };
  }

  async fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>> {
    const external = externalParents([fire.job]);
    requireOneSlot(this.io, queue, external);
    const job = JSON.stringify(jobArgs(fire.job));
    const args = [fire.repeatId, fire.slot, fire.nextRun, JSON.stringify(external), job, fire.limit ?? ""];
    const reply = await this.io.run<[EffectsReply, string?] | InvalidReply>(queue, "fire-repeatable", args);
    if (reply[0] === "invalid") throw missingParentError(queue, reply[1] as string);
    if (reply[1] !== undefined) await noteQueue(this.io, queue);
    return { value: reply[1] ?? null, effects: effectsOf(reply[0]) };
  }

  async lastFired(queue: string, repeatId: string): Promise<FiredRecord | null> {
    return firedRecord(await this.io.call((r) => r.hget(`${this.io.keyOf(queue)}slots`, repeatId)));
  }
}

/** A "<Q>slots" value: "<last slot>|<runs>", or a bare "<last slot>" written before runs were kept (0 runs). */
function firedRecord(value: string | null | undefined): FiredRecord | null {
  if (value === null || value === undefined) return null;
  const [slot, runs] = value.split("|");
  return { slot: Number(slot), runs: Number(runs ?? 0) };
}

/** The token bucket "<Q>rate" shared by every worker of a queue. */
export class RedisRateLimits implements RateLimitStore {
  constructor(private readonly io: RedisConnection) {}

  async take(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    this.io.assertOpen();
    if (rate <= 0) return intervalMs;
    return this.io.run<number>(queue, "take-rate-token", [now, rate, intervalMs]);
  }

  async refund(queue: string, n: number, rate: number, intervalMs: number, now: number): Promise<void> {
    this.io.assertOpen();
    if (rate <= 0) return;
    await this.io.run(queue, "adjust-rate-tokens", [now, rate, intervalMs, n, rate]);
  }

  async hold(queue: string, ms: number, rate: number, intervalMs: number, now: number): Promise<void> {
    this.io.assertOpen();
    if (rate <= 0) return;
    await this.io.run(queue, "adjust-rate-tokens", [
      now,
      rate,
      intervalMs,
      0,
      holdCeiling(ms, rate, intervalMs),
    ]);
  }
}

/** Live workers: "<G>workers" id -> info JSON, "<G>worker-expiry" id -> heartbeatAt + ttl. */
export class RedisWorkers implements WorkerRegistry {
  constructor(private readonly io: RedisConnection) {}

  async heartbeat(info: WorkerInfo, ttlMs: number): Promise<void> {
    // Registrations of workers that died long ago go; recent ones stay visible to list(now).
    const forgetBefore = info.heartbeatAt - Math.max(ttlMs, 60_000);
    await this.io.runGlobal("heartbeat-worker", this.#keys(), [
      info.id,
      JSON.stringify(info),
      info.heartbeatAt + ttlMs,
      forgetBefore,
    ]);
  }

  async remove(id: string): Promise<void> {
    const [workers, expiry] = this.#keys();
    await this.io.call((r) => r.multi().hdel(workers, id).zrem(expiry, id).exec());
  }

  /** "<G>workers" and "<G>worker-expiry" (one slot: the global prefix carries its own hash tag on a cluster). */
  #keys(): [string, string] {
    return [`${this.io.global}workers`, `${this.io.global}worker-expiry`];
  }

  async list(now: number): Promise<WorkerInfo[]> {
    const infos = await this.io.runGlobal<Array<string | null>>("list-workers", this.#keys(), [now]);
    return infos.filter((info): info is string => info !== null).map((info) => JSON.parse(info));
  }
}
