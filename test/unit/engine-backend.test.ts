/**
 * EngineBackend (src/backends/engine-backend.ts): the wrapper every engine facade extends. It runs
 * a transition, then hands the effects the transition returned to the deliverer; it reports the
 * optional stores in `capabilities` and refuses listeners once closed. The unit under test is the
 * wrapper, not an engine, so a small hand-written engine and notifier stand in (every real engine
 * runs the conformance suite).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  Backend,
  EnqueueResult,
  QueueEvent,
  RateLimitStore,
  RepeatableFire,
  WakeReason,
  WorkerRegistry,
} from "../../src/backends/backend.js";
import type {
  Applied,
  Effects,
  Engine,
  EngineContext,
  EngineRepeatables,
  JobStore,
  Notifier,
} from "../../src/backends/engine.js";
import { EngineBackend } from "../../src/backends/engine-backend.js";
import { zeroCounts } from "../../src/backends/shared/rules.js";
import { BackendError } from "../../src/errors.js";
import { type EventListener, events } from "../../src/events.js";
import { type Logger, setLogger } from "../../src/logger.js";

const Q = "q-engine-backend";
const waiting: QueueEvent = { name: "job:waiting", payload: { queue: Q, jobId: "1", task: "t" } };
const ENQUEUED: EnqueueResult[] = [{ id: "1", state: "waiting", duplicate: false }];
const fire: RepeatableFire = {
  repeatId: "r",
  slot: 1,
  job: { task: "t", dataJson: "1", priority: 5, maxRetries: 0, createdAt: 1 },
  nextRun: 2,
};

/** Shared by the stub's parts: what happened, in order (transport, close). */
let log: string[];

class StubNotifier implements Notifier {
  listen(queue: string, kind: "wake" | "events"): () => void {
    log.push(`listen ${kind} ${queue}`);
    return () => log.push(`stop ${kind} ${queue}`);
  }
  async close(): Promise<void> {
    log.push("notifier closed");
  }
}

/** Effects every stub transition returns. */
let effects: Effects | undefined;
function applied<T>(value: T): Promise<Applied<T>> {
  return Promise.resolve(effects === undefined ? { value } : { value, effects });
}

/** A job store whose every transition returns `effects`; the rest returns empty values. */
function stubJobs(): JobStore {
  return {
    enqueue: () => applied(ENQUEUED),
    claim: () => applied([]),
    finish: (_q, items) => applied(items.map(() => true)),
    extendLeases: async () => [],
    updateProgress: () => applied(true),
    addLog: async () => {},
    getLogs: async () => [],
    promoteDelayed: () => applied({ promoted: 1, nextDueAt: null }),
    recoverStalled: () => applied({ stalled: [], failed: [] }),
    removeExpiredFinished: async () => 0,
    expireDue: () => applied(0),
    getJob: async () => null,
    getJobs: async () => [],
    getJobCounts: async () => zeroCounts(),
    cancelJob: () => applied(true),
    retryJob: () => applied(true),
    retryJobs: () => applied(1),
    promoteJob: () => applied(true),
    promoteJobs: () => applied(1),
    updateData: async () => true,
    changePriority: async () => true,
    changeDelay: () => applied(true),
    getDependants: async () => [],
    getDependencyResults: async () => ({ values: {}, failures: {} }),
    removeJob: () => applied(true),
    drain: () => applied(0),
    clean: () => applied([]),
    obliterate: () => applied(undefined),
    setPaused: () => applied(undefined),
    isPaused: async () => false,
    setGlobalConcurrency: () => applied(undefined),
    getGlobalConcurrency: async () => null,
    removeDeduplicationKey: async () => false,
    getDeduplicationJobId: async () => null,
    listQueues: async () => [],
  };
}

const repeatables: EngineRepeatables = {
  upsert: (_q, info) => applied(info),
  list: async () => [],
  remove: async () => true,
  setPaused: () => applied(true),
  fire: () => applied("r1"),
  lastFired: async () => null,
};
const rateLimits: RateLimitStore = { take: async () => 0, refund: async () => {}, hold: async () => {} };
const workers: WorkerRegistry = { heartbeat: async () => {}, remove: async () => {}, list: async () => [] };

type Stores = Pick<Engine, "repeatables" | "rateLimits" | "workers">;

class StubEngine implements Engine {
  readonly durable = true;
  readonly multiProcess = false;
  readonly reliableWakeups = true;
  readonly jobs = stubJobs();
  readonly notifier = new StubNotifier();
  readonly repeatables?: EngineRepeatables;
  readonly rateLimits?: RateLimitStore;
  readonly workers?: WorkerRegistry;

  constructor(
    readonly ctx: EngineContext,
    stores: Stores,
  ) {
    Object.assign(this, stores);
  }

  async close(): Promise<void> {
    log.push("engine closed");
  }
}

/** A backend over a stub engine, and the engine (for its context). */
function make(stores: Stores = {}): { backend: EngineBackend; engine: StubEngine } {
  let engine: StubEngine | undefined;
  const backend = new EngineBackend((ctx) => {
    engine = new StubEngine(ctx, stores);
    return engine;
  });
  if (engine === undefined) throw new Error("EngineBackend did not build its engine");
  return { backend, engine };
}

let seen: string[];
const undo: Array<() => void> = [];
beforeEach(() => {
  log = [];
  seen = [];
  effects = { events: [waiting], wakes: ["job"] };
});
afterEach(() => {
  for (const u of undo.splice(0)) u();
  setLogger(undefined);
});

/** Records Q's job:waiting on the process events emitter, and the backend's listeners of Q. */
function listenAll(backend: Backend): void {
  const listener: EventListener = (p) => {
    if (p.queue === Q) seen.push("events job:waiting");
  };
  events.on("job:waiting", listener);
  undo.push(() => events.off("job:waiting", listener));
  undo.push(backend.subscribe(Q, (e: QueueEvent) => seen.push(`sub ${e.name}`)));
  undo.push(backend.onWake(Q, (r: WakeReason) => seen.push(`wake ${r}`)));
}

describe("EngineBackend delivery", () => {
  it("returns the transition's value and delivers its effects to events, subscribers, then wakes", async () => {
    const { backend } = make();
    listenAll(backend);
    expect(await backend.enqueue(Q, [])).toEqual(ENQUEUED);
    expect(seen).toEqual(["events job:waiting", "sub job:waiting", "wake job"]);
  });

  it("delivers only once the transition has resolved (after its commit)", async () => {
    const { backend, engine } = make();
    listenAll(backend);
    let commit: (value: Applied<EnqueueResult[]>) => void = () => {};
    engine.jobs.enqueue = () => new Promise((resolve) => (commit = resolve));
    const pending = backend.enqueue(Q, []);
    await Promise.resolve();
    expect(seen).toEqual([]);
    commit({ value: ENQUEUED, effects: { wakes: ["job"] } });
    expect(await pending).toEqual(ENQUEUED);
    expect(seen).toEqual(["wake job"]);
  });

  const transitions: Array<[string, (b: Backend) => Promise<unknown>]> = [
    ["enqueue", (b) => b.enqueue(Q, [])],
    ["claim", (b) => b.claim(Q, { workerId: "w", limit: 1, leaseMs: 1000, now: 0 })],
    ["finish", (b) => b.finish(Q, [], 0)],
    ["updateProgress", (b) => b.updateProgress(Q, "1", "tok", 5)],
    ["promoteDelayed", (b) => b.promoteDelayed(Q, 0, 10)],
    ["recoverStalled", (b) => b.recoverStalled(Q, 0, 1)],
    ["expireDue", (b) => b.expireDue(Q, 0, 10)],
    ["cancelJob", (b) => b.cancelJob(Q, "1", 0)],
    ["retryJob", (b) => b.retryJob(Q, "1")],
    ["retryJobs", (b) => b.retryJobs(Q, "failed", 5, 10)],
    ["promoteJob", (b) => b.promoteJob(Q, "1", 5)],
    ["promoteJobs", (b) => b.promoteJobs(Q, 10, 5)],
    ["changeDelay", (b) => b.changeDelay(Q, "1", 5)],
    ["removeJob", (b) => b.removeJob(Q, "1", 5)],
    ["drain", (b) => b.drain(Q, true, 5)],
    ["clean", (b) => b.clean(Q, "completed", 0, 10, 5)],
    ["setPaused", (b) => b.setPaused(Q, true)],
    ["setGlobalConcurrency", (b) => b.setGlobalConcurrency(Q, 2)],
    ["repeatables.fire", (b) => (b.repeatables as NonNullable<Backend["repeatables"]>).fire(Q, fire)],
  ];

  it.each(transitions)("%s delivers the effects its transition returned", async (_name, call) => {
    const { backend } = make({ repeatables });
    listenAll(backend);
    await call(backend);
    expect(seen).toEqual(["events job:waiting", "sub job:waiting", "wake job"]);
  });

  it("a transition without effects delivers nothing", async () => {
    effects = undefined;
    const { backend } = make();
    listenAll(backend);
    await backend.finish(Q, [], 0);
    expect(seen).toEqual([]);
  });

  it("effects received from another process reach subscribers and wake listeners, not the events emitter", () => {
    const { backend, engine } = make();
    listenAll(backend);
    engine.ctx.received(Q, { events: [waiting], wakes: ["resume"] });
    expect(seen).toEqual(["sub job:waiting", "wake resume"]);
  });

  it("tells the engine to build events while the queue has a subscriber", () => {
    const { backend, engine } = make();
    expect(engine.ctx.wantsEvents(Q)).toBe(false);
    const stop = backend.subscribe(Q, () => {});
    expect(engine.ctx.wantsEvents(Q)).toBe(true);
    stop();
    expect(engine.ctx.wantsEvents(Q)).toBe(false);
  });

  it("a throwing listener is logged; the others and the caller go on", async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
    setLogger(logger);
    const { backend } = make();
    undo.push(
      backend.onWake(Q, () => {
        throw new Error("wake bug");
      }),
    );
    listenAll(backend);
    expect(await backend.enqueue(Q, [])).toEqual(ENQUEUED);
    expect(seen).toEqual(["events job:waiting", "sub job:waiting", "wake job"]);
    expect(warnings).toHaveLength(1);
  });

  it("has the notifier listen once per queue and kind, and stop when the last listener leaves", () => {
    const { backend } = make();
    const a = backend.onWake(Q, () => {});
    const b = backend.onWake(Q, () => {});
    const s = backend.subscribe(Q, () => {});
    expect(log).toEqual([`listen wake ${Q}`, `listen events ${Q}`]);
    a();
    b();
    s();
    expect(log).toEqual([`listen wake ${Q}`, `listen events ${Q}`, `stop wake ${Q}`, `stop events ${Q}`]);
  });
});

describe("EngineBackend capabilities", () => {
  it("reports no optional store when the engine has none", () => {
    const { backend } = make();
    expect(backend.capabilities).toEqual({
      durable: true,
      multiProcess: false,
      repeatables: false,
      rateLimits: false,
      workers: false,
      metrics: false,
      leaders: false,
      reliableWakeups: true,
    });
    expect([backend.repeatables, backend.rateLimits, backend.workers]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(Object.isFrozen(backend.capabilities)).toBe(true);
  });

  it("reports and exposes each store the engine has", async () => {
    const some = make({ rateLimits }).backend;
    expect(some.capabilities).toMatchObject({ repeatables: false, rateLimits: true, workers: false });
    expect(some.rateLimits).toBe(rateLimits);
    const all = make({ repeatables, rateLimits, workers }).backend;
    expect(all.capabilities).toMatchObject({ repeatables: true, rateLimits: true, workers: true });
    expect(all.workers).toBe(workers);
    expect(await all.repeatables?.remove(Q, "r")).toBe(true);
    expect(await all.repeatables?.fire(Q, fire)).toBe("r1");
  });
});

describe("EngineBackend close", () => {
  it("closes the notifier then the engine, once; then refuses onWake and subscribe", async () => {
    const { backend, engine } = make();
    listenAll(backend);
    await backend.close();
    await backend.close();
    expect(log.slice(-2)).toEqual(["notifier closed", "engine closed"]);
    expect(log.filter((l) => l.endsWith("closed"))).toHaveLength(2);
    expect(() => backend.onWake(Q, () => {})).toThrow(BackendError);
    expect(() => backend.subscribe(Q, () => {})).toThrow(/closed/);
    engine.ctx.received(Q, { events: [waiting], wakes: ["job"] });
    expect(seen).toEqual([]);
  });

  it("a second close() waits for the first; a failing notifier still lets the engine close", async () => {
    const { backend, engine } = make();
    let finishNotifier!: () => void;
    engine.notifier.close = () =>
      new Promise<void>((_, reject) => {
        finishNotifier = () => reject(new Error("notifier close failed"));
      });
    const first = backend.close();
    let secondDone = false;
    const second = backend.close().finally(() => {
      secondDone = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(secondDone).toBe(false);
    finishNotifier();
    await expect(first).rejects.toThrow(/notifier close failed/);
    await expect(second).rejects.toThrow(/notifier close failed/);
    expect(log).toEqual(["engine closed"]);
  });
});
