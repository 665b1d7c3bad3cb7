/**
 * Read-only commands must not create a database: opening a missing SQLite file would create it (and
 * its folder), so a typo in `--backend` would print "no queues yet" and leave an empty file behind.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** The SQLite file a `sqlite://` URL names (absolute), or undefined for other URLs and `:memory:`. */
function sqliteFile(url: string): string | undefined {
  if (!url.toLowerCase().startsWith("sqlite://")) return undefined;
  const path = decodeURIComponent(url.slice("sqlite://".length));
  if (path === "" || path === ":memory:") return undefined;
  return resolve(path);
}

/** Why a read-only command cannot open `url` (its SQLite file does not exist), or undefined. */
export function missingDatabase(url: string): string | undefined {
  const file = sqliteFile(url);
  if (file === undefined || existsSync(file)) return undefined;
  return `the SQLite file ${file} does not exist (nothing was created); check the path, or create it by enqueueing a job (asyncmq job enqueue) or starting a worker (asyncmq worker start) with this backend`;
}
