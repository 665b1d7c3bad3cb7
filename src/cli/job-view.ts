/** How the CLI words a job's attempts (the job itself comes from `showJob` in src/job-view.ts). */
import type { JobView } from "../job-view.js";

/** The ATTEMPTS cell of `job list`: `2/3` (attempts of at most), `2/?` when the limit is the task's. */
export function attemptsCell(v: JobView): string {
  return `${v.attempts}/${v.maxRetries === null ? "?" : v.maxRetries + 1}`;
}

/** The footnote `job list` prints under a table with a `?` in it. */
export const UNKNOWN_LIMIT_NOTE =
  "?: at most 1 + the retries of the job's task in the worker (enqueued by name); pass --tasks <module> to show them";

/** The attempts line of `job inspect`. */
export function attemptsText(v: JobView): string {
  return v.maxRetries === null
    ? `${v.attempts} (at most 1 + the retries of task "${v.task}" in the worker; pass --tasks <module> to show them)`
    : `${v.attempts} of at most ${v.maxRetries + 1}`;
}
