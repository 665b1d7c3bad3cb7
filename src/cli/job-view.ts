/**
 * How the CLI shows a job: with the options it really runs with. A job enqueued by name from a
 * process that did not load its task stores a placeholder `maxRetries` (0) and leaves its retries,
 * backoff, ttl and timeout to the worker's task (the internal `inherit` list). Here they are filled
 * from the task when this process knows it (`--tasks`), and otherwise said to be the task's; the
 * placeholder and the `inherit` list are never shown.
 */
import type { InheritableOption, JobRecord } from "../job.js";
import { withInherited } from "../job-options.js";
import { getTask } from "../task.js";

/** A job as `job list --json` and `job inspect --json` print it. */
export interface JobView extends Omit<JobRecord, "maxRetries" | "inherit"> {
  /** The retries it gets; null when they are its task's and this process does not know the task. */
  maxRetries: number | null;
}

export interface ShownJob {
  view: JobView;
  /** Options that are the task's in the worker and unknown here (empty when all are known). */
  fromTask: InheritableOption[];
}

export function showJob(job: JobRecord): ShownJob {
  const { inherit, ...own } = job;
  if (!inherit?.length) return { view: own, fromTask: [] };
  const task = getTask(job.task);
  if (task) {
    const eff = withInherited(job, task.options);
    const view: JobView = { ...own, maxRetries: eff.maxRetries };
    if (eff.backoff !== undefined) view.backoff = eff.backoff;
    if (eff.ttl !== undefined) view.ttl = eff.ttl;
    if (eff.timeout !== undefined) view.timeout = eff.timeout;
    return { view, fromTask: [] };
  }
  const view: JobView = { ...own, maxRetries: inherit.includes("retries") ? null : own.maxRetries };
  return { view, fromTask: [...inherit] };
}

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
