/**
 * What an SQLite error means for the user of an asyncmq database file, in words: a corrupt file
 * (fatal: the backend stops using it), a file or folder it may not write (read-only file, folder or
 * file system), a file that is not a database. Opening and every later statement explain their
 * failures through here, so the same cause reads the same wherever it shows up.
 */
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { BackendError } from "../../errors.js";

/** Where the advice in error messages points users for another file. */
export const PATH_HINT =
  "pass another path with new SqliteBackend({ path }) or ASYNCMQ_BACKEND=sqlite://<path>";

/** The error code better-sqlite3 (or node:fs) put on `err`, if any. */
function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

/** Whether `err` says the file's content is damaged (SQLITE_CORRUPT and its extended codes). */
export function isCorruption(err: unknown): boolean {
  return codeOf(err).startsWith("SQLITE_CORRUPT");
}

/** The message SQLite gave, for quoting. */
function said(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The BackendError (fatal) for a corrupt database file: what happened, which file, what to do.
 * Retrying cannot help, and writing on may spread the damage, so the backend stops using the file.
 */
export function corruptDatabase(path: string, err: unknown): BackendError {
  return new BackendError(
    `the asyncmq database ${path} is corrupt (SQLite: "${said(err)}"); asyncmq stopped using it. ` +
      "Stop every process that uses it, then restore the file from a backup, or salvage what it still " +
      `holds with: sqlite3 '${path}' .recover | sqlite3 '${path}.recovered' and move the recovered ` +
      "file into its place (removing the old -wal and -shm files beside it)",
    { cause: err, fatal: true },
  );
}

/**
 * Why this process may not write the database at `path`, found by asking the file system (which
 * answers even for root: a read-only file system is EROFS to everyone), or undefined when nothing
 * is found (another process holds a lock, or the file was writable after all).
 */
export function whyReadOnly(path: string): string | undefined {
  const folder = dirname(path);
  const probe = (target: string): string | undefined => {
    try {
      accessSync(target, constants.W_OK);
      return undefined;
    } catch (err) {
      return codeOf(err) || "unknown";
    }
  };
  const dirCode = probe(folder);
  if (dirCode === "EROFS") return `it is on a read-only file system`;
  const fileCode = probe(path);
  if (fileCode === "EROFS") return `it is on a read-only file system`;
  if (fileCode === "EACCES" || fileCode === "EPERM") return "the file is read-only for this user";
  if (dirCode === "EACCES" || dirCode === "EPERM") {
    return `its folder ${folder} is read-only for this user (SQLite writes ${path}-wal and ${path}-shm beside it)`;
  }
  return undefined;
}

/** The BackendError for a database this process may not write (`err`: what SQLite said). */
export function readOnlyDatabase(path: string, err: unknown): BackendError {
  const why = whyReadOnly(path) ?? "the file, its folder or its -wal/-shm files are read-only";
  return new BackendError(
    `the asyncmq database ${path} cannot be written: ${why} (SQLite: "${said(err)}"). asyncmq needs ` +
      `to write the file and create ${path}-wal and ${path}-shm beside it: make the file and its ` +
      `folder writable by the user running asyncmq (uid ${process.getuid?.() ?? "?"}), or ${PATH_HINT}`,
    { cause: err },
  );
}

/**
 * A clear BackendError for an SQLite failure on the database at `path`, when its code says more
 * than SQLite's own words (corruption, read-only, not a database); undefined otherwise.
 */
export function explainSqliteFailure(path: string, err: unknown): BackendError | undefined {
  const code = codeOf(err);
  if (isCorruption(err)) return corruptDatabase(path, err);
  if (code === "SQLITE_NOTADB") {
    return new BackendError(
      `${path} is not an asyncmq database: SQLite says "${said(err)}" (it is another kind of file, or ` +
        "a database whose first page is damaged). asyncmq leaves it untouched: " +
        `${PATH_HINT}, or move that file away; if it held your jobs, restore it from a backup`,
      { cause: err },
    );
  }
  if (code.startsWith("SQLITE_READONLY")) return readOnlyDatabase(path, err);
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_PERM")) {
    // Opening the file itself worked (we are past the constructor): SQLite could not open or
    // create the -wal/-shm files beside it, which is a read-only folder or file system.
    if (whyReadOnly(path) !== undefined) return readOnlyDatabase(path, err);
  }
  return undefined;
}
