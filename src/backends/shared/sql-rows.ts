/** The `jobs` row both SQL engines store and its conversion to the contract's records. */
import type { JobRecord, JobState, OnParentFailure } from "../../job.js";
import type { JobError, NewJob } from "../backend.js";
import { type StallFacts, setDependencies } from "./rules.js";

/**
 * A row of `jobs` as `SELECT *` returns it (bigint columns already numbers). The engines differ
 * only in how `has_dependants` comes back: a boolean from Postgres, 0/1 from SQLite.
 */
export interface SqlJobRow<Flag extends boolean | number = boolean | number> {
  seq: number;
  queue: string;
  id: string;
  task: string;
  data: string;
  state: JobState;
  priority: number;
  fifo: number;
  attempts: number;
  max_retries: number;
  stalled_count: number;
  /** Stalls charged (fractions; see chargeStall in rules.ts). */
  stall_charge: number;
  /** Jobs its worker held when an earlier sweep found that worker dead (0: none). */
  stall_peers: number;
  created_at: number;
  run_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  ttl: number | null;
  expires_at: number | null;
  timeout: number | null;
  backoff: string | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  depends_on: string | null;
  pending_parents: number;
  has_dependants: Flag;
  on_parent_failure: OnParentFailure | null;
  remove_on_complete: string | null;
  remove_on_fail: string | null;
  remove_at: number | null;
  inherit: string | null;
  /** The producer's trace context (JSON object of propagation headers). */
  trace_context: string | null;
  dedup_key: string | null;
  token: string | null;
  worker_id: string | null;
  lease_expires_at: number | null;
}

/** A fresh record from a row: optional fields absent (not null) when unset. */
export function toRecord(row: SqlJobRow): JobRecord {
  const r: JobRecord = {
    id: row.id,
    queue: row.queue,
    task: row.task,
    data: JSON.parse(row.data),
    state: row.state,
    priority: row.priority,
    attempts: row.attempts,
    maxRetries: row.max_retries,
    createdAt: row.created_at,
    stalledCount: row.stalled_count,
  };
  if (row.stalled_count > 0) r.stallCharge = row.stall_charge;
  if (row.backoff !== null) r.backoff = JSON.parse(row.backoff);
  if (row.ttl !== null) r.ttl = row.ttl;
  if (row.timeout !== null) r.timeout = row.timeout;
  if (row.run_at !== null) r.runAt = row.run_at;
  if (row.started_at !== null) r.startedAt = row.started_at;
  if (row.finished_at !== null) r.finishedAt = row.finished_at;
  if (row.progress !== null) r.progress = JSON.parse(row.progress);
  if (row.result !== null) r.result = JSON.parse(row.result);
  if (row.error !== null) r.error = JSON.parse(row.error);
  if (row.depends_on !== null) setDependencies(r, row.queue, JSON.parse(row.depends_on));
  if (row.on_parent_failure !== null) r.onParentFailure = row.on_parent_failure;
  if (row.remove_on_complete !== null) r.removeOnComplete = JSON.parse(row.remove_on_complete);
  if (row.remove_on_fail !== null) r.removeOnFail = JSON.parse(row.remove_on_fail);
  if (row.inherit !== null) r.inherit = JSON.parse(row.inherit);
  if (row.trace_context !== null) r.traceContext = JSON.parse(row.trace_context);
  if (row.worker_id !== null) r.workerId = row.worker_id;
  if (row.lease_expires_at !== null) r.leaseExpiresAt = row.lease_expires_at;
  return r;
}

/** The stall rule's facts of a row (shared/rules.ts, chargeStall). */
export function stallFacts(row: SqlJobRow): StallFacts {
  return { stalledCount: row.stalled_count, stallCharge: row.stall_charge, stallPeers: row.stall_peers };
}

/** JSON text of an optional value, or null for SQL. */
export function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** The JSON of the last frozen `inherit` list stored: every job added without options shares one. */
let lastInherit: { list: readonly string[]; json: string } | undefined;

/** JSON text of a job's `inherit` list, or null; a frozen list (never changes) is encoded once. */
function inheritJson(list: readonly string[] | undefined): string | null {
  if (list === undefined) return null;
  if (list === lastInherit?.list) return lastInherit.json;
  const json = JSON.stringify(list);
  if (Object.isFrozen(list)) lastInherit = { list, json };
  return json;
}

/** The columns of a new `jobs` row that both SQL engines insert (each adds its own bookkeeping). */
export type NewJobRow = Pick<
  SqlJobRow,
  | "queue"
  | "id"
  | "task"
  | "data"
  | "state"
  | "priority"
  | "max_retries"
  | "created_at"
  | "run_at"
  | "ttl"
  | "timeout"
  | "backoff"
  | "depends_on"
  | "pending_parents"
  | "on_parent_failure"
  | "remove_on_complete"
  | "remove_on_fail"
  | "inherit"
  | "trace_context"
  | "dedup_key"
  | "error"
  | "finished_at"
>;

/**
 * The row of `job` inserted as `id` in `state`. `parents`: its deduplicated `dependsOn`, how many
 * of them it waits on, and the error of a job born failed by a dead parent.
 */
export function newJobRow(
  queue: string,
  id: string,
  job: NewJob,
  state: JobState,
  parents?: { dependsOn: string[] | undefined; pending: number; error: JobError | undefined },
): NewJobRow {
  return {
    queue,
    id,
    task: job.task,
    data: job.dataJson,
    state,
    priority: job.priority,
    max_retries: job.maxRetries,
    created_at: job.createdAt,
    run_at: job.runAt ?? null,
    ttl: job.ttl ?? null,
    timeout: job.timeout ?? null,
    backoff: jsonOrNull(job.backoff),
    depends_on: jsonOrNull(parents?.dependsOn),
    pending_parents: parents?.pending ?? 0,
    on_parent_failure: job.onParentFailure ?? null,
    remove_on_complete: jsonOrNull(job.removeOnComplete),
    remove_on_fail: jsonOrNull(job.removeOnFail),
    inherit: inheritJson(job.inherit),
    trace_context: jsonOrNull(job.traceContext),
    dedup_key: job.dedup?.key ?? null,
    error: jsonOrNull(parents?.error),
    finished_at: state === "failed" ? job.createdAt : null,
  };
}
