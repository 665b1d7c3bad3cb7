/**
 * Events. `events` is the process-wide emitter: every transition made in this process emits here.
 * `queue.events` (same interface) carries the events of every process that shares the backend.
 * A listener that throws is logged and never breaks the job or worker that emitted.
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

/** Every payload has `queue`; job events have `jobId`; the rest depends on the event. */
export interface JobEventPayload {
  queue: string;
  jobId?: string;
  task?: string;
  attempts?: number;
  /** job:completed */
  result?: unknown;
  /** job:failed, job:retrying, job:stalled */
  error?: { name: string; message: string; stack?: string };
  /** job:retrying, job:delayed: when it runs (epoch ms) */
  runAt?: number;
  /** job:progress */
  progress?: number | Record<string, unknown>;
  /** job:started: the worker holding it */
  workerId?: string;
  [key: string]: unknown;
}

export type EventListener = (payload: JobEventPayload) => void;

/** A minimal EventEmitter-style emitter whose `emit` survives throwing listeners. */
export class SafeEmitter {
  #listeners = new Map<string, EventListener[]>();

  on(name: JobEventName | string, listener: EventListener): this {
    const list = this.#listeners.get(name);
    // Copy on write: emit iterates the array it read, so listeners may (un)subscribe mid-emit.
    this.#listeners.set(name, list ? [...list, listener] : [listener]);
    return this;
  }

  addListener(name: JobEventName | string, listener: EventListener): this {
    return this.on(name, listener);
  }

  once(name: JobEventName | string, listener: EventListener): this {
    const wrapper: EventListener & { inner?: EventListener } = (payload) => {
      this.off(name, wrapper);
      listener(payload);
    };
    wrapper.inner = listener;
    return this.on(name, wrapper);
  }

  off(name: JobEventName | string, listener: EventListener): this {
    const list = this.#listeners.get(name);
    if (!list) return this;
    const next = list.filter((l) => l !== listener && (l as { inner?: EventListener }).inner !== listener);
    if (next.length) this.#listeners.set(name, next);
    else this.#listeners.delete(name);
    return this;
  }

  removeListener(name: JobEventName | string, listener: EventListener): this {
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

  emit(name: JobEventName | string, payload: JobEventPayload): boolean {
    const list = this.#listeners.get(name);
    if (!list) return false;
    for (const listener of list) {
      try {
        listener(payload);
      } catch (err) {
        log().warn(`a listener of ${name} threw; the job and worker go on`, err);
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
