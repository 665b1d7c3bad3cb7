/**
 * The `jobs` table's row shape, how rows are read, and their conversion to the contract's records;
 * and the flags a `queues` row holds.
 */
import type { Statement } from "better-sqlite3";
import { BackendError } from "../../errors.js";
import type { ClaimedJob } from "../../job.js";
import { type SqlJobRow, toRecord } from "../shared/sql-rows.js";
import type { Statements } from "./statements.js";

/** A row of `jobs` as SQLite returns it (`has_dependants` 0 or 1). */
export type JobRow = SqlJobRow<number>;

/** What a fenced finish statement returns (`retention`: its removeOnComplete / removeOnFail). */
export type FinishedRow = Pick<
  JobRow,
  "seq" | "id" | "state" | "task" | "attempts" | "has_dependants" | "dedup_key" | "depends_on"
> & { retention: string | null };

/** The position of each column of `stmt` by name. */
function positions<Row>(stmt: Statement): Record<keyof Row, number> {
  const at = {} as Record<keyof Row, number>;
  stmt.columns().forEach((column, i) => {
    at[column.name as keyof Row] = i;
  });
  return at;
}

/** Fails at start-up for a statement that lacks a column its reader reads (it would read undefined). */
function requireColumns(row: object, name: string, what: string): void {
  for (const [column, value] of Object.entries(row)) {
    if (value === undefined) throw new BackendError(`statement ${name} does not return ${what}${column}`);
  }
}

/** A row object built from a raw row: `v` its values, `at` the position of each column by name. */
type Build<Row> = (v: unknown[], at: Readonly<Record<keyof Row, number>>) => Row;

/**
 * Reads a statement's rows in raw (array) mode and builds the objects itself: better-sqlite3
 * materialises a 34-column row as an array about twice as fast as as an object, and claim reads one
 * row per job it hands out (the finishes one per job they end, about 1 us less a job than object
 * rows: docs/performance.md). Column positions come from the statement, so column order never matters.
 */
export class RowReader<Row> {
  readonly #stmt: Statement;
  readonly #at: Readonly<Record<keyof Row, number>>;
  readonly #build: Build<Row>;

  /** @param what how a missing column is named in the start-up error ("jobs." for a jobs row). */
  constructor(stmt: Statement, name: string, build: Build<Row>, what = "") {
    this.#at = positions<Row>(stmt);
    this.#build = build;
    // The names read as a row: a column that `build` reads and the statement lacks comes out undefined.
    requireColumns(
      build(
        stmt.columns().map((c) => c.name),
        this.#at,
      ) as object,
      name,
      what,
    );
    this.#stmt = stmt.raw(true);
  }

  get(...params: unknown[]): Row | undefined {
    const values = this.#stmt.get(...params) as unknown[] | undefined;
    return values === undefined ? undefined : this.#build(values, this.#at);
  }

  all(...params: unknown[]): Row[] {
    const rows = this.#stmt.all(...params) as unknown[][];
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.#build(rows[i] as unknown[], this.#at);
    return out;
  }
}

/** Reads `SELECT *` rows of `jobs` (the statements of JOB_READERS). */
export type JobReader = RowReader<JobRow>;

export function jobReader(stmt: Statement, name: string): JobReader {
  return new RowReader(stmt, name, jobRow, "jobs.");
}

/** Reads the row a fenced finish statement returns (complete, fail, expireActive). */
export type FinishedReader = RowReader<FinishedRow>;

export function finishedReader(stmt: Statement, name: string): FinishedReader {
  return new RowReader(stmt, name, finishedRow);
}

function jobRow(v: unknown[], at: Readonly<Record<keyof JobRow, number>>): JobRow {
  return {
    seq: v[at.seq] as JobRow["seq"],
    queue: v[at.queue] as JobRow["queue"],
    id: v[at.id] as JobRow["id"],
    task: v[at.task] as JobRow["task"],
    data: v[at.data] as JobRow["data"],
    state: v[at.state] as JobRow["state"],
    priority: v[at.priority] as JobRow["priority"],
    fifo: v[at.fifo] as JobRow["fifo"],
    attempts: v[at.attempts] as JobRow["attempts"],
    max_retries: v[at.max_retries] as JobRow["max_retries"],
    stalled_count: v[at.stalled_count] as JobRow["stalled_count"],
    stall_charge: v[at.stall_charge] as JobRow["stall_charge"],
    stall_peers: v[at.stall_peers] as JobRow["stall_peers"],
    created_at: v[at.created_at] as JobRow["created_at"],
    run_at: v[at.run_at] as JobRow["run_at"],
    started_at: v[at.started_at] as JobRow["started_at"],
    finished_at: v[at.finished_at] as JobRow["finished_at"],
    ttl: v[at.ttl] as JobRow["ttl"],
    expires_at: v[at.expires_at] as JobRow["expires_at"],
    timeout: v[at.timeout] as JobRow["timeout"],
    backoff: v[at.backoff] as JobRow["backoff"],
    progress: v[at.progress] as JobRow["progress"],
    result: v[at.result] as JobRow["result"],
    error: v[at.error] as JobRow["error"],
    depends_on: v[at.depends_on] as JobRow["depends_on"],
    pending_parents: v[at.pending_parents] as JobRow["pending_parents"],
    has_dependants: v[at.has_dependants] as JobRow["has_dependants"],
    on_parent_failure: v[at.on_parent_failure] as JobRow["on_parent_failure"],
    remove_on_complete: v[at.remove_on_complete] as JobRow["remove_on_complete"],
    remove_on_fail: v[at.remove_on_fail] as JobRow["remove_on_fail"],
    remove_at: v[at.remove_at] as JobRow["remove_at"],
    inherit: v[at.inherit] as JobRow["inherit"],
    trace_context: v[at.trace_context] as JobRow["trace_context"],
    dedup_key: v[at.dedup_key] as JobRow["dedup_key"],
    token: v[at.token] as JobRow["token"],
    worker_id: v[at.worker_id] as JobRow["worker_id"],
    lease_expires_at: v[at.lease_expires_at] as JobRow["lease_expires_at"],
  };
}

function finishedRow(v: unknown[], at: Readonly<Record<keyof FinishedRow, number>>): FinishedRow {
  return {
    seq: v[at.seq] as number,
    id: v[at.id] as string,
    state: v[at.state] as FinishedRow["state"],
    task: v[at.task] as string,
    attempts: v[at.attempts] as number,
    retention: v[at.retention] as string | null,
    has_dependants: v[at.has_dependants] as number,
    dedup_key: v[at.dedup_key] as string | null,
    depends_on: v[at.depends_on] as string | null,
  };
}

/** The record a claim hands out: the row after markActive, plus its token. */
export function toClaimed(
  row: JobRow,
  now: number,
  token: string,
  workerId: string,
  leaseExpiresAt: number,
): ClaimedJob {
  row.attempts += 1;
  row.state = "active";
  row.started_at = now;
  row.worker_id = workerId;
  row.lease_expires_at = leaseExpiresAt;
  const job = toRecord(row) as ClaimedJob;
  job.token = token;
  return job;
}

/** A queue's pause flag (0/1) and global concurrency (null: none); undefined while it has no row. */
export function queueFlags(
  s: Statements,
  queue: string,
): { paused: number; global_concurrency: number | null } | undefined {
  return s.queueFlags.get(queue) as { paused: number; global_concurrency: number | null } | undefined;
}
