import { BackendError } from "../../errors.js";
import type { FiredRecord, RepeatableInfoRecord, WorkerInfo } from "../backend.js";
import type { Effects, EngineContext } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { zeroCounts } from "../shared/rules.js";
import { ActiveList } from "./active-list.js";
import type { MemoryMetricRows } from "./metric-store.js";
import { MinHeap } from "./min-heap.js";
import { Fifo, PriorityFifo } from "./priority-fifo.js";
import type { StoredJob } from "./stored-job.js";

/** A heap entry pointing at a job; `seq` is the job's `stateSeq` when pushed (or a tiebreak). */
export interface JobEntry {
  at: number;
  seq: number;
  job: StoredJob;
}

/** Finished states whose retention a `{ count }` spec can trim. */
export type RetainedState = "completed" | "failed" | "expired";

/** True while an index entry pushed with `seq` still describes the job (lazy deletion). */
export function isCurrent(job: StoredJob, seq: number): boolean {
  return !job.removed && job.stateSeq === seq;
}

export function isCurrentEntry(entry: JobEntry): boolean {
  return isCurrent(entry.job, entry.seq);
}

/** Everything the memory engine stores for one queue, with the indexes that keep the hot path O(log n). */
export class QueueState {
  readonly jobs = new Map<string, StoredJob>();
  readonly counts = zeroCounts();
  nextId = 1;
  /** Source of `stateSeq` values; increasing, so it also orders FIFO. */
  seq = 0;
  paused = false;
  /** The most jobs active at once across all workers (`setGlobalConcurrency`); null: no limit. */
  globalConcurrency: number | null = null;
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
  readonly active = new ActiveList();
  readonly dedup = new Map<string, { jobId: string; addedAt: number }>();
  readonly repeatables = new Map<string, RepeatableInfoRecord>();
  /** The last slot fired and the slots fired so far, per repeat id. */
  readonly fired = new Map<string, FiredRecord>();
  rateBucket: { tokens: number; at: number } | undefined = undefined;
  /** Metric minute rows and totals (metric-store.ts); they do not make the queue listed. */
  metrics: MemoryMetricRows | undefined = undefined;

  /** `all`: every queue of the engine, by name (a dependency may be a job of another queue). */
  constructor(
    readonly name: string,
    readonly all: ReadonlyMap<string, QueueState>,
  ) {}

  /** Whether `listQueues` reports this queue. */
  get listed(): boolean {
    return this.jobs.size > 0 || this.repeatables.size > 0 || this.paused;
  }
}

/**
 * The collector of one memory transition. On a queue with a global concurrency, a transition that
 * leaves fewer jobs active than it found (a finish, a stall, a cancel, a removal) opened a slot:
 * `take` then wakes "job", so that workers waiting for room claim again at once.
 */
class MemoryEffects extends EffectsCollector {
  #queue: QueueState | undefined;
  #active = 0;

  start(q: QueueState | undefined, wantEvents: boolean): this {
    this.#queue = q;
    this.#active = q?.counts.active ?? 0;
    return this.reset(wantEvents);
  }

  override take(): Effects | undefined {
    const q = this.#queue;
    this.#queue = undefined;
    if (q !== undefined && q.globalConcurrency !== null && q.counts.active < this.#active) this.wake("job");
    return super.take();
  }
}

/**
 * All the data of one memory engine, shared by its job store and its optional stores. Every call
 * goes through `find` / `ensure` (or `open`), which refuse once the engine is closed.
 */
export class MemoryData {
  readonly queues = new Map<string, QueueState>();
  readonly workers = new Map<string, { info: WorkerInfo; ttlMs: number }>();
  /** Leader leases by scope. */
  readonly leaders = new Map<string, { holder: string; expiresAt: number }>();
  /** Transitions run synchronously from `begin` to `take`, so two never overlap: one is enough. */
  readonly #effects = new MemoryEffects();
  readonly #wantsEvents = (queue: string) => this.ctx.wantsEvents(queue);
  #closed = false;

  constructor(private readonly ctx: EngineContext) {}

  /** Starts a transition on `queue`: its effects, with events only when this process listens. */
  begin(queue: string): EffectsCollector {
    const tx = this.#effects.start(this.queues.get(queue), this.ctx.wantsEvents(queue));
    tx.wantsEventsOf = this.#wantsEvents;
    return tx;
  }

  /** Throws BackendError once closed. */
  open(): void {
    if (this.#closed) {
      throw new BackendError(
        "this InMemoryBackend is closed; create a new backend instead of reusing a closed one",
      );
    }
  }

  /** The queue's state, or undefined while it has none. */
  find(name: string): QueueState | undefined {
    this.open();
    return this.queues.get(name);
  }

  /** The queue's state, created on first use. */
  ensure(name: string): QueueState {
    this.open();
    let q = this.queues.get(name);
    if (q === undefined) {
      q = new QueueState(name, this.queues);
      this.queues.set(name, q);
    }
    return q;
  }

  close(): void {
    this.#closed = true;
    this.queues.clear();
    this.workers.clear();
    this.leaders.clear();
  }
}
