import type { BackoffSpec, InheritableOption, JobRecord, JobState, RetentionSpec } from "../../job.js";
import type { NewJob } from "../backend.js";

/**
 * A job as the memory backend holds it. Every field is initialised in the constructor so all
 * instances share one shape (fast property access); payload and result stay JSON text and are
 * parsed only when a record is handed out.
 */
export class StoredJob {
  state: JobState = "waiting";
  attempts = 0;
  stalledCount = 0;
  runAt: number | undefined = undefined;
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

  readonly task: string;
  readonly dataJson: string;
  readonly priority: number;
  readonly maxRetries: number;
  readonly backoff: BackoffSpec | undefined;
  readonly ttl: number | undefined;
  readonly timeout: number | undefined;
  readonly createdAt: number;
  readonly dependsOn: string[] | undefined;
  readonly onParentFailure: "fail" | "ignore" | undefined;
  readonly removeOnComplete: RetentionSpec | undefined;
  readonly removeOnFail: RetentionSpec | undefined;
  readonly inherit: InheritableOption[] | undefined;

  constructor(
    readonly id: string,
    readonly queue: string,
    job: NewJob,
  ) {
    this.task = job.task;
    this.dataJson = job.dataJson;
    this.priority = job.priority;
    this.maxRetries = job.maxRetries;
    this.backoff = job.backoff;
    this.ttl = job.ttl;
    this.timeout = job.timeout;
    this.createdAt = job.createdAt;
    this.runAt = job.runAt;
    this.dependsOn = job.dependsOn ? [...job.dependsOn] : undefined;
    this.onParentFailure = job.onParentFailure;
    this.removeOnComplete = job.removeOnComplete;
    this.removeOnFail = job.removeOnFail;
    this.inherit = job.inherit ? [...job.inherit] : undefined;
  }

  /** A fresh copy as the contract returns it: optional fields absent when unset. */
  toRecord(): JobRecord {
    const r: JobRecord = {
      id: this.id,
      queue: this.queue,
      task: this.task,
      data: JSON.parse(this.dataJson),
      state: this.state,
      priority: this.priority,
      attempts: this.attempts,
      maxRetries: this.maxRetries,
      createdAt: this.createdAt,
      stalledCount: this.stalledCount,
    };
    if (this.backoff !== undefined) r.backoff = clone(this.backoff);
    if (this.ttl !== undefined) r.ttl = this.ttl;
    if (this.timeout !== undefined) r.timeout = this.timeout;
    if (this.runAt !== undefined) r.runAt = this.runAt;
    if (this.startedAt !== undefined) r.startedAt = this.startedAt;
    if (this.finishedAt !== undefined) r.finishedAt = this.finishedAt;
    if (this.progress !== undefined) r.progress = clone(this.progress);
    if (this.resultJson !== undefined) r.result = JSON.parse(this.resultJson);
    if (this.error !== undefined) r.error = { ...this.error };
    if (this.dependsOn !== undefined) r.dependsOn = [...this.dependsOn];
    if (this.onParentFailure !== undefined) r.onParentFailure = this.onParentFailure;
    if (this.removeOnComplete !== undefined) r.removeOnComplete = clone(this.removeOnComplete);
    if (this.removeOnFail !== undefined) r.removeOnFail = clone(this.removeOnFail);
    if (this.inherit !== undefined) r.inherit = [...this.inherit];
    if (this.workerId !== undefined) r.workerId = this.workerId;
    if (this.leaseExpiresAt !== undefined) r.leaseExpiresAt = this.leaseExpiresAt;
    return r;
  }
}

/** Copies JSON-ready data; primitives are returned as they are. */
export function clone<T>(value: T): T {
  return typeof value === "object" && value !== null ? structuredClone(value) : value;
}
