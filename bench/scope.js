// The scratch of one benchmark process (bench/one.js, bench/cpu-split.js): a key prefix / schema
// named after its pid on the Redis or Postgres server (bench/urls.js), a temporary folder (the SQLite
// file), and the backend on them; end() closes the backend and removes all of it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBackend } from "asyncmq";
import pg from "pg";
import { benchUrl } from "./urls.js";

/** The scratch of a run on `kind` (memory, sqlite, redis, postgres). */
export function benchScope(kind) {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-bench-"));
  const tag = `bench_${process.pid}`;
  const url = benchUrl(kind, tag, dir);
  if (!url) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`unknown backend ${kind}; one of memory, sqlite, redis, postgres`);
  }
  /** The Redis or Postgres server's URL without this run's parameters (prefix, schema). */
  const server = url.slice(0, url.indexOf("?"));
  const backend = createBackend(url);
  return {
    dir,
    tag,
    url,
    server,
    backend,
    async end() {
      // The folder goes whatever fails after (a server that refused the run cannot drop its schema).
      try {
        await backend.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      if (kind === "postgres") {
        const pool = new pg.Pool({ connectionString: server });
        await pool.query(`DROP SCHEMA IF EXISTS ${tag} CASCADE`);
        await pool.end();
      }
    },
  };
}
