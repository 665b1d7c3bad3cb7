/**
 * Repeatable job definitions: validation, ids, their bounds (start, end, limit), and the job each
 * slot enqueues.
 */
import type { NewJob } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { checkInt, checkName, INT32_MAX, MAX_NAME_BYTES } from "../job.js";
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
  /** An interval: slots are the multiples of it since the epoch (plus `offset`), e.g. `"5m"`. */
  every?: number | string;
  /** A cron expression, e.g. `"0 9 * * 1-5"`: 5 fields, 6 with seconds first, or a nickname like `"@daily"`. */
  cron?: string;
  /** IANA time zone for `cron`. Default: UTC. */
  tz?: string;
  /** With `every` only: shifts each slot by this much, from 0 to less than `every`. Default 0. */
  offset?: number | string;
  /**
   * The most jobs it ever enqueues, across every scheduler and restart (counted in the backend).
   * Once reached, the definition stays listed (`ended: true`) and fires nothing. Default: no limit.
   */
  limit?: number;
  /** No slot before this time (epoch ms, a Date or an ISO 8601 string). Default: from now. */
  startDate?: number | Date | string;
  /** No slot after this time (epoch ms, a Date or an ISO 8601 string); then it has ended. Default: never. */
  endDate?: number | Date | string;
  /**
   * Fire the current slot at once (the latest slot up to now, no earlier than `startDate`) instead
   * of waiting for the next, when the definition has never fired. Default false.
   */
  immediately?: boolean;
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
  offset: true,
  limit: true,
  startDate: true,
  endDate: true,
  immediately: true,
  priority: true,
  retries: true,
  ttl: true,
});

/** A durable definition as listed. */
export interface RepeatableInfo {
  id: string;
  def: RepeatableDef;
  /** Its next slot (epoch ms); past `endDate` or its `limit`, it has ended and never comes. */
  nextRun: number;
  paused: boolean;
  /** Jobs it has enqueued so far (slots fired), counted in the backend. */
  runs: number;
  /** True once it fires no more: `limit` jobs enqueued, or its next slot is after `endDate`. */
  ended: boolean;
}

/** A checked definition with its schedule, id and bounds. */
export interface PreparedRepeatable {
  id: string;
  def: RepeatableDef;
  /** Its slots from `startDate` on (`nextAfter` goes past `endDate`: see {@link hasEnded}). */
  schedule: Schedule;
  limit?: number;
  /** `endDate` in epoch ms. */
  endAt?: number;
}

/** Bytes its jobs' ids add to a definition's id: "repeat-<id>-<slot>", a slot of up to 16 digits. */
const SLOT_ID_BYTES = 32;

/** Validates a definition (schedule, bounds, task name, job options) before anything is stored. */
export function prepareRepeatable(def: RepeatableDef): PreparedRepeatable {
  if (typeof def !== "object" || def === null) {
    throw new ValidationError(
      'a repeatable needs { task, every | cron }, like { task: "report", every: "1h" }',
    );
  }
  checkKeys(def, REPEATABLE_KEYS, "a repeatable definition", REPEAT_HINTS);
  checkName(def.task, "repeatable task");
  const { every, cron, tz, offset } = def;
  const schedule = createSchedule({ every, cron, tz, offset });
  const id = def.id ?? repeatableId(def);
  // Its slots' job ids must stay within MAX_NAME_BYTES too.
  const what =
    def.id === undefined ? "repeatable id (made from the task name; give a shorter id)" : "repeatable id";
  checkName(id, what, MAX_NAME_BYTES - SLOT_ID_BYTES);
  if (def.immediately !== undefined && typeof def.immediately !== "boolean") {
    throw new ValidationError(`immediately must be true or false, got ${JSON.stringify(def.immediately)}`);
  }
  const prepared: PreparedRepeatable = { id, def, schedule };
  if (def.limit !== undefined) prepared.limit = checkInt(def.limit, "limit", 1, INT32_MAX);
  const startAt = def.startDate === undefined ? undefined : toEpoch(def.startDate, "startDate");
  if (def.endDate !== undefined) prepared.endAt = toEpoch(def.endDate, "endDate");
  if (startAt !== undefined && prepared.endAt !== undefined && prepared.endAt < startAt) {
    throw new ValidationError(
      `endDate (${iso(prepared.endAt)}) is before startDate (${iso(startAt)}); no slot could fire`,
    );
  }
  if (startAt !== undefined) prepared.schedule = from(schedule, startAt);
  repeatableJob(def, id, 0, 0); // validates data and job options now, not at the first slot
  return prepared;
}

/** Whether a definition fires no more: `limit` runs reached, or its next slot `due` is after `endDate`. */
export function hasEnded(p: PreparedRepeatable, runs: number, due: number): boolean {
  return (p.limit !== undefined && runs >= p.limit) || (p.endAt !== undefined && due > p.endAt);
}

/**
 * The first slot of a definition that has never fired (`fired` false): the current slot with
 * `immediately` (when there is one since `startDate`), else the next one after `now`.
 */
export function firstSlot(p: PreparedRepeatable, now: number, fired: boolean): number {
  const latest = p.def.immediately && !fired ? p.schedule.latestAtOrBefore(now) : null;
  return latest ?? p.schedule.nextAfter(now);
}

/**
 * The slot to fire when the scheduler is at `now`: the latest slot up to now (no later than
 * `endDate`), or null when there is none since `startDate`.
 */
export function latestSlot(p: PreparedRepeatable, now: number): number | null {
  return p.schedule.latestAtOrBefore(p.endAt === undefined ? now : Math.min(now, p.endAt));
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

/** `schedule` with no slot before `startAt`. */
function from(schedule: Schedule, startAt: number): Schedule {
  return {
    nextAfter: (t) => schedule.nextAfter(Math.max(t, startAt - 1)),
    latestAtOrBefore(t) {
      const latest = schedule.latestAtOrBefore(t);
      return latest !== null && latest >= startAt ? latest : null;
    },
    describe: () => `${schedule.describe()} from ${iso(startAt)}`,
  };
}

/** A time given as epoch ms, a Date or an ISO 8601 string, in epoch ms. */
function toEpoch(value: unknown, what: string): number {
  const ms =
    typeof value === "number"
      ? value
      : value instanceof Date
        ? value.getTime()
        : typeof value === "string"
          ? Date.parse(value)
          : Number.NaN;
  if (!Number.isFinite(ms) || Number.isNaN(new Date(ms).getTime())) {
    throw new ValidationError(
      `${what} must be epoch ms, a valid Date or an ISO 8601 string like "2030-01-01T09:00:00Z", got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(ms);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
