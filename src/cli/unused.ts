/**
 * `job enqueue` to a queue or task nothing has used yet: most often a typo, which would otherwise
 * create a queue (or park a job no worker runs) without a word. One warning, naming the closest
 * known name; the job is enqueued all the same, since a first job is also how a queue begins.
 */
import type { Backend } from "../backends/backend.js";
import { closest } from "../closest.js";
import { queueOf } from "./lookup.js";
import { warn } from "./output.js";

/** How many of the queue's newest jobs show which tasks it runs. */
const RECENT = 200;

/**
 * Looks before the enqueue (which makes the queue known) and returns the warning to print once the
 * job is enqueued, so a refused job never reads "enqueued anyway". Null when nothing is unusual.
 */
export async function unusedWarning(
  backend: Backend,
  queue: string,
  task: string,
): Promise<(() => void) | null> {
  const [queues, workers] = await Promise.all([backend.listQueues(), backend.workers?.list(Date.now())]);
  const known = [...new Set([...queues, ...(workers ?? []).flatMap((w) => w.queues)])];
  if (!known.includes(queue)) {
    return () =>
      warn(
        `queue "${queue}" is new: no job, repeatable or worker has used it on this backend${meant(queue, known, "queues")}; enqueued anyway`,
      );
  }
  const jobs = await queueOf(backend, queue).getJobs([], { start: 0, end: RECENT - 1 });
  const tasks = [...new Set(jobs.map((j) => j.task))];
  if (tasks.length > 0 && !tasks.includes(task)) {
    return () =>
      warn(
        `no job of task "${task}" is in queue "${queue}" yet${meant(task, tasks, "its tasks")}; enqueued anyway (a worker needs a task of that name)`,
      );
  }
  return null;
}

/** `; did you mean "x"?`, else the names known, else nothing. */
function meant(name: string, known: string[], what: string): string {
  const close = closest(name, known);
  if (close !== undefined) return `; did you mean "${close}"?`;
  if (known.length === 0) return "";
  const shown = known.slice(0, 10).map((k) => `"${k}"`);
  return ` (${what}: ${shown.join(", ")}${known.length > 10 ? ", …" : ""})`;
}
