/** The PostgreSQL engine's leader leases: the `leaders` table, one statement per call. */
import type { LeaderStore } from "../backend.js";
import type { Connection } from "./connection.js";

export class PostgresLeaders implements LeaderStore {
  constructor(private readonly db: Connection) {}

  async tryLead(scopes: string[], holder: string, ttlMs: number, now: number): Promise<string[]> {
    if (scopes.length === 0) return [];
    const rows = await this.db.one<{ scope: string }>("leaderTake", [scopes, holder, now + ttlMs, now]);
    return rows.map((r) => r.scope);
  }

  async resign(scopes: string[], holder: string): Promise<void> {
    if (scopes.length === 0) return;
    await this.db.one("leaderResign", [scopes, holder]);
  }
}
