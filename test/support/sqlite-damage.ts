/**
 * Damage done to real SQLite files for fault tests: a database filled with jobs, then pages of the
 * closed file overwritten with garbage, as a bad disk, a torn copy or a stray write would leave it.
 */
import { closeSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";

/** The page size asyncmq gives new files (open.ts). */
const PAGE = 8192;

/**
 * Creates the database at `path` holding `count` waiting jobs of `task` in `queue` (their data:
 * `data` plus a little padding), and closes it.
 */
export async function fillDatabase(
  path: string,
  queue: string,
  task: string,
  count: number,
  data: Record<string, unknown> = {},
): Promise<void> {
  const b = new SqliteBackend({ path });
  const now = Date.now();
  const jobs = Array.from({ length: count }, (_, i) => ({
    task,
    // Some bulk per row, so that the jobs spread over many pages.
    dataJson: JSON.stringify({ ...data, i, pad: "x".repeat(100) }),
    priority: 5,
    maxRetries: 0,
    createdAt: now,
  }));
  await b.enqueue(queue, jobs);
  // Closing the last connection checkpoints the WAL into the file and removes it.
  await b.close();
}

/**
 * Overwrites the middle third of the file's pages with garbage (0xA5 bytes: no valid b-tree page
 * starts with it), leaving the first pages (the schema and every table's root page) intact, so the
 * file still opens and the damage is met only when a statement reads those pages.
 * @returns the number of pages overwritten
 */
export function corruptMiddlePages(path: string): number {
  const pages = Math.floor(statSync(path).size / PAGE);
  const first = Math.floor(pages / 3);
  const last = Math.floor((2 * pages) / 3);
  if (first < 30) throw new Error(`${path} has only ${pages} pages: fill it with more jobs`);
  overwrite(path, first * PAGE, (last - first) * PAGE);
  return last - first;
}

/**
 * Overwrites page 1 after its 100-byte file header: the file is still SQLite to look at, but its
 * schema page (sqlite_schema) is garbage.
 */
export function corruptSchemaPage(path: string): void {
  const header = Buffer.alloc(16);
  const fd = openSync(path, "r");
  readSync(fd, header, 0, 16, 0);
  closeSync(fd);
  if (header.toString("latin1") !== "SQLite format 3\u0000") throw new Error(`${path} is not SQLite`);
  overwrite(path, 100, PAGE - 100);
}

function overwrite(path: string, offset: number, length: number): void {
  const fd = openSync(path, "r+");
  try {
    writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}
