/**
 * Runs a runtime's maintenance loops only while it leads its queue (leader-election.ts), and all
 * of them on a backend without leader leases, as every worker did before there were leaders.
 */
import type { Backend } from "../backends/backend.js";
import { type Candidate, joinElection } from "./leader-election.js";
import type { Scanner } from "./scanners.js";

export interface MaintenanceGate {
  /** `scanner`, run while this runtime leads and stopped when it stops leading, restarted when it leads again. */
  gate(scanner: Scanner): Scanner;
  /** Whether this runtime leads its queue now (always, without leader leases). */
  leading(): boolean;
  /** Leaves the election (resigning the lease when no other runtime of this process wants it). */
  leave(): Promise<void>;
}

export function maintenanceGate(backend: Backend, queue: string, leaseMs: number): MaintenanceGate {
  const candidate = joinElection(backend, queue, leaseMs);
  if (candidate === null) {
    return { gate: (scanner) => scanner, leading: () => true, leave: async () => {} };
  }
  return {
    gate: (scanner) => whileLeading(scanner, candidate),
    leading: () => candidate.leading,
    leave: () => candidate.leave(),
  };
}

function whileLeading(scanner: Scanner, candidate: Candidate): Scanner {
  return async (ctx) => {
    while (!ctx.signal.aborted) {
      const term = await candidate.whenLeading(ctx.signal);
      if (term === null) return;
      await scanner({ ...ctx, signal: term });
      // A scanner that returns within its term (nothing to do on this backend, e.g. repeatables
      // without a repeatable store) runs again only in the next term: restarting it at once would
      // loop on resolved promises and starve the event loop.
      if (!term.aborted)
        await new Promise((resolve) => term.addEventListener("abort", resolve, { once: true }));
    }
  };
}
