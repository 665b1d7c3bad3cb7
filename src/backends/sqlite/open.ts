/**
 * Opening an asyncmq SQLite file: checks that it is an asyncmq database of a version this code
 * understands BEFORE writing anything, then sets the connection up, applies pending migrations and
 * prepares the statements.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { BackendError } from "../../errors.js";
import { loadDriver } from "../shared/driver.js";
import { explainSqliteFailure, PATH_HINT, readOnlyDatabase, whyReadOnly } from "./failures.js";
import { prepareStatements, readAsset, type Statements } from "./statements.js";

/** Connection settings, defaults applied. */
export interface OpenOptions {
  /** Absolute, or ":memory:". */
  path: string;
  synchronous: "OFF" | "NORMAL" | "FULL";
  busyTimeout: number;
}

interface Migration {
  version: number;
  file: string;
}

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_-]+\.sql$/;

/** Migration files, by version. */
function listMigrations(): Migration[] {
  const dir = new URL("./migrations/", import.meta.url);
  const out: Migration[] = [];
  for (const file of readdirSync(dir)) {
    const m = MIGRATION_FILE.exec(file);
    if (m) out.push({ version: Number(m[1]), file });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** Runs `fn`, retrying every few ms while SQLite answers SQLITE_BUSY, for at most `timeoutMs`. */
function retryWhileBusy(fn: () => unknown, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fn();
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw err;
      // Opening is synchronous (a constructor): block this thread briefly rather than spin.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/** Opens (creating when absent) and migrates the database; throws BackendError when it cannot. */
export function openDatabase(options: OpenOptions): { db: Database.Database; s: Statements } {
  const { path } = options;
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new BackendError(
        `cannot create the folder ${dirname(path)} for the asyncmq database ${path}: ${(err as Error).message}; create it yourself or ${PATH_HINT}`,
        { cause: err },
      );
    }
  }
  // Loaded here, not at import: importing asyncmq must not load the native driver.
  const Driver = loadDriver<typeof Database>("better-sqlite3");
  let db: Database.Database;
  try {
    db = new Driver(path, { timeout: options.busyTimeout });
  } catch (err) {
    // A new file in a read-only folder, or an existing one on a read-only file system.
    if (whyReadOnly(path) !== undefined) throw readOnlyDatabase(path, err);
    throw new BackendError(
      `cannot open the asyncmq database ${path}: ${(err as Error).message}; check that it is a writable file (not a folder) or ${PATH_HINT}`,
      { cause: err },
    );
  }
  try {
    const migrations = listMigrations();
    const latest = migrations.at(-1)?.version ?? 0;
    const fresh = checkIdentity(db, path, latest);
    // Only now, with the file known to be ours (or empty), may anything be written.
    // 8 KiB pages make bulk inserts ~15% faster; the size can only be chosen before WAL is on.
    if (fresh) db.pragma("page_size = 8192");
    // WAL is stored in the file: set it once. Switching needs a lock that SQLite does not wait for
    // (it answers SQLITE_BUSY at once), so processes opening a fresh file together retry briefly.
    if (db.pragma("journal_mode", { simple: true }) !== "wal") {
      retryWhileBusy(() => db.pragma("journal_mode = WAL"), options.busyTimeout);
    }
    db.pragma(`synchronous = ${options.synchronous}`);
    // A 64 MiB page cache and memory-mapped reads: the hot path touches a handful of index pages
    // per job, and the default 2 MiB cache makes them miss once a queue holds tens of thousands of jobs.
    db.pragma("cache_size = -65536");
    db.pragma("mmap_size = 268435456");
    db.pragma("temp_store = MEMORY");
    migrate(db, migrations);
    return { db, s: prepareStatements(db) };
  } catch (err) {
    db.close();
    if (err instanceof BackendError) throw err;
    throw (
      explainSqliteFailure(path, err) ??
      new BackendError(`cannot set up the asyncmq database ${path}: ${(err as Error).message}`, {
        cause: err,
      })
    );
  }
}

/** Read-only checks: an empty file (returns true), or an asyncmq database no newer than this code. */
function checkIdentity(db: Database.Database, path: string, latest: number): boolean {
  let tables: string[];
  let version: number;
  try {
    tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    version = db.pragma("user_version", { simple: true }) as number;
  } catch (err) {
    // Reading can fail for other reasons than a foreign file: a corrupt file, or a read-only folder
    // or file system (a WAL database is read through its -shm file, which SQLite must create).
    throw (
      explainSqliteFailure(path, err) ??
      new BackendError(
        `${path} could not be read as an asyncmq database (SQLite says: ${(err as Error).message}); ${PATH_HINT}, or move that file away`,
        { cause: err },
      )
    );
  }
  if (tables.length === 0 && version === 0) return true;
  const marked =
    tables.includes("asyncmq_meta") &&
    db.prepare("SELECT value FROM asyncmq_meta WHERE key = 'app'").pluck().get() === "asyncmq";
  if (!marked) {
    throw new BackendError(
      `${path} is an SQLite database of another application (tables: ${tables.slice(0, 5).join(", ") || "none"}), not an asyncmq database; asyncmq leaves it untouched: ${PATH_HINT}`,
    );
  }
  if (version > latest) {
    throw new BackendError(
      `${path} has asyncmq schema version ${version}, newer than this asyncmq understands (${latest}); upgrade asyncmq in this project to the version that wrote it`,
    );
  }
  return false;
}

/** Applies the migrations above the stored version, each in the same write transaction as its version bump. */
function migrate(db: Database.Database, migrations: Migration[]): void {
  const latest = migrations.at(-1)?.version ?? 0;
  if ((db.pragma("user_version", { simple: true }) as number) >= latest) return;
  const apply = db.transaction(() => {
    // Re-read under the write lock: another process may have migrated since the check.
    const current = db.pragma("user_version", { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(readAsset(`./migrations/${m.file}`));
      db.pragma(`user_version = ${m.version}`);
    }
  });
  apply.immediate();
}
