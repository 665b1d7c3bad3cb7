/**
 * Loads the `.sql` files beside this module (copied into dist/ by the build) and prepares every
 * statement once per connection. A file holds one transition: a header comment, then statements
 * each introduced by a `-- @name <statementName>` line.
 */
import type { Database, Statement } from "better-sqlite3";
import { loadNamedStatements, readAssetAt } from "../shared/sql-files.js";
import { type FinishedReader, finishedReader, type JobReader, jobReader } from "./rows.js";

/** Every statement, by file; loading checks that each file defines exactly these names. */
const SQL_FILES = {
  enqueue: [
    "queueEnsure",
    "queueCounters",
    "queueStoreCounters",
    "jobInsert",
    "dedupGet",
    "dedupSet",
    "dedupExtend",
    "depInsert",
    "markHasDependants",
  ],
  jobs: ["jobGet", "jobDelete", "logsDelete", "dedupRelease", "depsDeleteAsChild", "depsDeleteAsParent"],
  claim: ["claimCandidates", "claimOne", "markActive"],
  complete: ["complete"],
  retry: ["retry"],
  fail: ["fail", "expireActive"],
  release: ["release"],
  "move-to-delayed": ["moveToDelayed"],
  "move-to-waiting-children": ["moveToWaitingChildren"],
  "end-job": ["endJob"],
  dependants: ["dependantsOf", "parentResolved", "parentsDropped", "ready"],
  "dependency-results": ["keepOutcome", "keptOutcomes", "outcomesDelete"],
  retention: ["setRemoveAt", "finishedCount", "finishedCountAdd", "oldestFinished", "dueRemovals"],
  leases: ["extendLease", "progress"],
  logs: ["addLog", "getLogs"],
  "promote-delayed": ["dueDelayed", "promote", "nextDelayed"],
  "recover-stalled": [
    "nextLeaseExpiry",
    "expiredLeases",
    "heldByWorker",
    "markPeers",
    "requeueStalled",
    "chargeStall",
  ],
  "expire-due": ["dueExpiries"],
  repeatables: [
    "repeatableUpsert",
    "repeatableGet",
    "repeatableList",
    "repeatableDelete",
    "repeatableSetPaused",
    "repeatableSetNextRun",
    "slotGet",
    "slotSet",
    "slotDelete",
  ],
  "rate-token": ["bucketGet", "bucketSet"],
  "get-jobs": ["jobsDesc", "jobsAsc", "activeJobs", "countUnfinished", "countFinished"],
  "retry-job": ["retryJob"],
  "retry-jobs": ["retryable"],
  "promote-job": ["promoteJob"],
  "update-data": ["updateData"],
  "change-priority": ["changePriority"],
  "change-delay": ["changeDelay"],
  "dedup-key": ["dedupJobId", "dedupRemove"],
  clean: ["drainable", "cleanFinished", "cleanUnfinished"],
  obliterate: [
    "activeCount",
    "crossParents",
    "wipeJobs",
    "wipeLogs",
    "wipeDeps",
    "wipeDepsAsChild",
    "wipeOutcomes",
    "wipeDedup",
    "wipeRepeatables",
    "wipeSlots",
    "wipeCounts",
    "wipeBucket",
    "wipeMetrics",
    "resetFlags",
  ],
  queues: ["isPaused", "queueFlags", "setPaused", "setGlobalConcurrency", "listQueues"],
  workers: ["workerUpsert", "workerDelete", "workerList", "workerPrune"],
  leaders: ["leaderTake", "leaderResign"],
  metrics: ["metricsAdd", "metricsPrune", "metricsRange", "metricsTotals"],
  notify: [
    "wakeBump",
    "wakeCounters",
    "remoteSubscriber",
    "subscriberUpsert",
    "subscriberDelete",
    "subscriberPrune",
    "eventInsert",
    "eventsAfter",
    "eventsLastId",
    "eventsTrim",
    "dataVersion",
  ],
} as const;

/** Statements that return whole `jobs` rows (`SELECT *`); they are wrapped in a {@link JobReader}. */
const JOB_READERS = [
  "jobGet",
  "claimCandidates",
  "claimOne",
  "dependantsOf",
  "oldestFinished",
  "dueRemovals",
  "expiredLeases",
  "dueExpiries",
  "jobsDesc",
  "jobsAsc",
  "activeJobs",
  "drainable",
  "cleanFinished",
  "cleanUnfinished",
] as const;

/** The fenced finishes, whose RETURNING row is read by a {@link FinishedReader}. */
const FINISHED_READERS = ["complete", "fail", "expireActive"] as const;

type SqlFiles = typeof SQL_FILES;
/** The name of a prepared statement. */
type StatementName = SqlFiles[keyof SqlFiles][number];
type JobReaderName = (typeof JOB_READERS)[number];
type FinishedReaderName = (typeof FINISHED_READERS)[number];
/** Every prepared statement of one connection, by name. */
export type Statements = Record<Exclude<StatementName, JobReaderName | FinishedReaderName>, Statement> &
  Record<JobReaderName, JobReader> &
  Record<FinishedReaderName, FinishedReader> & {
    /** jobInsert with INSERT_BATCH rows of values. */
    jobInsertBatch: Statement;
  };

/** Rows of one multi-row job INSERT (`jobInsertBatch`): 24 columns each, far below SQLite's 32,766 variables. */
export const INSERT_BATCH = 64;
/** The columns of a job INSERT (enqueue.sql's jobInsert). */
export const JOB_COLUMNS = 24;

/** Reads an asset file that sits beside this module (src/ under vitest, dist/ when built). */
export function readAsset(relativePath: string): string {
  return readAssetAt(new URL(relativePath, import.meta.url));
}

/** Prepares every statement of every file on `db`. */
export function prepareStatements(db: Database): Statements {
  const statements: Record<string, Statement | JobReader | FinishedReader> = {};
  const readers = new Set<string>(JOB_READERS);
  const finishes = new Set<string>(FINISHED_READERS);
  loadNamedStatements<StatementName>(SQL_FILES, readAsset, (name, sql) => {
    const stmt = db.prepare(sql);
    if (readers.has(name)) statements[name] = jobReader(stmt, name);
    else statements[name] = finishes.has(name) ? finishedReader(stmt, name) : stmt;
    if (name === "jobInsert") statements.jobInsertBatch = db.prepare(repeatRows(sql, INSERT_BATCH));
  });
  return statements as unknown as Statements;
}

/** An `INSERT ... VALUES (?, ...)` statement with its one row of values written `rows` times. */
function repeatRows(sql: string, rows: number): string {
  const at = sql.lastIndexOf("VALUES");
  const tuple = sql
    .slice(at + "VALUES".length)
    .replace(/;\s*$/, "")
    .trim();
  if (at < 0 || !/^\(\?(, \?)*\)$/.test(tuple) || tuple.split("?").length - 1 !== JOB_COLUMNS)
    throw new Error(`not a one-row INSERT of ${JOB_COLUMNS} values: ${sql}`);
  return `${sql.slice(0, at)}VALUES ${Array<string>(rows).fill(tuple).join(", ")}`;
}
