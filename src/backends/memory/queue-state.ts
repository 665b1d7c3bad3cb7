import { JOB_STATES, type JobState } from "../../job.js";
import type { QueueEvent, RepeatableInfoRecord, WakeReason } from "../backend.js";
import { MinHeap } from "./min-heap.js";
import { Fifo, PriorityFifo } from "./priority-fifo.js";
import type { StoredJob } from "./stored-job.js";

/** A heap entry pointing at a job; `seq` is the job's `stateSeq` when pushed (or a tiebreak). */
export interface JobEntry {
  at: number;
  seq: number;
  job: StoredJob;
}

/** Listeners of one queue. Kept apart from the data so that `obliterate` leaves them in place. */
export interface Channel {
  wake: Set<(reason: WakeReason) => void>;
  subs: Set<(event: QueueEvent) => void>;
  /** Wake reasons collected during the current transition, delivered when it ends (bit mask). */
  pendingWake: number;
}

/** Finished states whose retention a `{ count }` spec can trim. */
export type RetainedState = "completed" | "failed" | "expired";

/** True while an index entry pushed with `seq` still describes the job (lazy deletion). */
export function isCurrent(job: StoredJob, seq: number): boolean {
  return !job.removed && job.stateSeq === seq;
}

/** Everything the memory backend stores for one queue, with the indexes that keep the hot path O(log n). */
export class QueueState {
  readonly jobs = new Map<string, StoredJob>();
  readonly counts = zeroCounts();
  nextId = 1;
  /** Source of `stateSeq` values; increasing, so it also orders FIFO. */
  seq = 0;
  paused = false;
  /** `waiting` jobs by priority then FIFO. */
  readonly waiting = new PriorityFifo<StoredJob>(isCurrent);
  /** `delayed` jobs by `runAt`. */
  readonly delayed = new MinHeap<JobEntry>();
  /** Unstarted jobs with a ttl, by `createdAt + ttl`. */
  readonly ttl = new MinHeap<JobEntry>();
  /** Finished jobs with `{ age }` retention, by removal time. */
  readonly retention = new MinHeap<JobEntry>();
  /** Finished jobs per state in finishing order, for `{ count }` retention. */
  readonly finished: Record<RetainedState, Fifo<StoredJob>> = {
    completed: new Fifo(),
    failed: new Fifo(),
    expired: new Fifo(),
  };
  /** `active` jobs: few (bounded by worker concurrency), scanned by recoverStalled. */
  readonly active = new Set<StoredJob>();
  readonly dedup = new Map<string, { jobId: string; addedAt: number }>();
  readonly repeatables = new Map<string, RepeatableInfoRecord>();
  readonly lastSlots = new Map<string, number>();
  rateBucket: { tokens: number; at: number } | undefined = undefined;

  constructor(
    readonly name: string,
    readonly channel: Channel,
  ) {}

  /** Whether `listQueues` reports this queue. */
  get listed(): boolean {
    return this.jobs.size > 0 || this.repeatables.size > 0 || this.paused;
  }
}

/** A count of 0 for every state. */
export function zeroCounts(): Record<JobState, number> {
  const counts = {} as Record<JobState, number>;
  for (const state of JOB_STATES) counts[state] = 0;
  return counts;
}
