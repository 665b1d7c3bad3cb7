import type { JobRecord, JobState } from "../../job.js";
import type { NewJob } from "../backend.js";
import { setDependencies } from "../shared/rules.js";
import type { QueueState } from "./queue-state.js";

/**
 * A job as the memory backend holds it: the enqueued spec plus what changes over its life. Every
 * field is initialised up front so all instances share one shape (fast property access); payload
 * and result stay JSON text and are parsed only when a record is handed out.
 */
export class StoredJob {
  state: JobState = "waiting";
  attempts = 0;
  stalledCount = 0;
  /** Stalls charged (see chargeStall in shared/rules.ts). */
  stallCharge = 0;
  /** How many jobs share a death of its worker (its concurrency, or more found by a sweep); see StallFacts. */
  stallPeers = 0;
  startedAt: number | undefined = undefined;
  finishedAt: number | undefined = undefined;
  progress: number | Record<string, unknown> | undefined = undefined;
  resultJson: string | undefined = undefined;
  error: { name: string; message: string; stack?: string } | undefined = undefined;
  token: string | undefined = undefined;
  workerId: string | undefined = undefined;
  leaseExpiresAt: number | undefined = undefined;

  /**
   * Bumped on every state change. Index entries (waiting buckets, heaps, finished lists) carry
   * the value they were pushed with; an entry whose value no longer matches is stale (lazy deletion).
   */
  stateSeq = 0;
  /** Set once the job is deleted, so index entries that still point at it are skipped. */
  removed = false;
  /** Whether the ttl heap holds an entry for this job (its key never changes, one entry is enough). */
  ttlQueued = false;
  /** Parents not yet finished, while `waiting-children`. */
  pendingParents = 0;
  /** Children waiting on this job; consumed when it finishes. */
  dependants: StoredJob[] | undefined = undefined;
  logs: string[] | undefined = undefined;
  dedupKey: string | undefined = undefined;
  /** Results (JSON) of the completed jobs it depended on, by `"<queue>:<id>"` (getDependencyResults). */
  keptValues: Map<string, string> | undefined = undefined;
  /** Failures of jobs it depended on that it went on after, by `"<queue>:<id>"`. */
  keptFailures: Map<string, string> | undefined = undefined;

  /** Its neighbours in its queue's list of active jobs (active-list.ts), while it is listed there. */
  prevActive: StoredJob | undefined = undefined;
  nextActive: StoredJob | undefined = undefined;

  /** Changes on retry (the retry time); starts as the enqueued `runAt`. */
  runAt: number | undefined;

  /**
   * The job as enqueued, kept by reference rather than copied field by field: callers build a
   * fresh NewJob per job and never touch it afterwards, and not copying keeps each stored job
   * small, which matters for GC at hundreds of thousands of jobs. `amend` replaces it.
   */
  constructor(
    readonly id: string,
    /** The state of its queue (a dependant in another queue is settled there). */
    readonly home: QueueState,
    public spec: NewJob,
  ) {
    this.runAt = spec.runAt;
  }

  get queue(): string {
    return this.home.name;
  }

  get task(): string {
    return this.spec.task;
  }

  /** Changes fields of the spec (updateData, changePriority, moving to waiting-children) on a copy: the caller's object stays as it was. */
  amend(change: Pick<Partial<NewJob>, "dataJson" | "priority" | "dependsOn">): void {
    this.spec = { ...this.spec, ...change };
  }

  /** A fresh copy as the contract returns it: optional fields absent when unset. */
  toRecord(): JobRecord {
    const spec = this.spec;
    const r: JobRecord = {
      id: this.id,
      queue: this.queue,
      task: spec.task,
      data: JSON.parse(spec.dataJson),
      state: this.state,
      priority: spec.priority,
      attempts: this.attempts,
      maxRetries: spec.maxRetries,
      createdAt: spec.createdAt,
      stalledCount: this.stalledCount,
    };
    if (this.stalledCount > 0) r.stallCharge = this.stallCharge;
    if (spec.backoff !== undefined) r.backoff = copyFlat(spec.backoff);
    if (spec.ttl !== undefined) r.ttl = spec.ttl;
    if (spec.timeout !== undefined) r.timeout = spec.timeout;
    if (this.runAt !== undefined) r.runAt = this.runAt;
    if (this.startedAt !== undefined) r.startedAt = this.startedAt;
    if (this.finishedAt !== undefined) r.finishedAt = this.finishedAt;
    if (this.progress !== undefined) r.progress = clone(this.progress);
    if (this.resultJson !== undefined) r.result = JSON.parse(this.resultJson);
    if (this.error !== undefined) r.error = { ...this.error };
    if (spec.dependsOn !== undefined) setDependencies(r, this.queue, spec.dependsOn);
    if (spec.onParentFailure !== undefined) r.onParentFailure = spec.onParentFailure;
    if (spec.removeOnComplete !== undefined) r.removeOnComplete = copyFlat(spec.removeOnComplete);
    if (spec.removeOnFail !== undefined) r.removeOnFail = copyFlat(spec.removeOnFail);
    if (spec.inherit !== undefined) r.inherit = [...spec.inherit];
    if (spec.traceContext !== undefined) r.traceContext = { ...spec.traceContext };
    if (this.workerId !== undefined) r.workerId = this.workerId;
    if (this.leaseExpiresAt !== undefined) r.leaseExpiresAt = this.leaseExpiresAt;
    return r;
  }
}

/** Copies a primitive or a flat object (backoff and retention specs) far cheaper than structuredClone. */
function copyFlat<T>(value: T): T {
  return typeof value === "object" && value !== null ? { ...value } : value;
}

/** Copies JSON-ready data; primitives are returned as they are. */
export function clone<T>(value: T): T {
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}
