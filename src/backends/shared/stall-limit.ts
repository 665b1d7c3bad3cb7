/** The error of a job failed because its lease expired more often than maxStalledCount allows. */
import type { JobError } from "../backend.js";

/**
 * The JobStalledError of job `jobId`, stalled `count` times against `maxStalledCount` (the SQL
 * engines' wording; memory and Redis word it their own way).
 */
export function stallLimitError(jobId: string, count: number, maxStalledCount: number): JobError {
  return {
    name: "JobStalledError",
    message: `job ${jobId} stalled ${count} time(s), more than maxStalledCount (${maxStalledCount}): its worker stopped renewing the lease`,
  };
}
