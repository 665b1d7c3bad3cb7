/** What the runtime conformance suite's parts share: the backend under test, task definition, event collection. */
import type { Backend } from "../../src/backends/backend.js";
import { events, type JobEventName, type JobEventPayload } from "../../src/events.js";
import type { Task, TaskHandler } from "../../src/task.js";

/** The suite's backend and helpers, for its parts (each registers its tests inside the suite's describe). */
export interface RuntimeFixture {
  /** The backend under test (made in the suite's beforeAll). */
  backend(): Backend;
  /** Defines a task on `queue`, unregistered after the test. */
  define<D = unknown>(taskName: string, queue: string, handler: TaskHandler<D, unknown>): Task<D, unknown>;
  /** Called after each test (stop collectors, unregister strategies). */
  stops: Array<() => void>;
  /** Whether jobs may depend on jobs of other queues (false: a Redis Cluster with a hash tag per queue). */
  crossQueueFlows: boolean;
}

/** Collects the payloads of `name` events of `queue` until stopped. */
export function collect(name: JobEventName, queue: string) {
  const seen: JobEventPayload[] = [];
  const listener = (p: JobEventPayload) => {
    if (p.queue === queue) seen.push(p);
  };
  events.on(name, listener);
  return { seen, stop: () => events.off(name, listener) };
}

// A lease long enough that a survivor on a loaded 2-core machine renews in time (a third of it per beat).
export const fast = { scanInterval: 20, leaseDuration: 400, shutdownGrace: 50 } as const;
