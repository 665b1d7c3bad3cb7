/**
 * What one call did, in a form that compares across backends: its value, or the ValidationError it
 * threw (class and message). Any other error (BackendError, RangeError, TypeError...) is rethrown:
 * input an engine refuses is a bug of the validation, which must refuse it first, the same everywhere.
 */
import { ValidationError } from "../../../src/errors.js";
import type { JobRecord } from "../../../src/job.js";

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
 * A stored job without what depends on the clock of the call: `createdAt` goes, `runAt` becomes its
 * distance from `createdAt` (each backend got its own `add` call, a few ms apart).
 */
export function comparable(job: JobRecord | null): Record<string, unknown> | null {
  if (job === null) return null;
  const { createdAt, runAt, ...rest } = job;
  return runAt === undefined ? rest : { ...rest, runAfter: runAt - createdAt };
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
