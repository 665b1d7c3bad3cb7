// What a benchmark's data takes on its engine, measured the same way for asyncmq (bench/one.js) and
// its peers (bench/peers/): before and after an insert, the difference over the jobs is the storage
// per job.
import { existsSync, statSync } from "node:fs";
import IORedis from "ioredis";
import pg from "pg";

/** Bytes of a SQLite database file and its WAL. */
export function sqliteBytes(file) {
  return ["", "-wal"].reduce((sum, ext) => sum + (existsSync(file + ext) ? statSync(file + ext).size : 0), 0);
}

/** The Redis server's `used_memory` (the whole server's: the other data on it must hold still). */
export async function redisUsedMemory(url) {
  const redis = new IORedis(url);
  try {
    return Number(/used_memory:(\d+)/.exec(await redis.info("memory"))?.[1]);
  } finally {
    redis.disconnect();
  }
}

/** Bytes of a Postgres schema's tables, each with its indexes and TOAST (pg_total_relation_size). */
export async function schemaBytes(url, schema) {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const { rows } = await pool.query(
      "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = $1 AND c.relkind = 'r'",
      [schema],
    );
    return Number(rows[0].n);
  } finally {
    await pool.end();
  }
}
