/** The Redis engine's leader leases: one hash, "<G>leaders" scope -> "<expiresAt>|<holder>", changed by scripts. */
import type { LeaderStore } from "../backend.js";
import type { RedisConnection } from "./connection.js";

export class RedisLeaders implements LeaderStore {
  constructor(private readonly io: RedisConnection) {}

  async tryLead(scopes: string[], holder: string, ttlMs: number, now: number): Promise<string[]> {
    return this.io.runGlobal<string[]>("try-lead", [holder, now + ttlMs, now, ...scopes]);
  }

  async resign(scopes: string[], holder: string): Promise<void> {
    await this.io.runGlobal("resign-leader", [holder, ...scopes]);
  }
}
