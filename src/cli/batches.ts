/**
 * The long queue operations of the CLI (drain, clean, obliterate, retry of dead letters) done in
 * batches, so that a terminal can show "n of N" while they run instead of a bare spinner.
 */
import type { JobState } from "../job.js";
import type { Queue } from "../queue.js";
import type { ProgressLine } from "./output.js";

/** Jobs per round trip: big enough to be quick, small enough to redraw the count often. */
export const BATCH = 1000;

export interface Counting {
  progress: ProgressLine;
  /** What the line says before the count, e.g. `draining "emails"`. */
  what: string;
  /** The N of "n of N" (counted before the operation starts). */
  total: number;
}

/**
 * Removes the queue's jobs in `states` (not `active`) that are older than `grace` ms, at most
 * `limit`, a batch at a time (Queue.clean), counting them on the progress line; returns their ids.
 */
export async function removeInBatches(
  q: Queue,
  states: JobState[],
  counting: Counting,
  options: { grace?: number; limit?: number } = {},
): Promise<string[]> {
  const ids: string[] = [];
  counting.progress.count(counting.what, 0, counting.total);
  for (const state of states) {
    for (;;) {
      const want = Math.min(BATCH, (options.limit ?? Number.POSITIVE_INFINITY) - ids.length);
      if (want <= 0) return ids;
      const got = await q.clean(state, { grace: options.grace ?? 0, limit: want });
      ids.push(...got);
      counting.progress.count(counting.what, Math.min(ids.length, counting.total), counting.total);
      if (got.length < want) break;
    }
  }
  return ids;
}

/** Puts the queue's jobs in `states` back to waiting (Queue.retryJob), counting them; returns how many. */
export async function retryInBatches(
  q: Queue,
  states: JobState[],
  counting: Counting,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  let retried = 0;
  let skipped = 0; // moved by someone else meanwhile: they stay in the list, so page past them
  counting.progress.count(counting.what, 0, counting.total);
  for (;;) {
    const want = Math.min(BATCH, limit - retried);
    if (want <= 0) break;
    const page = await q.getJobs(states, { start: skipped, end: skipped + want - 1, asc: true });
    for (const job of page) {
      if (await q.retryJob(job.id)) retried++;
      else skipped++;
      counting.progress.count(counting.what, Math.min(retried, counting.total), counting.total);
    }
    if (page.length < want) break;
  }
  return retried;
}
