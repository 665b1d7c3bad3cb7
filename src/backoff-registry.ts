/**
 * Custom retry backoff: strategies registered by name in a process-wide registry. A job stores only
 * the name (`backoff: { type: "name" }`), so any worker process that registered the same name can
 * apply it, as a worker finds a job's handler by its task name.
 */
import { ValidationError } from "./errors.js";
import type { JobRecord } from "./job.js";

/**
 * A custom backoff: how long to wait (ms) before retrying a job whose attempt number `attempt`
 * (1 for the first) just failed with `error` (whatever the handler threw), or `-1` not to retry: the
 * job fails at once. It is called only while the job has retries left; it may return a promise.
 */
export type BackoffStrategy = (
  attempt: number,
  error: unknown,
  job: Readonly<JobRecord>,
) => number | Promise<number>;

/** The names of the built-in backoffs, which no strategy may take. */
const BUILT_IN: ReadonlySet<string> = new Set(["fixed", "exponential"]);

// One registry per process, whichever copy of asyncmq registers or reads (see the task registry).
const REGISTRY_KEY = Symbol.for("asyncmq.backoffRegistry");
const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Map<string, BackoffStrategy> };
holder[REGISTRY_KEY] ??= new Map<string, BackoffStrategy>();
const registry = holder[REGISTRY_KEY];

/**
 * Registers a custom backoff under `name`, for jobs and tasks whose `backoff` is `{ type: name }`.
 * Register it at start-up, before defining tasks or adding jobs that name it, in every process
 * that adds or runs such jobs (a module both import, as with tasks). Registering the same function
 * again is harmless.
 * @throws ValidationError on an empty name, a built-in name (`"fixed"`, `"exponential"`), a strategy
 *   that is not a function, or a different strategy already registered under `name`.
 */
export function registerBackoff(name: string, strategy: BackoffStrategy): void {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ValidationError(`a backoff strategy needs a non-empty name, got ${JSON.stringify(name)}`);
  }
  if (BUILT_IN.has(name)) {
    throw new ValidationError(`"${name}" is a built-in backoff; give your strategy another name`);
  }
  if (typeof strategy !== "function") {
    throw new ValidationError(
      `backoff strategy "${name}" must be a function (attempt, error, job) => ms | -1`,
    );
  }
  const existing = registry.get(name);
  if (existing !== undefined && existing !== strategy) {
    throw new ValidationError(
      `a different backoff strategy named "${name}" is already registered; give each a unique name (or unregisterBackoff("${name}") first)`,
    );
  }
  registry.set(name, strategy);
}

/** Removes a custom backoff from the registry; returns whether it was there. */
export function unregisterBackoff(name: string): boolean {
  return registry.delete(name);
}

/** The strategy registered as `name` in this process, if any. */
export function getBackoff(name: string): BackoffStrategy | undefined {
  return registry.get(name);
}

/** Whether `name` is a built-in backoff type. */
export function isBuiltInBackoff(name: string): boolean {
  return BUILT_IN.has(name);
}
