/**
 * Every backend is an engine behind this one wrapper: it runs the engine's transition, then hands
 * the effects the transition returned to the deliverer (delivery.ts), once the change is durable.
 * Engines never call listeners; this is what makes delivery the same for all of them.
 */
import { BackendError } from "../errors.js";
import type {
  Backend,
  BackendCapabilities,
  FinishAndClaim,
  HandOff,
  LeaderStore,
  MetricStore,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableInfoRecord,
  RepeatableStore,
  WakeReason,
  WorkerRegistry,
} from "./backend.js";
import { Delivery } from "./delivery.js";
import {
  ANSWERING,
  type Applied,
  type Effects,
  type Engine,
  type EngineContext,
  type EnqueueAndClaim,
  REPORTING,
} from "./engine.js";
import { IdleClaims } from "./idle-claims.js";
import { finishWhileClaiming } from "./shared/finish-and-claim.js";

type Method = (...args: unknown[]) => Promise<unknown>;

/** The wake-up an enqueue gives this process's workers as it is sent (Engine.claimsFollowEnqueues). */
const EARLY_WAKE: Effects = { wakes: ["job"] };

/** How many jobs of the batch are claimable once stored: not delayed, not waiting for parents. */
function waitingCount(jobs: NewJob[]): number {
  const now = Date.now();
  let n = 0;
  for (const job of jobs) if ((job.runAt === undefined || job.runAt <= now) && !job.dependsOn?.length) n++;
  return n;
}

/** `effects` without its "job" wake-up (other processes hear theirs from the engine's transport). */
function withoutJobWake(effects: Effects | undefined): Effects | undefined {
  if (effects?.wakes === undefined || !effects.wakes.includes("job")) return effects;
  return { ...effects, wakes: effects.wakes.filter((reason) => reason !== "job") };
}

/** A `Backend` made of an engine and the shared deliverer. Engine facades extend it. */
export class EngineBackend implements Backend {
  readonly capabilities: BackendCapabilities;
  readonly repeatables?: RepeatableStore;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;
  readonly metrics?: MetricStore;
  readonly leaders?: LeaderStore;

  // The job methods: installed by the constructor from the engine's job store (engine.ts lists them).
  declare readonly enqueue: Backend["enqueue"];
  declare readonly claim: Backend["claim"];
  declare readonly finish: Backend["finish"];
  readonly finishAndClaim: NonNullable<Backend["finishAndClaim"]>;
  readonly warmUp?: () => Promise<void>;
  readonly claimBatch?: number;
  readonly offerIdleClaim?: Backend["offerIdleClaim"];
  declare readonly updateProgress: Backend["updateProgress"];
  declare readonly promoteDelayed: Backend["promoteDelayed"];
  declare readonly recoverStalled: Backend["recoverStalled"];
  declare readonly expireDue: Backend["expireDue"];
  declare readonly cancelJob: Backend["cancelJob"];
  declare readonly retryJob: Backend["retryJob"];
  declare readonly retryJobs: Backend["retryJobs"];
  declare readonly promoteJob: Backend["promoteJob"];
  declare readonly promoteJobs: Backend["promoteJobs"];
  declare readonly updateData: Backend["updateData"];
  declare readonly changePriority: Backend["changePriority"];
  declare readonly changeDelay: Backend["changeDelay"];
  declare readonly getDependants: Backend["getDependants"];
  declare readonly getDependencyResults: Backend["getDependencyResults"];
  declare readonly removeJob: Backend["removeJob"];
  declare readonly drain: Backend["drain"];
  declare readonly clean: Backend["clean"];
  declare readonly setPaused: Backend["setPaused"];
  declare readonly setGlobalConcurrency: Backend["setGlobalConcurrency"];
  declare readonly extendLeases: Backend["extendLeases"];
  declare readonly addLog: Backend["addLog"];
  declare readonly getLogs: Backend["getLogs"];
  declare readonly removeExpiredFinished: Backend["removeExpiredFinished"];
  declare readonly getJob: Backend["getJob"];
  declare readonly getJobs: Backend["getJobs"];
  declare readonly getJobCounts: Backend["getJobCounts"];
  declare readonly obliterate: Backend["obliterate"];
  declare readonly isPaused: Backend["isPaused"];
  declare readonly getGlobalConcurrency: Backend["getGlobalConcurrency"];
  declare readonly removeDeduplicationKey: Backend["removeDeduplicationKey"];
  declare readonly getDeduplicationJobId: Backend["getDeduplicationJobId"];
  declare readonly listQueues: Backend["listQueues"];

  readonly #engine: Engine;
  readonly #delivery = new Delivery();
  #closing: Promise<void> | undefined;

  /** `makeEngine` builds the engine with the context it reports to (its notifier calls `received`). */
  constructor(makeEngine: (ctx: EngineContext) => Engine) {
    const engine = makeEngine(this.#delivery);
    const delivery = this.#delivery;
    this.#engine = engine;
    delivery.attach(engine.notifier);

    const jobs = engine.jobs as unknown as Record<string, Method>;
    const self = this as unknown as Record<string, Method>;
    /** Waits for a transition, delivers what it did, returns its value. */
    const deliverAfter = async (queue: string, pending: Promise<unknown>) => {
      const { value, effects } = (await pending) as Applied<unknown>;
      delivery.deliver(queue, effects);
      return value;
    };
    for (const name of REPORTING) {
      self[name] = (queue, ...args) => deliverAfter(queue as string, (jobs[name] as Method)(queue, ...args));
    }
    for (const name of ANSWERING) self[name] = (...args) => (jobs[name] as Method)(...args);
    if (engine.claimsFollowEnqueues) {
      const enqueue = this.enqueue;
      const enqueueAndClaim = engine.jobs.enqueueAndClaim?.bind(engine.jobs);
      const idle = new IdleClaims();
      /**
       * The results of an enqueue sent with an idle loop's claim, once its effects are delivered and
       * the jobs claimed handed to that loop. When the claim asked for every job the enqueue made
       * claimable, the reply's "job" wake-up has nothing left to find here and is not delivered
       * (other processes hear theirs): the loop sleeps on, and the finish of its jobs claims.
       */
      const withClaim = async (
        queue: string,
        sent: Promise<Applied<EnqueueAndClaim>>,
        handOff: HandOff,
        count: number,
      ) => {
        let done: Applied<EnqueueAndClaim>;
        try {
          done = await sent;
        } catch (err) {
          handOff.adopt(null);
          throw err;
        }
        const { results, claimed } = done.value;
        const all = claimed !== null && handOff.claim.limit >= count;
        delivery.deliver(queue, all ? withoutJobWake(done.effects) : done.effects);
        handOff.adopt(claimed);
        return results;
      };
      if (enqueueAndClaim !== undefined) this.offerIdleClaim = (queue, claimer) => idle.offer(queue, claimer);
      this.enqueue = (queue, newJobs, options) => {
        const count = waitingCount(newJobs);
        if (count === 0) return enqueue(queue, newJobs, options);
        // No loop offers without enqueueAndClaim, so then nothing is taken.
        const handOff = idle.take(queue, count);
        const pending =
          handOff !== null && enqueueAndClaim !== undefined
            ? withClaim(queue, enqueueAndClaim(queue, newJobs, options, handOff.claim), handOff, count)
            : enqueue(queue, newJobs, options);
        // Sent by now: a claim that this wakes reaches the engine after it, so the claims of other
        // idle workers here follow the enqueue too. The wake-up in the reply's effects still comes;
        // it finds each worker busy with a job or awake already.
        if (handOff === null || handOff.claim.limit < count) delivery.deliver(queue, EARLY_WAKE);
        return pending;
      };
    }
    // An engine without a combined step: its finish, then its claim (which must see the finish).
    const combined =
      engine.jobs.finishAndClaim?.bind(engine.jobs) ??
      ((queue, items, now, claim) => finishWhileClaiming(engine.jobs, queue, items, now, claim, true));
    this.finishAndClaim = (queue, items, now, claim) =>
      deliverAfter(queue, combined(queue, items, now, claim)) as Promise<FinishAndClaim>;

    if (engine.warmUp) this.warmUp = engine.warmUp.bind(engine);
    if (engine.claimBatch !== undefined) this.claimBatch = engine.claimBatch;
    const { repeatables, rateLimits, workers, metrics, leaders } = engine;
    if (repeatables) {
      this.repeatables = {
        upsert: (queue, info) =>
          deliverAfter(queue, repeatables.upsert(queue, info)) as Promise<RepeatableInfoRecord>,
        list: (queue) => repeatables.list(queue),
        remove: (queue, id) => repeatables.remove(queue, id),
        setPaused: (queue, id, paused, nextRun) =>
          deliverAfter(queue, repeatables.setPaused(queue, id, paused, nextRun)) as Promise<boolean>,
        fire: (queue, fire) => deliverAfter(queue, repeatables.fire(queue, fire)) as Promise<string | null>,
        lastFired: (queue, repeatId) => repeatables.lastFired(queue, repeatId),
      };
    }
    if (rateLimits) this.rateLimits = rateLimits;
    if (workers) this.workers = workers;
    if (metrics) this.metrics = metrics;
    if (leaders) this.leaders = leaders;
    this.capabilities = Object.freeze({
      durable: engine.durable,
      multiProcess: engine.multiProcess,
      repeatables: repeatables !== undefined,
      rateLimits: rateLimits !== undefined,
      workers: workers !== undefined,
      metrics: metrics !== undefined,
      leaders: leaders !== undefined,
      reliableWakeups: engine.reliableWakeups,
    });
  }

  /** The engine, for its facade (engine-specific extras such as Postgres `listening()`). */
  protected get engine(): Engine {
    return this.#engine;
  }

  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    this.#assertOpen();
    return this.#delivery.onWake(queue, listener);
  }

  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    this.#assertOpen();
    return this.#delivery.subscribe(queue, listener);
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) {
      throw new BackendError(`this ${this.constructor.name} is closed; create a new backend instead`);
    }
  }

  /** Idempotent: every call resolves once the engine is closed, even if its notifier failed to. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#delivery.clear();
    try {
      await this.#engine.notifier.close();
    } finally {
      await this.#engine.close();
    }
  }
}
