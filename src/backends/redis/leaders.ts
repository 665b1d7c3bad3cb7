/** The Redis engine's leader leases: one hash, "<G>leaders" scope -> "<expiresAt>|<holder>", changed by scripts. */
import type { LeaderStore } from "../backend.js";
import type { RedisConnection } from "./connection.js";

export class RedisLeaders implements LeaderStore {
  constructor(private readonly io: RedisConnection) {}

  async tryLead(scopes: string[], holder: string, ttlMs: number, now: number): Promise<string[]> {
    return this.io.runGlobal<string[]>("try-lead", this.#keys(), [holder, now + ttlMs, now, ...scopes]);
  }

  async resign(scopes: string[], holder: string): Promise<void> {
    await this.io.runGlobal("resign-leader", this.#keys(), [holder, ...scopes]);
  }

  /** "<G>leaders", twice: a global script takes two keys (one slot: the global prefix carries its own hash tag on a cluster). */
  #keys(): [string, string] {
    const key = `${this.io.global}leaders`;
    return [key, key];
  }
}
