/** The `jobs` table's row shapes as the Postgres statements take and return them. */
import type { ClaimedJob, JobState } from "../../job.js";
import { type NewJobRow, type SqlJobRow, toRecord } from "../shared/sql-rows.js";

/** A row of `jobs` as Postgres returns it (`has_dependants` a boolean). */
export type JobRow = SqlJobRow<boolean>;

/** The columns claim.sql returns of a claimed job: a record's but those the claim set from its inputs. */
export type ClaimedRow = Pick<
  JobRow,
  | "seq"
  | "id"
  | "task"
  | "data"
  | "priority"
  | "fifo"
  | "attempts"
  | "max_retries"
  | "stalled_count"
  | "stall_charge"
  | "created_at"
  | "run_at"
  | "finished_at"
  | "ttl"
  | "timeout"
  | "backoff"
  | "progress"
  | "result"
  | "error"
  | "depends_on"
  | "on_parent_failure"
  | "remove_on_complete"
  | "remove_on_fail"
  | "inherit"
  | "trace_context"
>;

/** What a claim set on each job it took, from its inputs (claim.sql). */
export interface ClaimLease {
  queue: string;
  startedAt: number;
  workerId: string;
  leaseExpiresAt: number;
  /** The token base: a job's token is the base followed by its seq. */
  tokenBase: string;
}

/** The record a claim hands out: the row as the claim left it, plus its token. */
export function toClaimed(row: ClaimedRow, lease: ClaimLease): ClaimedJob {
  // The row object itself completed: toRecord reads these fields and the returned ones, no other.
  const full = row as JobRow;
  full.queue = lease.queue;
  full.state = "active";
  full.started_at = lease.startedAt;
  full.worker_id = lease.workerId;
  full.lease_expires_at = lease.leaseExpiresAt;
  const job = toRecord(full) as ClaimedJob;
  job.token = lease.tokenBase + row.seq;
  return job;
}

/** What removing a job needs to know about it. */
export interface Removable {
  seq: number;
  id: string;
  state: JobState;
  has_dependants: boolean;
}

/**
 * The columns the one-statement inserts (enqueuePlain, enqueueWithIds, fire) take for a job without
 * custom id, dedup or parents, in their parameters' order; they derive state and id themselves.
 */
export const PLAIN_COLUMNS = [
  "task",
  "data",
  "priority",
  "max_retries",
  "created_at",
  "run_at",
  "ttl",
  "timeout",
  "backoff",
  "on_parent_failure",
  "remove_on_complete",
  "remove_on_fail",
  "inherit",
] as const satisfies ReadonlyArray<keyof NewJobRow>;
