/**
 * A job with the options it really runs with. A job enqueued by name from a process that did not
 * load its task stores a placeholder `maxRetries` (0) and leaves its retries, backoff, ttl and
 * timeout to the worker's task (the internal `inherit` list). `showJob` fills them from the task when
 * this process knows it, and otherwise marks them as the task's; the placeholder and the `inherit`
 * list are never shown. Used by the CLI and the dashboard.
 */
import type { InheritableOption, JobRecord } from "./job.js";
import { withInherited } from "./job-options.js";
import { getTask } from "./task.js";

/** A job as the CLI (`job list --json`, `job inspect --json`) and the dashboard show it. */
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
