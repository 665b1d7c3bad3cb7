/**
 * The contract an engine (memory, SQLite, Redis, Postgres) implements. An engine only makes
 * transitions atomic and reports what they did; it never calls a listener. `EngineBackend`
 * (engine-backend.ts) wraps it into a `Backend` and hands every reported effect to the one
 * deliverer (delivery.ts).
 *
 * Three parts, as in Oban's Engine / Notifier / Peer split:
 * - `JobStore`: the job transitions. Each transition that changes something RETURNS its effects
 *   (events, wake-ups) beside its value.
 * - `Notifier`: the transport that carries other processes' effects here (SQLite: WAL watch and an
 *   events table; Postgres: LISTEN/NOTIFY; Redis: pub/sub; memory: none, one process). The WRITE
 *   side of that transport is part of each transition (a NOTIFY, a row or a PUBLISH inside the same
 *   transaction or script), so a message never announces an uncommitted change and costs no extra
 *   round trip; the notifier is the read side.
 * - Optional stores (repeatables, rate limits, workers): present or absent, and reported so.
 */
import type { ClaimedJob, JobRecord, JobState } from "../job.js";
import type {
  ClaimOptions,
  EnqueueResult,
  Finish,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableFire,
  RepeatableStore,
  WakeReason,
  WorkerRegistry,
} from "./backend.js";

/** What a transition did that others must hear of, once it is durable. */
export interface Effects {
  /** Its events in order; built only when `EngineContext.wantsEvents` (or another process) asked. */
  events?: readonly QueueEvent[];
  /** The wake-up reasons it raised, each once. */
  wakes?: readonly WakeReason[];
}

/** A transition's value and what it did. */
export interface Applied<T> {
  value: T;
  effects?: Effects;
}

/** What the delivery layer gives an engine. */
export interface EngineContext {
  /** Whether a transition on `queue` must build its events for this process's listeners. */
  wantsEvents(queue: string): boolean;
  /**
   * Hands effects published by ANOTHER process to this process's `onWake` / `subscribe` listeners
   * (never to the process-wide `events` emitter, which carries this process's transitions only).
   * Called by the notifier.
   */
  received(queue: string, effects: Effects): void;
}

/** The job transitions. Same meaning as the `Backend` methods of the same name. */
export interface JobStore {
  enqueue(queue: string, jobs: NewJob[]): Promise<Applied<EnqueueResult[]>>;
  claim(queue: string, options: ClaimOptions): Promise<Applied<ClaimedJob[]>>;
  finish(queue: string, items: Finish[], now: number): Promise<Applied<boolean[]>>;
  extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]>;
  updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<Applied<boolean>>;
  addLog(queue: string, jobId: string, message: string): Promise<void>;
  getLogs(queue: string, jobId: string): Promise<string[]>;

  promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<Applied<{ promoted: number; nextDueAt: number | null }>>;
  recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<Applied<{ stalled: string[]; failed: string[] }>>;
  removeExpiredFinished(queue: string, now: number, limit: number): Promise<number>;
  expireDue(queue: string, now: number, limit: number): Promise<Applied<number>>;

  getJob(queue: string, jobId: string): Promise<JobRecord | null>;
  getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]>;
  getJobCounts(queue: string): Promise<Record<JobState, number>>;
  cancelJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>>;
  retryJob(queue: string, jobId: string): Promise<Applied<boolean>>;
  removeJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>>;
  drain(queue: string, includeDelayed: boolean, now: number): Promise<Applied<number>>;
  clean(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
    now: number,
  ): Promise<Applied<string[]>>;
  obliterate(queue: string, force: boolean): Promise<void>;
  setPaused(queue: string, paused: boolean): Promise<Applied<void>>;
  isPaused(queue: string): Promise<boolean>;
  listQueues(): Promise<string[]>;
}

/** The repeatable store of an engine: `fire` enqueues, so it reports its effects. */
export interface EngineRepeatables extends Omit<RepeatableStore, "fire"> {
  fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>>;
}

/** The read side of an engine's cross-process transport (see the file header). */
export interface Notifier {
  /**
   * Starts carrying other processes' `kind` messages of `queue` to `EngineContext.received`, until
   * the returned function is called. Called once per queue and kind, when its first local listener
   * arrives (and stopped when its last one leaves).
   */
  listen(queue: string, kind: "wake" | "events"): () => void;
  /** Stops every subscription and releases the transport. */
  close(): Promise<void>;
}

/** A notifier for an engine that only one process can use. */
export const NO_NOTIFIER: Notifier = {
  listen: () => () => {},
  close: async () => {},
};

export interface Engine {
  /** Data survives a restart of the process. */
  readonly durable: boolean;
  /** Several processes can share it (the notifier carries their messages). */
  readonly multiProcess: boolean;
  readonly jobs: JobStore;
  readonly notifier: Notifier;
  readonly repeatables?: EngineRepeatables;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;
  /** Releases connections, timers and files (after the notifier closed). Idempotent. */
  close(): Promise<void>;
}
