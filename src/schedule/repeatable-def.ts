/**
 * Repeatable job definitions: validation, ids, and the job each slot enqueues.
 */
import type { NewJob } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { checkName, MAX_NAME_BYTES } from "../job.js";
import { buildNewJob } from "../job-options.js";
import { checkKeys, keysOf, REPEAT_HINTS } from "../option-keys.js";
import { getTask } from "../task.js";
import { createSchedule, repeatableId, type Schedule } from "./schedule.js";

/** A job to enqueue on a schedule: exactly one of `every` or `cron`. */
export interface RepeatableDef {
  task: string;
  data?: unknown;
  /** Stable id; default derived from task, data and schedule. */
  id?: string;
  every?: number | string;
  cron?: string;
  /** IANA time zone for `cron` (default: the process's). */
  tz?: string;
  priority?: number;
  retries?: number;
  ttl?: number | string;
}

const REPEATABLE_KEYS = keysOf<RepeatableDef>({
  task: true,
  data: true,
  id: true,
  every: true,
  cron: true,
  tz: true,
  priority: true,
  retries: true,
  ttl: true,
});

/** A durable definition as listed. */
export interface RepeatableInfo {
  id: string;
  def: RepeatableDef;
  nextRun: number;
  paused: boolean;
}

/** A checked definition with its schedule and id. */
export interface PreparedRepeatable {
  id: string;
  def: RepeatableDef;
  schedule: Schedule;
}

/** Bytes its jobs' ids add to a definition's id: "repeat-<id>-<slot>", a slot of up to 16 digits. */
const SLOT_ID_BYTES = 32;

/** Validates a definition (schedule, task name, job options) before anything is stored. */
export function prepareRepeatable(def: RepeatableDef): PreparedRepeatable {
  if (typeof def !== "object" || def === null) {
    throw new ValidationError(
      'a repeatable needs { task, every | cron }, like { task: "report", every: "1h" }',
    );
  }
  checkKeys(def, REPEATABLE_KEYS, "a repeatable definition", REPEAT_HINTS);
  checkName(def.task, "repeatable task");
  const schedule = createSchedule({ every: def.every, cron: def.cron, tz: def.tz });
  const id = def.id ?? repeatableId(def);
  // Its slots' job ids must stay within MAX_NAME_BYTES too.
  const what =
    def.id === undefined ? "repeatable id (made from the task name; give a shorter id)" : "repeatable id";
  checkName(id, what, MAX_NAME_BYTES - SLOT_ID_BYTES);
  repeatableJob(def, id, 0, 0); // validates data and job options now, not at the first slot
  return { id, def, schedule };
}

/**
 * The job slot `slot` of definition `id` enqueues. Its id, `repeat-<id>-<slot>`, names the slot, so
 * a slot that somehow fired twice would still be one job (a duplicate id enqueues nothing).
 */
export function repeatableJob(def: RepeatableDef, id: string, slot: number, now: number): NewJob {
  const options: { priority?: number; retries?: number; ttl?: number | string; jobId: string } = {
    jobId: `repeat-${id}-${slot}`,
  };
  if (def.priority !== undefined) options.priority = def.priority;
  if (def.retries !== undefined) options.retries = def.retries;
  if (def.ttl !== undefined) options.ttl = def.ttl;
  return buildNewJob(def.task, def.data, options, getTask(def.task)?.options, now);
}
