/**
 * Every backend is an engine behind this one wrapper: it runs the engine's transition, then hands
 * the effects the transition returned to the deliverer (delivery.ts), after the change is durable.
 * The engine classes never call listeners; this is what makes delivery the same for all of them.
 */
import { BackendError } from "../errors.js";
import type { ClaimedJob, JobRecord, JobState } from "../job.js";
import type {
  Backend,
  BackendCapabilities,
  ClaimOptions,
  EnqueueResult,
  Finish,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableFire,
  RepeatableInfoRecord,
  RepeatableStore,
  WakeReason,
  WorkerRegistry,
} from "./backend.js";
import { Delivery } from "./delivery.js";
import type { Applied, Engine, EngineContext, EngineRepeatables } from "./engine.js";

/** A `Backend` made of an engine and the shared deliverer. Engine facades extend it. */
export class EngineBackend implements Backend {
  readonly capabilities: BackendCapabilities;
  readonly repeatables?: RepeatableStore;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;

  readonly #engine: Engine;
  readonly #delivery = new Delivery();
  #closed = false;

  /** `makeEngine` builds the engine with the context it reports to (its notifier calls `received`). */
  constructor(makeEngine: (ctx: EngineContext) => Engine) {
    this.#engine = makeEngine(this.#delivery);
    this.#delivery.attach(this.#engine.notifier);
    const { repeatables, rateLimits, workers } = this.#engine;
    if (repeatables) this.repeatables = this.#repeatableStore(repeatables);
    if (rateLimits) this.rateLimits = rateLimits;
    if (workers) this.workers = workers;
    this.capabilities = Object.freeze({
      durable: this.#engine.durable,
      multiProcess: this.#engine.multiProcess,
      repeatables: repeatables !== undefined,
      rateLimits: rateLimits !== undefined,
      workers: workers !== undefined,
    });
  }

  /** The engine, for its facade (engine-specific extras such as Postgres `listening()`). */
  protected get engine(): Engine {
    return this.#engine;
  }

  /** Delivers what a transition did, then returns its value. */
  async #apply<T>(queue: string, pending: Promise<Applied<T>>): Promise<T> {
    const applied = await pending;
    this.#delivery.deliver(queue, applied.effects);
    return applied.value;
  }

  #repeatableStore(store: EngineRepeatables): RepeatableStore {
    return {
      upsert: (queue, info: RepeatableInfoRecord) => store.upsert(queue, info),
      list: (queue) => store.list(queue),
      remove: (queue, id) => store.remove(queue, id),
      setPaused: (queue, id, paused, nextRun) => store.setPaused(queue, id, paused, nextRun),
      fire: (queue, fire: RepeatableFire) => this.#apply(queue, store.fire(queue, fire)),
      lastSlot: (queue, repeatId) => store.lastSlot(queue, repeatId),
    };
  }

  // -- producer and worker ----------------------------------------------------------------------

  enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    return this.#apply(queue, this.#engine.jobs.enqueue(queue, jobs));
  }

  claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    return this.#apply(queue, this.#engine.jobs.claim(queue, options));
  }

  finish(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    return this.#apply(queue, this.#engine.jobs.finish(queue, items, now));
  }

  extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    return this.#engine.jobs.extendLeases(queue, leases, leaseMs, now);
  }

  updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<boolean> {
    return this.#apply(queue, this.#engine.jobs.updateProgress(queue, jobId, token, progress));
  }

  addLog(queue: string, jobId: string, message: string): Promise<void> {
    return this.#engine.jobs.addLog(queue, jobId, message);
  }

  getLogs(queue: string, jobId: string): Promise<string[]> {
    return this.#engine.jobs.getLogs(queue, jobId);
  }

  // -- maintenance ------------------------------------------------------------------------------

  promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }> {
    return this.#apply(queue, this.#engine.jobs.promoteDelayed(queue, now, limit));
  }

  recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<{ stalled: string[]; failed: string[] }> {
    return this.#apply(queue, this.#engine.jobs.recoverStalled(queue, now, maxStalledCount));
  }

  removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.#engine.jobs.removeExpiredFinished(queue, now, limit);
  }

  expireDue(queue: string, now: number, limit: number): Promise<number> {
    return this.#apply(queue, this.#engine.jobs.expireDue(queue, now, limit));
  }

  // -- admin ------------------------------------------------------------------------------------

  getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    return this.#engine.jobs.getJob(queue, jobId);
  }

  getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    return this.#engine.jobs.getJobs(queue, states, range);
  }

  getJobCounts(queue: string): Promise<Record<JobState, number>> {
    return this.#engine.jobs.getJobCounts(queue);
  }

  cancelJob(queue: string, jobId: string, now: number): Promise<boolean> {
    return this.#apply(queue, this.#engine.jobs.cancelJob(queue, jobId, now));
  }

  retryJob(queue: string, jobId: string): Promise<boolean> {
    return this.#apply(queue, this.#engine.jobs.retryJob(queue, jobId));
  }

  removeJob(queue: string, jobId: string): Promise<boolean> {
    return this.#apply(queue, this.#engine.jobs.removeJob(queue, jobId, Date.now()));
  }

  drain(queue: string, includeDelayed: boolean): Promise<number> {
    return this.#apply(queue, this.#engine.jobs.drain(queue, includeDelayed, Date.now()));
  }

  clean(queue: string, state: JobState, olderThan: number, limit: number): Promise<string[]> {
    return this.#apply(queue, this.#engine.jobs.clean(queue, state, olderThan, limit, Date.now()));
  }

  obliterate(queue: string, force: boolean): Promise<void> {
    return this.#engine.jobs.obliterate(queue, force);
  }

  setPaused(queue: string, paused: boolean): Promise<void> {
    return this.#apply(queue, this.#engine.jobs.setPaused(queue, paused));
  }

  isPaused(queue: string): Promise<boolean> {
    return this.#engine.jobs.isPaused(queue);
  }

  listQueues(): Promise<string[]> {
    return this.#engine.jobs.listQueues();
  }

  // -- notifications ----------------------------------------------------------------------------

  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    this.#assertOpen();
    return this.#delivery.onWake(queue, listener);
  }

  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    this.#assertOpen();
    return this.#delivery.subscribe(queue, listener);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`this ${this.constructor.name} is closed; create a new backend instead`);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#delivery.clear();
    await this.#engine.notifier.close();
    await this.#engine.close();
  }
}
