/** The `deduplication` option of a job: its type and its validation into the backend's `dedup`. */
import type { NewJob } from "./backends/backend.js";
import { ValidationError } from "./errors.js";
import { checkJobRef, toMsOpt } from "./job.js";
import { checkKeys } from "./option-keys.js";

/**
 * `deduplication` (BullMQ's option of that name; pg-boss's `singletonKey`): while the job added
 * under `id` holds it, another add with the same `id` returns that job's id instead of adding one
 * (`job:duplicated`).
 */
export interface DeduplicationOptions {
  /** The deduplication id; a string of at most 512 bytes. */
  id: string;
  /**
   * How long, after the holder was added, the id holds (ms, or a string such as `"5s"`), whatever
   * state the holder is in. Default: no ttl, the id holds while its job is unfinished.
   */
  ttl?: number | string;
  /**
   * Each duplicate within the ttl restarts the ttl from its own add, so a steady stream of adds
   * keeps being deduplicated (BullMQ's `extend`). Needs `ttl`. Default: false.
   */
  extend?: boolean;
  /**
   * While the job holding the id is `delayed` (it has not started), this add replaces it (BullMQ's
   * `replace`): that job is removed, as `queue.removeJob` removes it, and this one is added with a
   * new id and takes the id, in one atomic step; `add` returns the new id and no `job:duplicated` is
   * emitted. A holder in any other state is returned as a plain duplicate. With a `delay`, a burst
   * of adds leaves only the last one, which runs `delay` after it (debounce). Default: false.
   */
  replace?: boolean;
}

/** What the producer wrote: anything, as it arrives from untyped callers. */
type Loose = { [K in keyof DeduplicationOptions]?: unknown };

/** Validates `deduplication` into the backend's `dedup`. */
export function checkDeduplication(value: unknown): NonNullable<NewJob["dedup"]> {
  const d = value as Loose | null;
  if (typeof d !== "object" || d === null || typeof d.id !== "string" || d.id === "") {
    throw new ValidationError(
      "deduplication must be { id: string, ttl?: duration, extend?: boolean, replace?: boolean }",
    );
  }
  checkKeys(d, ["id", "ttl", "extend", "replace"], "deduplication");
  const dedup: NonNullable<NewJob["dedup"]> = { key: checkJobRef(d.id, "deduplication.id") };
  const ttl = toMsOpt(d.ttl as number | string | undefined, "deduplication.ttl");
  if (ttl !== undefined) dedup.ttl = ttl;
  if (flag(d.extend, "extend")) {
    if (ttl === undefined) {
      throw new ValidationError(
        'deduplication.extend restarts the ttl, so it needs one: give deduplication.ttl (e.g. ttl: "5s"), or drop extend',
      );
    }
    dedup.extend = true;
  }
  if (flag(d.replace, "replace")) dedup.replace = true;
  return dedup;
}

function flag(value: unknown, name: string): boolean {
  if (value === undefined || typeof value === "boolean") return value === true;
  throw new ValidationError(`deduplication.${name} must be true or false, got ${JSON.stringify(value)}`);
}
