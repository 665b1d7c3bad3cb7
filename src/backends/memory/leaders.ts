/** The memory engine's leader leases: a map of scope to holder and expiry (one process, so trivially atomic). */
import type { LeaderStore } from "../backend.js";
import type { MemoryData } from "./queue-state.js";

export class MemoryLeaders implements LeaderStore {
  constructor(private readonly data: MemoryData) {}

  async tryLead(scopes: string[], holder: string, ttlMs: number, now: number): Promise<string[]> {
    this.data.open();
    const held: string[] = [];
    for (const scope of scopes) {
      const lease = this.data.leaders.get(scope);
      if (lease === undefined || lease.holder === holder || lease.expiresAt <= now) {
        this.data.leaders.set(scope, { holder, expiresAt: now + ttlMs });
        held.push(scope);
      }
    }
    return held;
  }

  async resign(scopes: string[], holder: string): Promise<void> {
    this.data.open();
    for (const scope of scopes) {
      if (this.data.leaders.get(scope)?.holder === holder) this.data.leaders.delete(scope);
    }
  }
}
