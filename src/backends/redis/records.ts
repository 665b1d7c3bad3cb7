/**
 * How jobs travel to the Lua scripts (positional arguments) and come back (positional field values),
 * and how a script reports its effects.
 */
import type { ClaimedJob, JobRecord, JobState, OnParentFailure, RetentionSpec } from "../../job.js";
import type { NewJob, QueueEvent } from "../backend.js";
import type { Effects } from "../engine.js";
import { wakeReasons } from "../shared/effects.js";
import { readRetention, setDependencies } from "../shared/rules.js";

/**
 * What `flush()` of lua/includes/events.lua returns: the events as a JSON array ('' when none or
 * unwanted), the wake-up reasons raised as WAKE_BITS, and, when the script changed other queues (a
 * dependant settled there), their name, events and wake bits, three by three.
 */
export type EffectsReply = [events: string, wakeBits: number, others?: Array<string | number>];

/** The effects a script reported, or undefined when it had none for this process. */
export function effectsOf([events, wakeBits, others]: EffectsReply): Effects | undefined {
  const own = effectsOfOne(events, wakeBits);
  if (others === undefined || others.length === 0) return own;
  const list: Array<{ queue: string; effects: Effects }> = [];
  for (let i = 0; i + 2 < others.length; i += 3) {
    const effects = effectsOfOne(String(others[i + 1]), Number(others[i + 2]));
    if (effects !== undefined) list.push({ queue: String(others[i]), effects });
  }
  if (list.length === 0) return own;
  return { ...own, others: list };
}

function effectsOfOne(events: string, wakeBits: number): Effects | undefined {
  if (events === "" && wakeBits === 0) return undefined;
  return {
    events: events === "" ? undefined : (JSON.parse(events) as QueueEvent[]),
    wakes: wakeBits === 0 ? undefined : wakeReasons(wakeBits),
  };
}

/** The job hash fields a record is read from, in the order of RECORD_FIELDS in lua/includes/records.lua. */
export const RECORD_FIELDS = (
  "id task data state priority attempts maxRetries backoff ttl timeout createdAt runAt startedAt finishedAt " +
  "progress result error dependsOn stalledCount onParentFailure removeOnComplete removeOnFail inherit workerId " +
  "leaseExpiresAt stallCharge traceContext"
).split(" ");

/** A record's field values as HMGET returns them (null when unset). */
export type RawRecord = Array<string | null>;

/** Builds a JobRecord (optional fields absent when unset) from RECORD_FIELDS values. */
export function toRecord(queue: string, v: RawRecord): JobRecord {
  const r: JobRecord = {
    id: v[0] as string,
    queue,
    task: v[1] as string,
    data: JSON.parse(v[2] as string),
    state: v[3] as JobState,
    priority: Number(v[4]),
    attempts: Number(v[5]),
    maxRetries: Number(v[6]),
    createdAt: Number(v[10]),
    stalledCount: Number(v[18]),
  };
  if (r.stalledCount > 0) r.stallCharge = Number(v[25] ?? 0);
  if (v[7] != null) r.backoff = JSON.parse(v[7]);
  if (v[8] != null) r.ttl = Number(v[8]);
  if (v[9] != null) r.timeout = Number(v[9]);
  if (v[11] != null) r.runAt = Number(v[11]);
  if (v[12] != null) r.startedAt = Number(v[12]);
  if (v[13] != null) r.finishedAt = Number(v[13]);
  if (v[14] != null) r.progress = JSON.parse(v[14]);
  if (v[15] != null) r.result = JSON.parse(v[15]);
  if (v[16] != null) r.error = JSON.parse(v[16]);
  if (v[17] != null) setDependencies(r, queue, JSON.parse(v[17]));
  if (v[19] != null) r.onParentFailure = v[19] as OnParentFailure;
  if (v[20] != null) r.removeOnComplete = JSON.parse(v[20]);
  if (v[21] != null) r.removeOnFail = JSON.parse(v[21]);
  if (v[22] != null) r.inherit = JSON.parse(v[22]);
  if (v[23] != null) r.workerId = v[23];
  if (v[24] != null) r.leaseExpiresAt = Number(v[24]);
  if (v[26] != null) r.traceContext = JSON.parse(v[26]);
  return r;
}

/**
 * A claimed record as the claim scripts return it (lua/includes/claiming.lua): a JSON array of the
 * RECORD_FIELDS values, false when absent, followed by the lease token.
 */
export function toClaimed(queue: string, json: string): ClaimedJob {
  const v = JSON.parse(json) as Array<string | false | null>;
  for (let i = 0; i < v.length; i++) if (v[i] === false) v[i] = null;
  const job = toRecord(queue, v as RawRecord) as ClaimedJob;
  job.token = v[RECORD_FIELDS.length] as string;
  return job;
}

/**
 * A job as the scripts take it (see `insert` in lua/includes/insert.lua): 23 strings, '' when absent, sent as
 * part of one JSON argument per batch. Retention specs also go in a compact form the scripts read
 * without decoding JSON: "1" (delete at once) or "<age>|<count>".
 */
export function jobArgs(job: NewJob): string[] {
  return [
    job.id ?? "",
    job.task,
    job.dataJson,
    String(job.priority),
    String(job.maxRetries),
    job.backoff === undefined ? "" : JSON.stringify(job.backoff),
    job.ttl === undefined ? "" : String(job.ttl),
    job.timeout === undefined ? "" : String(job.timeout),
    String(job.createdAt),
    job.runAt === undefined ? "" : String(job.runAt),
    job.dependsOn === undefined ? "" : JSON.stringify(job.dependsOn),
    job.onParentFailure ?? "",
    job.removeOnComplete === undefined ? "" : JSON.stringify(job.removeOnComplete),
    job.removeOnFail === undefined ? "" : JSON.stringify(job.removeOnFail),
    retentionCode(job.removeOnComplete),
    retentionCode(job.removeOnFail),
    job.inherit === undefined ? "" : JSON.stringify(job.inherit),
    job.dedup?.key ?? "",
    job.dedup?.ttl === undefined ? "" : String(job.dedup.ttl),
    job.dedup?.extend ? "1" : "",
    job.dedup?.replace ? "1" : "",
    job.lifo ? "1" : "",
    job.traceContext === undefined ? "" : JSON.stringify(job.traceContext),
  ];
}

function retentionCode(spec: RetentionSpec | undefined): string {
  const retention = readRetention(spec);
  if (retention === true || retention === null) return retention ? "1" : "";
  const code = `${retention.ageMs ?? ""}|${retention.count ?? ""}`;
  return code === "|" ? "" : code;
}
