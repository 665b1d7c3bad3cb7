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
 * - Optional stores (repeatables, rate limits, workers, metrics, leaders): present or absent, and reported so.
 */
import type { ClaimedJob } from "../job.js";
import type {
  Backend,
  ClaimOptions,
  EnqueueCallOptions,
  EnqueueResult,
  LeaderStore,
  MetricStore,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  RepeatableStore,
  WakeReason,
  WorkerRegistry,
} from "./backend.js";

/** What `JobStore.enqueueAndClaim` did: the enqueue's results, and the jobs claimed after them. */
export interface EnqueueAndClaim {
  results: EnqueueResult[];
  /** Null when no claim was made (the batch too large for one step). */
  claimed: ClaimedJob[] | null;
}

/** What a transition did that others must hear of, once it is durable. */
export interface Effects {
  /** Its events in order; built only when `EngineContext.wantsEvents` (or another process) asked. */
  events?: readonly QueueEvent[];
  /** The wake-up reasons it raised, each once. */
  wakes?: readonly WakeReason[];
  /**
   * What it did to OTHER queues (a dependant in another queue readied or failed), delivered to
   * those queues' listeners as their own effects.
   */
  others?: ReadonlyArray<{ queue: string; effects: Effects }>;
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

/** The transitions that change state, and so report what they did (`Applied`). */
export const REPORTING = [
  "enqueue",
  "claim",
  "finish",
  "updateProgress",
  "promoteDelayed",
  "recoverStalled",
  "expireDue",
  "cancelJob",
  "retryJob",
  "retryJobs",
  "promoteJob",
  "promoteJobs",
  "changeDelay",
  "removeJob",
  "drain",
  "clean",
  "setPaused",
  "setGlobalConcurrency",
  "obliterate",
] as const satisfies ReadonlyArray<keyof Backend>;

/** What the engine answers alone: reads, and writes no listener needs to hear of. */
export const ANSWERING = [
  "extendLeases",
  "addLog",
  "getLogs",
  "removeExpiredFinished",
  "getJob",
  "getJobs",
  "getJobCounts",
  "getDependants",
  "getDependencyResults",
  "updateData",
  "changePriority",
  "isPaused",
  "getGlobalConcurrency",
  "removeDeduplicationKey",
  "getDeduplicationJobId",
  "listQueues",
] as const satisfies ReadonlyArray<keyof Backend>;

/** A `Backend` method, answering `Applied` of its value instead. */
type Reporting<F> = F extends (...args: infer A) => Promise<infer R>
  ? (...args: A) => Promise<Applied<R>>
  : never;

/**
 * The job transitions: the `Backend` methods of the same name, with the same meaning
 * (docs/backend-contract.md); those in `REPORTING` return their effects beside their value.
 */
export type JobStore = { [K in (typeof REPORTING)[number]]: Reporting<Backend[K]> } & Pick<
  Backend,
  (typeof ANSWERING)[number]
> & {
    /** Optional: an engine that can end attempts and claim in one step (see `Backend.finishAndClaim`). */
    finishAndClaim?: Reporting<NonNullable<Backend["finishAndClaim"]>>;
    /**
     * Optional, with `claimsFollowEnqueues`: `enqueue`, then `claim` with `claim` once the jobs are
     * stored, in one step (Redis: one script), for an idle worker of this process
     * (`Backend.offerIdleClaim`). `claimed` is null when the batch is too large for one step: then
     * nothing was claimed.
     */
    enqueueAndClaim?(
      queue: string,
      jobs: NewJob[],
      options: EnqueueCallOptions | undefined,
      claim: ClaimOptions,
    ): Promise<Applied<EnqueueAndClaim>>;
  };

/** The repeatable store of an engine: `fire` enqueues, so it reports its effects. */
export interface EngineRepeatables extends Omit<RepeatableStore, "fire" | "upsert" | "setPaused"> {
  fire(queue: string, fire: RepeatableFire): Promise<Applied<string | null>>;
  /** Wakes "delayed": the queue's repeatable scheduler sleeps until its next slot or such a change. */
  upsert(queue: string, info: RepeatableInfoRecord): Promise<Applied<RepeatableInfoRecord>>;
  /** Wakes "delayed" too (a resumed definition may be due). */
  setPaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<Applied<boolean>>;
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
  /** `onWake` hears every process's wake-ups (see BackendCapabilities.reliableWakeups). */
  readonly reliableWakeups: boolean;
  readonly jobs: JobStore;
  readonly notifier: Notifier;
  readonly repeatables?: EngineRepeatables;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;
  readonly metrics?: MetricStore;
  readonly leaders?: LeaderStore;
  /**
   * True when a claim sent after an enqueue was sent, before its reply, is sure to see its jobs (the
   * engine runs one connection's commands in the order they were sent). The backend then wakes this
   * process's idle workers as an enqueue is sent, not when it is answered: their claim follows the
   * enqueue on the wire, one round trip sooner. Default: false (wake-ups come with the effects).
   */
  readonly claimsFollowEnqueues?: boolean;
  /** The most jobs a claim or a finish call carries (see `Backend.claimBatch`). Default: the runtime's (64). */
  readonly claimBatch?: number;
  /** Optional: readies what a worker's hot path uses (see `Backend.warmUp`). */
  warmUp?(): Promise<void>;
  /** Releases connections, timers and files (after the notifier closed). Idempotent. */
  close(): Promise<void>;
}
