/** How a dependant learns that one of its parents will never complete. */
import type { JobState } from "../../job.js";
import type { JobError } from "../backend.js";

/** The error of a child failed by its parent `parentId`, which ended in `parentState` (or was removed unfinished). */
export function parentFailedError(parentId: string, parentState: JobState | "removed"): JobError {
  return { name: "ParentFailedError", message: `parent job ${parentId} ${parentState}` };
}
