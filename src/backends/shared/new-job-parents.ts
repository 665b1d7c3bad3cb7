/** Where a new job with parents (`dependsOn`) starts: failed by a dead parent, waiting on live ones, or free. */
import { ValidationError } from "../../errors.js";
import type { JobState } from "../../job.js";

/** Parent states that never complete. */
const DEAD = new Set<JobState>(["failed", "expired", "cancelled"]);

/** A new job's parents, sorted. */
export interface SortedParents<Row> {
  /** The parents it waits on (unfinished), or undefined when none. */
  pending: Row[] | undefined;
  /** The first dead parent, when the job fails with its parents (`onParentFailure` "fail"). */
  failedParent: Row | undefined;
}

/**
 * Sorts the (deduplicated) `dependsOn` ids of a new job in `queue` by their rows (`parentOf`);
 * completed parents drop out. A missing parent is a ValidationError.
 */
export function sortParents<Row extends { id: string; state: JobState }>(
  queue: string,
  dependsOn: readonly string[],
  onParentFailure: "fail" | "ignore" | undefined,
  parentOf: (id: string) => Row | undefined,
): SortedParents<Row> {
  let pending: Row[] | undefined;
  let failedParent: Row | undefined;
  for (const parentId of dependsOn) {
    const parent = parentOf(parentId);
    if (!parent) {
      throw new ValidationError(
        `dependsOn: job "${parentId}" does not exist in queue "${queue}"; add the parent jobs first`,
      );
    }
    if (parent.state === "completed") continue;
    if (DEAD.has(parent.state)) {
      if ((onParentFailure ?? "fail") === "fail") failedParent ??= parent;
      continue;
    }
    if (pending) pending.push(parent);
    else pending = [parent];
  }
  return { pending, failedParent };
}

/** The state a new job starts in, given its sorted parents and its `runAt`. */
export function initialState(
  parents: SortedParents<unknown>,
  runAt: number | undefined,
  createdAt: number,
): JobState {
  if (parents.failedParent) return "failed";
  if (parents.pending) return "waiting-children";
  return runAt !== undefined && runAt > createdAt ? "delayed" : "waiting";
}
