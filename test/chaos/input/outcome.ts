/**
 * What one call did, in a form that compares across backends: its value, or the ValidationError it
 * threw (class and message). Any other error (BackendError, RangeError, TypeError...) is rethrown:
 * input an engine refuses is a bug of the validation, which must refuse it first, the same everywhere.
 */
import { expect } from "vitest";
import { ValidationError } from "../../../src/errors.js";
import { JOB_STATES, type JobRecord } from "../../../src/job.js";
import { Queue } from "../../../src/queue.js";
import type { Engine } from "./engines.js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

export async function outcome<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, error: `${err.name}: ${err.message}` };
    throw err;
  }
}

/**
 * A stored job without what depends on the clock of the call, since each backend got its own call
 * a few ms apart: no `createdAt`; `startedAt`, `finishedAt` and `leaseExpiresAt` only as present;
 * a delayed job's `runAt` set from a delay becomes its distance from `createdAt` (`runAfter`), one
 * given as a time (`relative` false) stays as it is; any other job's `runAt` only as present.
 */
export function comparable(job: JobRecord | null, relative = true): Record<string, unknown> | null {
  if (job === null) return null;
  const { createdAt, runAt, startedAt, finishedAt, leaseExpiresAt, ...rest } = job;
  const out: Record<string, unknown> = rest;
  if (startedAt !== undefined) out.startedAt = true;
  if (finishedAt !== undefined) out.finishedAt = true;
  if (leaseExpiresAt !== undefined) out.leaseExpiresAt = true;
  if (runAt !== undefined) {
    // Only a delayed job's runAt is the caller's; a promoted job's is the clock's.
    if (job.state !== "delayed") out.runAt = true;
    else if (relative) out.runAfter = runAt - createdAt;
    else out.runAt = runAt;
  }
  return out;
}

/** Runs `fn` for each engine in turn and returns the outcomes by engine name. */
export async function acrossEngines<E extends { name: string }, T>(
  engines: readonly E[],
  fn: (engine: E) => Promise<T>,
): Promise<Record<string, Outcome<T>>> {
  const out: Record<string, Outcome<T>> = {};
  for (const engine of engines) out[engine.name] = await outcome(() => fn(engine));
  return out;
}

/** Every engine gave the memory engine's outcome; returns it. */
export function same<T>(outcomes: Record<string, Outcome<T>>): Outcome<T> {
  const first = outcomes.memory as Outcome<T>;
  for (const [engine, got] of Object.entries(outcomes))
    expect({ engine, got }).toEqual({ engine, got: first });
  return first;
}

/** How many jobs `queue` holds, in every state. */
export async function totalJobs(queue: Queue): Promise<number> {
  const counts = await queue.getJobCounts();
  return JOB_STATES.reduce((sum, s) => sum + counts[s], 0);
}

/**
 * Runs `fn` on a Queue named `queue` (fresh: no earlier input used it) of each engine; a call that
 * throws a ValidationError must leave that queue without a job.
 */
export function onEveryEngine<T>(
  engines: readonly Engine[],
  queue: string,
  fn: (q: Queue, engine: Engine) => Promise<T>,
): Promise<Record<string, Outcome<T>>> {
  return acrossEngines(engines, async (engine) => {
    const q = new Queue(queue, { backend: engine.backend });
    try {
      return await fn(q, engine);
    } catch (err) {
      if (err instanceof ValidationError) expect(await totalJobs(q)).toBe(0);
      throw err;
    }
  });
}
