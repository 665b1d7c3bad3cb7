import { createHash } from "node:crypto";
import { Cron } from "croner";
import { ValidationError } from "../errors.js";
import { checkName, encodeJson, toMs } from "../job.js";

/** When a repeatable job is due. Times are epoch ms. */
export interface Schedule {
  /** The first slot strictly after `t` (`Infinity` when the schedule never fires again, e.g. a cron limited to past years). */
  nextAfter(t: number): number;
  /** The most recent slot at or before `t` (for catch-up after downtime), or `null` if there is none. */
  latestAtOrBefore(t: number): number | null;
  /** A short human description, e.g. `every 5000ms` or `cron "0 9 * * *" (America/New_York)`. */
  describe(): string;
}

/** What a schedule is built from: exactly one of `every` / `cron`. */
export interface ScheduleDef {
  /** Interval: ms (fractions rounded) or a duration string (`"5s"`); at least {@link MIN_EVERY_MS}. */
  every?: number | string;
  /** Cron expression: 5 fields (minute precision), 6 (with seconds first) or 7 (with year last). */
  cron?: string;
  /** IANA time zone for `cron` (default: UTC). Accepted but ignored with `every`, whose slots are zone-free. */
  tz?: string;
  /**
   * With `every` only: shifts every slot by this much, from 0 to less than `every` (`every: "1h",
   * offset: "15m"` fires at a quarter past each hour). Default 0.
   */
  offset?: number | string;
}

/** The smallest `every` interval, in ms: finer would flood the queue with one job per slot. */
export const MIN_EVERY_MS = 10;

/**
 * Builds a {@link Schedule}.
 *
 * - `every`: slots are the epoch multiples of the interval, so every scheduler in every process
 *   computes the same slot times without coordinating.
 * - `cron`: evaluated by `croner` in `tz` (default UTC, so a schedule never depends on the host's zone).
 *
 * @throws ValidationError when neither or both of `every` / `cron` are given, `every` is not a whole
 *   number of ms >= {@link MIN_EVERY_MS}, the cron expression is invalid, or `tz` is unknown.
 */
export function createSchedule(def: ScheduleDef): Schedule {
  const { every, cron, tz, offset } = checkDef(def);
  if (every !== undefined) return everySchedule(every, offset ?? 0);
  return cronSchedule(cron as string, tz);
}

/**
 * A stable id for a repeatable definition: `<task>-<16 hex chars>`, the hex being the sha1 of a
 * canonical JSON (sorted keys) of the task, data and schedule. `every: "5s"` and `every: 5000`
 * give the same id, and so do objects with the same keys in another order; an `offset` other than
 * 0 is part of the schedule. Contains no `:`.
 * @throws ValidationError on an invalid task name, data or schedule.
 */
export function repeatableId(def: {
  task: string;
  data?: unknown;
  every?: number | string;
  cron?: string;
  tz?: string;
  offset?: number | string;
}): string {
  const task = checkName(def.task, "repeatable task");
  const { every, cron, tz, offset } = checkDef(def);
  // Parse the cron too: an id for a schedule that cannot run would only hide the mistake.
  if (cron !== undefined) cronSchedule(cron, tz);
  // Validate the data as a job payload would be; the size limit is the enqueuer's business.
  const data = def.data === undefined ? null : JSON.parse(encodeJson(def.data, "repeatable data", null));
  // Without an offset the key is as before offsets existed, so existing definitions keep their ids.
  const key =
    every !== undefined
      ? { task, data, every, ...(offset ? { offset } : {}) }
      : { task, data, cron, tz: tz ?? "UTC" };
  const hash = createHash("sha1").update(canonicalJson(key)).digest("hex").slice(0, 16);
  return `${task}-${hash}`;
}

// ---------------------------------------------------------------------------------------------

interface CheckedDef {
  every?: number;
  cron?: string;
  tz?: string;
  offset?: number;
}

function checkDef(def: ScheduleDef): CheckedDef {
  if (typeof def !== "object" || def === null) {
    throw new ValidationError(`a schedule must be an object with "every" or "cron", got ${String(def)}`);
  }
  const hasEvery = def.every !== undefined && def.every !== null;
  const hasCron = def.cron !== undefined && def.cron !== null;
  if (hasEvery === hasCron) {
    throw new ValidationError(
      `a repeatable needs exactly one of "every" (e.g. "5m") or "cron" (e.g. "0 9 * * *"), got ${
        hasEvery ? "both" : "neither"
      }`,
    );
  }
  const out: CheckedDef = {};
  if (def.tz !== undefined && def.tz !== null) out.tz = checkTimeZone(def.tz);
  if (hasEvery) {
    const ms = toMs(def.every as number | string, "every");
    if (!Number.isInteger(ms) || ms < MIN_EVERY_MS) {
      throw new ValidationError(
        `every must be a whole number of milliseconds >= ${MIN_EVERY_MS} (e.g. 5000 or "5s"), got ${JSON.stringify(def.every)}`,
      );
    }
    out.every = ms;
    if (def.offset !== undefined && def.offset !== null) {
      out.offset = toMs(def.offset, "offset");
      if (out.offset >= ms) {
        throw new ValidationError(
          `offset must be less than every (${ms} ms), got ${JSON.stringify(def.offset)}; it shifts each slot within its interval`,
        );
      }
    }
  } else {
    if (def.offset !== undefined && def.offset !== null) {
      throw new ValidationError(
        `offset shifts the slots of "every" only; with cron, write the time into the expression (e.g. "15 * * * *" for a quarter past each hour)`,
      );
    }
    if (typeof def.cron !== "string") {
      throw new ValidationError(`cron must be a string like "0 9 * * *", got ${JSON.stringify(def.cron)}`);
    }
    // Collapse whitespace so that spacing differences do not change the repeatable's id.
    out.cron = def.cron.trim().split(/\s+/).join(" ");
  }
  return out;
}

function checkTimeZone(tz: unknown): string {
  if (typeof tz === "string" && tz.length > 0) {
    try {
      // Intl is the authority croner itself uses; this rejects unknown zones up front, since
      // croner only fails later, on the first date computation.
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return tz;
    } catch {
      // fall through
    }
  }
  throw new ValidationError(
    `tz ${JSON.stringify(tz)} is not a known IANA time zone; use a name like "UTC", "Europe/Berlin" or "America/New_York"`,
  );
}

function everySchedule(every: number, offset: number): Schedule {
  return {
    nextAfter: (t) => (Math.floor((t - offset) / every) + 1) * every + offset,
    latestAtOrBefore: (t) => Math.floor((t - offset) / every) * every + offset,
    describe: () => (offset ? `every ${every}ms at offset ${offset}ms` : `every ${every}ms`),
  };
}

function cronSchedule(expr: string, tz: string | undefined): Schedule {
  const timezone = tz ?? "UTC";
  let cron: Cron;
  try {
    cron = new Cron(expr, { timezone, paused: true });
    // Some mistakes surface only when a date is computed; find them now.
    cron.nextRun(new Date());
  } catch (err) {
    throw new ValidationError(
      `invalid cron expression "${expr}" (${(err as Error).message}); use 5 fields "minute hour day-of-month month day-of-week" like "0 9 * * 1-5", 6 with seconds first, or a nickname like "@daily"`,
      { cause: err },
    );
  }
  return {
    nextAfter(t) {
      // croner returns runs strictly after the reference, which is what a slot "after t" means.
      const next = cron.nextRun(new Date(t));
      return next ? next.getTime() : Number.POSITIVE_INFINITY;
    },
    latestAtOrBefore(t) {
      // croner's previousRuns excludes a run exactly at the reference, so look from just after t;
      // it walks the pattern fields backwards itself, so sparse schedules stay cheap.
      const prev = cron.previousRuns(1, new Date(Math.floor(t) + 1))[0];
      return prev ? prev.getTime() : null;
    },
    describe: () => `cron "${expr}" (${timezone})`,
  };
}

/** JSON with object keys sorted at every level, so equal values always hash the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
