/**
 * The long queue operations of the CLI (drain, clean, obliterate, retry, promote) done in
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

/** A finished state, as Queue.retryJobs takes it. */
export type RetryableState = "completed" | "failed" | "expired" | "cancelled";

/**
 * Puts the queue's jobs in the finished `states` back to waiting (Queue.retryJobs), a batch of each
 * state at a time, at most `limit` in all, counting them; returns how many.
 */
export function retryInBatches(
  q: Queue,
  states: RetryableState[],
  counting: Counting,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  const steps = states.map((state) => (want: number) => q.retryJobs({ state, limit: want }));
  return countInBatches(steps, counting, limit);
}

/** Moves up to `limit` of the queue's delayed jobs to waiting now (Queue.promoteJobs), counting them; returns how many. */
export function promoteInBatches(q: Queue, counting: Counting, limit: number): Promise<number> {
  return countInBatches([(want) => q.promoteJobs({ limit: want })], counting, limit);
}

/**
 * Runs each step with batches of at most BATCH until it moves fewer than asked, at most `limit`
 * jobs in all (so jobs that come back to a state meanwhile are not moved forever); returns how many.
 */
async function countInBatches(
  steps: Array<(want: number) => Promise<number>>,
  counting: Counting,
  limit: number,
): Promise<number> {
  let moved = 0;
  counting.progress.count(counting.what, 0, counting.total);
  for (const step of steps) {
    for (;;) {
      const want = Math.min(BATCH, limit - moved);
      if (want <= 0) return moved;
      const got = await step(want);
      moved += got;
      counting.progress.count(counting.what, Math.min(moved, counting.total), counting.total);
      if (got < want) break;
    }
  }
  return moved;
}
