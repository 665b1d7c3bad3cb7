/**
 * The SQLite raw-row readers (rows.ts): rows read by column name whatever the statement's column
 * order, and a statement that lacks a column its reader reads refused when it is prepared.
 */
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { finishedReader, jobReader } from "../../src/backends/sqlite/rows.js";
import { BackendError } from "../../src/errors.js";

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function db(): Database.Database {
  const d = new Database(":memory:");
  open.push(d);
  return d;
}

describe("the SQLite row readers", () => {
  it("read each column by name, in any order; none for no row", () => {
    const stmt = db().prepare(
      "SELECT ? AS retention, 'c' AS state, 7 AS seq, 't' AS task, 2 AS attempts, 'j' AS id, 0 AS has_dependants, NULL AS dedup_key, NULL AS depends_on WHERE ?",
    );
    const reader = finishedReader(stmt, "test");
    expect(reader.get('{"count":1}', 1)).toEqual({
      seq: 7,
      id: "j",
      state: "c",
      task: "t",
      attempts: 2,
      retention: '{"count":1}',
      has_dependants: 0,
      dedup_key: null,
      depends_on: null,
    });
    expect(reader.get(null, 0)).toBeUndefined();
  });

  it("refuse a statement without a column they read, naming it", () => {
    const stmt = db().prepare("SELECT 1 AS seq, 'j' AS id, 'c' AS state, 't' AS task, 1 AS attempts");
    expect(() => finishedReader(stmt, "complete")).toThrow(BackendError);
    expect(() => finishedReader(stmt, "complete")).toThrow(/^statement complete does not return retention$/);
    expect(() => jobReader(stmt, "claimOne")).toThrow(/^statement claimOne does not return jobs\.queue$/);
  });
});
