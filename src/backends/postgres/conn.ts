/** A thin typed wrapper over a pg client or pool: named statements, epoch-ms bigints as numbers. */
import pg from "pg";
import type { Statement } from "./statements.js";

const INT8_OID = 20;

/** Parses bigint (int8) columns to numbers: they hold epoch ms and counters, all within 2^53. */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as const;

/** Anything that runs queries: a Pool, or a client checked out of it. */
export interface Queryable {
  query(config: pg.QueryConfig): Promise<pg.QueryResult>;
}

/** Runs `stmt` with `values` and returns its rows. */
export async function run<R>(db: Queryable, stmt: Statement, values: unknown[]): Promise<R[]> {
  const result = await db.query({ ...stmt, values, types } as pg.QueryConfig);
  return result.rows as R[];
}
