/** The `jobs` table's row shape and its conversion to the contract's records. */
import type { ClaimedJob } from "../../job.js";
import { type SqlJobRow, toRecord } from "../shared/sql-job-row.js";

/** A row of `jobs` as Postgres returns it (`has_dependants` a boolean). */
export type JobRow = SqlJobRow<boolean>;

/** The record a claim hands out: the row as the claim left it, plus its token. */
export function toClaimed(row: JobRow): ClaimedJob {
  const job = toRecord(row) as ClaimedJob;
  job.token = row.token as string;
  return job;
}
