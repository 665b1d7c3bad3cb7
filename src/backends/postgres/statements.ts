/**
 * Loads the `.sql` files beside this module (copied into dist/ by the build). A file holds one
 * transition: a header comment, then statements each introduced by a `-- @name <statementName>`
 * line. `{{schema}}` becomes the quoted schema name at load time; each statement becomes a named
 * prepared statement (parsed and planned once per connection), or an unnamed one (parsed and
 * planned at each call) behind a transaction-mode pooler, where the next call may reach another
 * server connection that never saw the name.
 */
import type { QueryConfig } from "pg";
import { loadNamedStatements, readAssetAt } from "../shared/sql-files.js";

/** Every statement, by file; loading checks that each file defines exactly these names. */
const SQL_FILES = {
  migrate: ["lock", "ensureSchema", "ensureTable", "applied", "record"],
  enqueue: [
    "enqueuePlain",
    "enqueueWithIds",
    "nextId",
    "queueEnsure",
    "lockKey",
    "jobInsert",
    "lockParents",
    "dedupGet",
    "dedupSet",
    "dedupExtend",
    "depInsert",
  ],
  jobs: ["jobGet", "jobLock", "jobsDelete"],
  claim: ["claim"],
  finish: ["finishBatch"],
  "move-to-waiting-children": ["moveToWaitingChildren"],
  "end-job": ["endJob"],
  dependants: ["dependantsOf", "parentResolved", "ready", "dependantIds"],
  "dependency-results": ["keepOutcome", "keptOutcomes", "dropParents"],
  retention: ["setRemoveAt", "beyondCount", "dueRemovals"],
  leases: ["extendLeases", "progress"],
  logs: ["addLog", "getLogs"],
  "promote-delayed": ["promoteDelayed", "promoteTurn"],
  "recover-stalled": [
    "nextLeaseExpiry",
    "expiredLeases",
    "heldByWorker",
    "markPeers",
    "requeueStalled",
    "chargeStall",
  ],
  "expire-due": ["dueExpiries", "expirable"],
  repeatables: [
    "repeatableUpsert",
    "repeatableLock",
    "repeatableList",
    "repeatableDelete",
    "repeatableSetPaused",
    "repeatableSetNextRun",
    "slotGet",
    "slotClaim",
    "fire",
  ],
  "rate-token": ["takeRateToken"],
  "adjust-rate-tokens": ["adjustRateTokens"],
  "get-jobs": ["jobsDesc", "jobsAsc", "countByState"],
  "retry-job": ["retryJob"],
  "retry-jobs": ["retryJobs"],
  "promote-job": ["promoteJob"],
  "update-data": ["updateData"],
  "change-priority": ["changePriority"],
  "change-delay": ["changeDelay"],
  "dedup-key": ["dedupJobId", "dedupRemove"],
  clean: ["drainable", "cleanFinished", "cleanUnfinished", "cleanWaiting"],
  obliterate: ["activeCount", "crossParents", "wipe", "wipeParentDeps"],
  queues: ["isPaused", "setPaused", "globalConcurrency", "setGlobalConcurrency", "listQueues"],
  workers: ["workerUpsert", "workerDelete", "workerList"],
  leaders: ["leaderTake", "leaderResign"],
  metrics: ["metricsRecord", "metricsRange", "metricsTotals"],
  notify: ["publish", "subscriberUpsert", "subscriberDelete", "housekeeping", "eventGet"],
  vacuum: ["deadRows", "vacuumJobs"],
} as const;

type SqlFiles = typeof SQL_FILES;
/** The name of a statement. */
export type StatementName = SqlFiles[keyof SqlFiles][number];
/** A statement ready for `client.query({ ...stmt, values })`. */
export type Statement = Pick<QueryConfig, "name" | "text">;
/** Every statement of one schema, by name. */
export type Statements = Record<StatementName, Statement>;

/** Reads an asset file that sits beside this module (src/ under vitest, dist/ when built). */
export function readAsset(relativePath: string): string {
  return readAssetAt(new URL(relativePath, import.meta.url));
}

/** Replaces the placeholders of a SQL text for one schema (already validated as an identifier). */
export function substitute(text: string, schema: string): string {
  return text
    .replaceAll("{{schema}}", quoteIdent(schema))
    .replaceAll("{{channel}}", quoteLiteral(channelOf(schema)));
}

/** The NOTIFY channel of a schema's backends. */
export function channelOf(schema: string): string {
  return `asyncmq_${schema}`;
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Loads every statement for `schema`: named (`prepared`, the default) or unnamed. Prepared-statement
 * names carry the schema so that backends on different schemas can share a pool.
 */
export function loadStatements(schema: string, { prepared = true } = {}): Statements {
  const out: Record<string, Statement> = {};
  loadNamedStatements<StatementName>(SQL_FILES, readAsset, (name, text) => {
    // DDL and VACUUM cannot be prepared; those few statements run unnamed.
    const ddl = /^\s*(--[^\n]*\n\s*)*(CREATE|ALTER|VACUUM)\b/i.test(text);
    out[name] =
      ddl || !prepared
        ? { text: substitute(text, schema) }
        : { name: `asyncmq_${schema}_${name}`, text: substitute(text, schema) };
  });
  return out as Statements;
}
