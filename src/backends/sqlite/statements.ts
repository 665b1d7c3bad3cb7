/**
 * Loads the `.sql` files beside this module (copied into dist/ by the build) and prepares every
 * statement once per connection. A file holds one transition: a header comment, then statements
 * each introduced by a `-- @name <statementName>` line.
 */
import { readFileSync } from "node:fs";
import type { Database, Statement } from "better-sqlite3";
import { BackendError } from "../../errors.js";
import { JobReader } from "./rows.js";

/** Every statement, by file; loading checks that each file defines exactly these names. */
const SQL_FILES = {
  enqueue: [
    "queueEnsure",
    "queueCounters",
    "queueStoreCounters",
    "jobInsert",
    "dedupGet",
    "dedupSet",
    "depInsert",
    "markHasDependants",
  ],
  jobs: ["jobGet", "jobDelete", "logsDelete", "dedupRelease", "depsDeleteAsChild", "depsDeleteAsParent"],
  claim: ["claimCandidates", "claimOne", "markActive"],
  complete: ["complete"],
  retry: ["retry"],
  fail: ["fail", "expireActive"],
  release: ["release"],
  "end-job": ["endJob"],
  dependants: ["dependantsOf", "parentResolved", "ready"],
  retention: [
    "setRemoveAt",
    "finishedCount",
    "finishedCountAdd",
    "oldestFinished",
    "dueRemovals",
    "nextRemoval",
  ],
  leases: ["extendLease", "progress"],
  logs: ["addLog", "getLogs"],
  "promote-delayed": ["dueDelayed", "promote", "nextDelayed"],
  "recover-stalled": ["expiredLeases", "requeueStalled"],
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
  "get-jobs": ["jobsDesc", "jobsAsc", "countUnfinished", "countFinished"],
  "retry-job": ["retryJob"],
  clean: ["drainable", "cleanFinished", "cleanUnfinished"],
  obliterate: [
    "activeCount",
    "wipeJobs",
    "wipeLogs",
    "wipeDeps",
    "wipeDedup",
    "wipeRepeatables",
    "wipeSlots",
    "wipeCounts",
    "wipeBucket",
    "unpause",
  ],
  queues: ["isPaused", "setPaused", "listQueues"],
  workers: ["workerUpsert", "workerDelete", "workerList", "workerPrune"],
  notify: [
    "wakeJob",
    "wakeDelayed",
    "wakeResume",
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
  "drainable",
  "cleanFinished",
  "cleanUnfinished",
] as const;

type SqlFiles = typeof SQL_FILES;
/** The name of a prepared statement. */
type StatementName = SqlFiles[keyof SqlFiles][number];
type JobReaderName = (typeof JOB_READERS)[number];
/** Every prepared statement of one connection, by name. */
export type Statements = Record<Exclude<StatementName, JobReaderName>, Statement> &
  Record<JobReaderName, JobReader>;

const NAME_LINE = /^-- @name (\S+)\s*$/m;

/** Reads an asset file that sits beside this module (src/ under vitest, dist/ when built). */
export function readAsset(relativePath: string): string {
  const url = new URL(relativePath, import.meta.url);
  try {
    return readFileSync(url, "utf8");
  } catch (err) {
    throw new BackendError(
      `asyncmq cannot read its SQL file ${url.pathname}; the installation is incomplete (a build must copy src/**/*.sql into dist/): reinstall asyncmq`,
      { cause: err },
    );
  }
}

/** Splits a file into its named statements. */
function parseSqlFile(file: string, text: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = text.split(NAME_LINE);
  // parts: [header, name1, body1, name2, body2, ...]
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i] as string;
    const body = (parts[i + 1] ?? "").trim().replace(/;\s*$/, "");
    if (out.has(name)) throw new BackendError(`sql/${file}.sql defines ${name} twice`);
    out.set(name, body);
  }
  return out;
}

/** Prepares every statement of every file on `db`. */
export function prepareStatements(db: Database): Statements {
  const statements: Record<string, Statement | JobReader> = {};
  const readers = new Set<string>(JOB_READERS);
  for (const [file, names] of Object.entries(SQL_FILES) as Array<[string, readonly StatementName[]]>) {
    const parsed = parseSqlFile(file, readAsset(`./sql/${file}.sql`));
    for (const name of names) {
      const sql = parsed.get(name);
      if (sql === undefined) throw new BackendError(`sql/${file}.sql does not define ${name}`);
      const stmt = db.prepare(sql);
      statements[name] = readers.has(name) ? new JobReader(stmt, name) : stmt;
      parsed.delete(name);
    }
    if (parsed.size > 0)
      throw new BackendError(`sql/${file}.sql defines unused statements: ${[...parsed.keys()]}`);
  }
  return statements as unknown as Statements;
}
