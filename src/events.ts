/**
 * Events. `events` is the process-wide emitter: every transition made in this process emits here.
 * `queue.events` (same interface) carries the events of every process that shares the backend.
 * A listener that throws is logged and never breaks the job or worker that emitted.
 *
 * Listeners are typed by event name: `on("job:completed", (p) => p.result)` gets that event's payload
 * (`JobEvents`), and a literal name that is no event (`"job:complete"`) does not compile.
 */
import { log } from "./logger.js";

export const JOB_EVENT_NAMES = [
  "job:waiting",
  "job:delayed",
  "job:started",
  "job:progress",
  "job:completed",
  "job:retrying",
  "job:failed",
  "job:expired",
  "job:cancelled",
  "job:stalled",
  "job:ready",
  "job:duplicated",
  "queue:paused",
  "queue:resumed",
] as const;
export type JobEventName = (typeof JOB_EVENT_NAMES)[number];

/** An error as a job and its events carry it: JSON-friendly. */
export type JobEventError = { name: string; message: string; stack?: string };

/** What every `job:*` event carries: the queue, the job's id and its task's name. */
export type JobEventBase = { queue: string; jobId: string; task: string };

/**
 * Each event's payload, by name (types, not interfaces, so that each is also a `JobEventPayload`).
 * Every backend sends these fields; `attempts` is absent where marked optional on some backends.
 */
export type JobEvents = {
  /** Enqueued (or back from delayed, a retry, a stall, a shutdown) and ready to run. */
  "job:waiting": JobEventBase;
  /** Enqueued, or retried, to run at `runAt` (epoch ms). */
  "job:delayed": JobEventBase & { runAt: number };
  /** Claimed by a worker; `attempts` counts this one. */
  "job:started": JobEventBase & { attempts: number; workerId?: string };
  /** The handler called `ctx.progress(value)`. */
  "job:progress": JobEventBase & { progress: number | Record<string, unknown> };
  /** The handler returned `result` (JSON; null for undefined). */
  "job:completed": JobEventBase & { result: unknown; attempts?: number };
  /** An attempt failed and another runs at `runAt` (epoch ms). Once per retry. */
  "job:retrying": JobEventBase & { error: JobEventError; attempts: number; runAt: number };
  /** Failed for good: retries used up, a stall limit, a failed parent. */
  "job:failed": JobEventBase & { error: JobEventError; attempts?: number };
  /** Its ttl passed before it started: it never runs. */
  "job:expired": JobEventBase & { attempts?: number };
  "job:cancelled": JobEventBase;
  /** Its worker lost the lease (died or hung): the job goes back to the queue. */
  "job:stalled": JobEventBase & { attempts?: number };
  /** Its last parent finished: it leaves `waiting-children`. */
  "job:ready": JobEventBase;
  /** `add` with a `jobId` (or deduplication id) that exists: nothing was enqueued. */
  "job:duplicated": JobEventBase;
  "queue:paused": { queue: string };
  "queue:resumed": { queue: string };
};

/** A listener of one event. */
export type JobEventListener<E extends JobEventName> = (payload: JobEvents[E]) => void;

/**
 * The name of an event known only at run time: a plain `string` is accepted (its listener gets the
 * loose `JobEventPayload`), a string literal must be an event name.
 */
export type DynamicEventName<N extends string> = string extends N ? N : JobEventName;

/** Every payload has `queue`; job events have `jobId`; the rest depends on the event (`JobEvents`). */
export interface JobEventPayload {
  queue: string;
  jobId?: string;
  task?: string;
  attempts?: number;
  /** job:completed */
  result?: unknown;
  /** job:failed, job:retrying */
  error?: JobEventError;
  /** job:retrying, job:delayed: when it runs (epoch ms) */
  runAt?: number;
  /** job:progress */
  progress?: number | Record<string, unknown>;
  /** job:started: the worker holding it */
  workerId?: string;
  [key: string]: unknown;
}

/** A listener of any event (its payload is the loose `JobEventPayload`). */
export type EventListener = (payload: JobEventPayload) => void;

/**
 * A minimal EventEmitter-style emitter whose `emit` survives throwing listeners. `on`, `once`, `off`
 * (and their aliases) take an event name and a listener of that event's payload (`JobEvents`).
 */
export class SafeEmitter {
  #listeners = new Map<string, EventListener[]>();

  on<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  on<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  on(name: string, listener: EventListener): this {
    const list = this.#listeners.get(name);
    // Copy on write: emit iterates the array it read, so listeners may (un)subscribe mid-emit.
    this.#listeners.set(name, list ? [...list, listener] : [listener]);
    return this;
  }

  addListener<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  addListener<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  addListener(name: string, listener: EventListener): this {
    return this.on(name, listener);
  }

  once<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  once<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  once(name: string, listener: EventListener): this {
    const wrapper: EventListener & { inner?: EventListener } = (payload) => {
      this.off(name, wrapper);
      listener(payload);
    };
    wrapper.inner = listener;
    return this.on(name, wrapper);
  }

  off<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  off<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  off(name: string, listener: EventListener): this {
    const list = this.#listeners.get(name);
    if (!list) return this;
    const next = list.filter((l) => l !== listener && (l as { inner?: EventListener }).inner !== listener);
    if (next.length) this.#listeners.set(name, next);
    else this.#listeners.delete(name);
    return this;
  }

  removeListener<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  removeListener<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  removeListener(name: string, listener: EventListener): this {
    return this.off(name, listener);
  }

  removeAllListeners(name?: string): this {
    if (name === undefined) this.#listeners.clear();
    else this.#listeners.delete(name);
    return this;
  }

  listenerCount(name: string): number {
    return this.#listeners.get(name)?.length ?? 0;
  }

  /** True when anyone listens to anything; lets hot paths skip building payloads. */
  hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  emit(name: JobEventName, payload: JobEventPayload): boolean {
    const list = this.#listeners.get(name);
    if (!list) return false;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (err) {
        log().warn(`a listener of ${name} threw; the job and worker go on`, {
          queue: payload.queue,
          jobId: payload.jobId,
          event: name,
          err,
        });
      }
    }
    return true;
  }
}

/** The process-wide emitter: events of the transitions made in this process. */
export const events = new SafeEmitter();

/** The deliverer (backends/delivery.ts) calls this after a transition of this process is durable. */
export function emitLocal(name: JobEventName, payload: JobEventPayload): void {
  events.emit(name, payload);
}
