/** The deduplication rule: whether a dedup key still points at a live holder. */
import { FINISHED_STATES, type JobState } from "../../job.js";

const FINISHED = new Set<JobState>(FINISHED_STATES);

/**
 * Whether a job added at `now` with dedup `ttl` is a duplicate of the key's holder, added at
 * `addedAt` and now in `holderState`: within the ttl when one is given, else while the holder is unfinished.
 */
export function dedupHolds(
  ttl: number | undefined,
  addedAt: number,
  holderState: JobState,
  now: number,
): boolean {
  return ttl === undefined ? !FINISHED.has(holderState) : now - addedAt < ttl;
}
