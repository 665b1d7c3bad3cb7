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

/** The parameters of `jobInsert`, in its order: the one place a new row meets that statement. */
export function insertValues(r: NewJobRow): unknown[] {
  return [
    r.queue,
    r.id,
    r.task,
    r.data,
    r.state,
    r.priority,
    r.max_retries,
    r.created_at,
    r.run_at,
    r.ttl,
    r.timeout,
    r.backoff,
    r.depends_on,
    r.pending_parents,
    r.on_parent_failure,
    r.remove_on_complete,
    r.remove_on_fail,
    r.inherit,
    r.dedup_key,
    r.error,
    r.finished_at,
  ];
}
