/**
 * The in-process backend: every queue lives in this object, nothing survives the process. It is
 * the reference engine of docs/backend-contract.md and the fastest one: its transitions are
 * synchronous (so atomic) and O(1) or O(log n) on the hot path (job-store.ts).
 */

import { type Engine, type EngineContext, NO_NOTIFIER } from "../engine.js";
import { EngineBackend } from "../engine-backend.js";
import { MemoryJobStore } from "./job-store.js";
import { MemoryLeaders } from "./leaders.js";
import { MemoryMetrics } from "./metric-store.js";
import { MemoryData } from "./queue-state.js";
import { MemoryRateLimits, MemoryRepeatables, MemoryWorkers } from "./stores.js";

/** The memory engine: one process, so no notifier; every optional store. */
class MemoryEngine implements Engine {
  readonly durable = false;
  readonly multiProcess = false;
  /** One process: every wake-up is delivered in it. */
  readonly reliableWakeups = true;
  readonly notifier = NO_NOTIFIER;
  readonly jobs: MemoryJobStore;
  readonly repeatables: MemoryRepeatables;
  readonly rateLimits: MemoryRateLimits;
  readonly workers: MemoryWorkers;
  readonly metrics: MemoryMetrics;
  readonly leaders: MemoryLeaders;
  readonly #data: MemoryData;

  constructor(ctx: EngineContext) {
    this.#data = new MemoryData(ctx);
    this.jobs = new MemoryJobStore(this.#data);
    this.repeatables = new MemoryRepeatables(this.#data);
    this.rateLimits = new MemoryRateLimits(this.#data);
    this.workers = new MemoryWorkers(this.#data);
    this.metrics = new MemoryMetrics(this.#data);
    this.leaders = new MemoryLeaders(this.#data);
  }

  async close(): Promise<void> {
    this.#data.close();
  }
}

/** Keeps every queue in this process's memory: for tests, scripts and single-process apps. */
export class InMemoryBackend extends EngineBackend {
  constructor() {
    super((ctx) => new MemoryEngine(ctx));
  }
}
