/**
 * Attempts this process gave up while their handler ran: cancelled or removed here, their lease lost
 * (cancelled, removed or recovered by another process), or handed back when the shutdown grace
 * ended. No job event says so (the transition was made elsewhere, or is a release), so the worker
 * command's log listens here. Internal: not part of the public API.
 */
import type { AbortCause } from "./active-job.js";

/** One given-up attempt. */
export interface GivenUp {
  queue: string;
  jobId: string;
  task: string;
  cause: Exclude<AbortCause, "timeout">;
  /** Why, in words (the abort reason's message). */
  reason: string;
}

type Listener = (attempt: GivenUp) => void;
const listeners = new Set<Listener>();

/** Calls `listener` for each attempt given up from now on; returns its removal. */
export function onGivenUp(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells the listeners (one that throws is ignored: a log line never breaks the worker). */
export function reportGivenUp(attempt: GivenUp): void {
  for (const listener of listeners) {
    try {
      listener(attempt);
    } catch {
      // a listener's failure is its own
    }
  }
}
