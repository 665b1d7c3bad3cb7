/** The events and wake-ups of a transaction's enqueue: a new job free to run, or a duplicate. */
import type { JobEventName, JobEventPayload } from "../../events.js";
import type { JobState } from "../../job.js";
import type { EnqueueResult, WakeReason } from "../backend.js";

/** What a transaction collects for after its commit: events and wake-up reasons. */
export interface TxSignals {
  emit(name: JobEventName, payload: JobEventPayload): void;
  wake(reason: WakeReason): void;
}

/** A new job `id` that waits on nothing: `job:delayed` and a delayed wake-up, else `job:waiting` and a job wake-up. */
export function announceFree(
  tx: TxSignals,
  queue: string,
  id: string,
  task: string,
  delayed: boolean,
  runAt: number | undefined,
): void {
  if (delayed) {
    tx.emit("job:delayed", { queue, jobId: id, task, runAt });
    tx.wake("delayed");
  } else {
    tx.emit("job:waiting", { queue, jobId: id, task });
    tx.wake("job");
  }
}

/** An enqueue that found existing job `id` (in `state`): `job:duplicated`, and its result. */
export function duplicateResult(
  tx: TxSignals,
  queue: string,
  id: string,
  state: JobState,
  task: string,
): EnqueueResult {
  tx.emit("job:duplicated", { queue, jobId: id, task });
  return { id, state, duplicate: true };
}
