/** The `jobs` table's row shapes as the Postgres statements take and return them. */
import type { ClaimedJob, JobState } from "../../job.js";
import { type NewJobRow, type SqlJobRow, toRecord } from "../shared/sql-rows.js";

/** A row of `jobs` as Postgres returns it (`has_dependants` a boolean). */
export type JobRow = SqlJobRow<boolean>;

/** The record a claim hands out: the row as the claim left it, plus its token. */
export function toClaimed(row: JobRow): ClaimedJob {
  const job = toRecord(row) as ClaimedJob;
  job.token = row.token as string;
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
