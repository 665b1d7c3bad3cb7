/**
 * Schema migrations: the numbered files in ./migrations, applied once per database schema inside
 * one transaction under `pg_advisory_xact_lock`, so that processes starting together neither race
 * nor apply a file twice. Each applied version is recorded in `<schema>.migrations`.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import type pg from "pg";
import { BackendError } from "../../errors.js";
import type { Query } from "./connection.js";
import { readAsset, type Statements, substitute } from "./statements.js";

interface Migration {
  version: number;
  name: string;
  file: string;
}

const MIGRATION_FILE = /^(\d{3})_([a-z0-9_-]+)\.sql$/;

/** Migration files, by version. */
function listMigrations(): Migration[] {
  const out: Migration[] = [];
  for (const file of readdirSync(new URL("./migrations/", import.meta.url))) {
    const m = MIGRATION_FILE.exec(file);
    if (m) out.push({ version: Number(m[1]), name: m[2] as string, file });
  }
  return out.sort((a, b) => a.version - b.version);
}

/** The advisory lock key of a schema's migrations: 64 bits of a hash of its name. */
function lockKey(schema: string): string {
  const digest = createHash("sha256").update(`asyncmq migrations ${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/**
 * Brings `schema` up to the newest migration this code has, on `client` (`q` runs statements on it).
 * @throws BackendError when the database holds a newer schema than this code understands.
 */
export async function migrate(
  client: pg.PoolClient,
  q: Query,
  s: Statements,
  schema: string,
  where: string,
): Promise<void> {
  const migrations = listMigrations();
  const latest = migrations.at(-1)?.version ?? 0;
  await client.query("BEGIN");
  try {
    await q(s.lock, [lockKey(schema)]);
    await q(s.ensureSchema, []);
    await q(s.ensureTable, []);
    const [row] = await q<{ version: number }>(s.applied, []);
    const current = row?.version ?? 0;
    if (current > latest) {
      throw new BackendError(
        `the asyncmq schema "${schema}" at ${where} has version ${current}, newer than this asyncmq understands (${latest}); upgrade asyncmq in this project to the version that wrote it`,
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await client.query(substitute(readAsset(`./migrations/${m.file}`), schema));
      await q(s.record, [m.version, m.name]);
    }
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}
