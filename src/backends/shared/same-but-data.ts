/**
 * Jobs that differ only in their data: what `addBulk` builds for the jobs of one task added without
 * options (one NewJob shared but for `dataJson`: job-options.ts). A bulk insert sends such jobs'
 * other fields once rather than once a job (Redis enqueue.ts, Postgres enqueue.ts).
 */
import type { NewJob } from "../backend.js";

/** Whether `job` has the very fields of `before` (objects by identity) but for its data. */
export function sameButData(before: NewJob, job: NewJob): boolean {
  const a = before as unknown as Record<string, unknown>;
  const b = job as unknown as Record<string, unknown>;
  let fields = 0;
  for (const key in b) {
    if (key !== "dataJson" && b[key] !== a[key]) return false;
    fields++;
  }
  for (const _ in a) fields--;
  return fields === 0;
}
