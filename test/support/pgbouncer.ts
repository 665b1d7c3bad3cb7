/**
 * A private PgBouncer in transaction mode for tests, in front of the test server (postgresUrl()):
 * started on a free loopback port in a temp dir (`asyncmq-pg-bouncer-*`, so CI's leak check sees
 * one left running), once per test file, and stopped by `stopPgBouncer` (file end) or at process
 * exit. Its pool is small, so that client sessions really do share server connections. PgBouncer
 * (Debian package `pgbouncer`) refuses to run as root: it runs as `postgres` then, like the server.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { freePort, onFreePorts, PortTaken, portTakenIn, readLog } from "./free-port.js";
import { asPostgres, dropSchema, postgresUrl, serverDir, stopPostgres } from "./postgres-server.js";
import { alive } from "./server-registry.js";

const BIN = "/usr/sbin/pgbouncer";
/** Server connections per database and user: fewer than a backend's pool (10), so sessions are shared. */
const POOL_SIZE = 5;

interface Bouncer extends BouncerUrls {
  dir: string;
}

let starting: Promise<Bouncer> | undefined;
let own: Bouncer | undefined;

/** The URLs through a PgBouncer in transaction mode and of the server behind it. */
export async function pgBouncerUrls(): Promise<BouncerUrls> {
  starting ??= start();
  const { url, directUrl } = await starting;
  return { url, directUrl };
}

/** Bouncer URLs as a test file sees them. */
export interface BouncerUrls {
  /** Through PgBouncer. */
  url: string;
  /** To the server itself. */
  directUrl: string;
}

/**
 * For a test file on `schema` through PgBouncer: starts it before the file's tests, and after them
 * drops the schema and stops PgBouncer and the test server. Returns the URLs (once the tests run).
 */
export function useBouncer(schema: string): () => BouncerUrls {
  let urls: BouncerUrls | undefined;
  beforeAll(async () => {
    urls = await pgBouncerUrls();
  });
  afterAll(async () => {
    if (urls) await dropSchema(urls.directUrl, schema);
    stopPgBouncer();
    stopPostgres();
  });
  return () => {
    if (!urls) throw new Error("useBouncer's URLs are there once the file's tests run");
    return urls;
  };
}

/** Stops and removes this process's PgBouncer, if it started one. */
export function stopPgBouncer(): void {
  const b = own;
  own = undefined;
  starting = undefined;
  if (!b) return;
  const pid = pidOf(b.dir);
  // SIGTERM: immediate shutdown (clients are cut; the server's sessions end with them).
  if (pid !== undefined && alive(pid)) process.kill(pid, "SIGTERM");
  rmSync(b.dir, { recursive: true, force: true });
}

process.once("exit", stopPgBouncer);

function pidOf(dir: string): number | undefined {
  const file = join(dir, "pgbouncer.pid");
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, "utf8").trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Starts this file's PgBouncer; a port taken before its bind picks a new one, up to 5 times. */
async function start(): Promise<Bouncer> {
  if (!existsSync(BIN)) {
    throw new Error(
      `${BIN} is missing: install the Debian package \`pgbouncer\` (apt-get install pgbouncer) to run the tests through PgBouncer`,
    );
  }
  const directUrl = await postgresUrl();
  return onFreePorts(() => startOnce(directUrl));
}

async function startOnce(directUrl: string): Promise<Bouncer> {
  const server = new URL(directUrl);
  const user = decodeURIComponent(server.username || "postgres");
  const dir = serverDir("asyncmq-pg-bouncer-");
  try {
    const port = await freePort();
    writeFileSync(join(dir, "users.txt"), `"${user}" ""\n`);
    writeFileSync(
      join(dir, "pgbouncer.ini"),
      [
        "[databases]",
        // Any database name, forwarded to the test server.
        `* = host=${server.hostname} port=${server.port || "5432"}`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${port}`,
        "unix_socket_dir =",
        "auth_type = trust",
        `auth_file = ${join(dir, "users.txt")}`,
        "pool_mode = transaction",
        `default_pool_size = ${POOL_SIZE}`,
        "max_client_conn = 500",
        `pidfile = ${join(dir, "pgbouncer.pid")}`,
        `logfile = ${join(dir, "pgbouncer.log")}`,
        "",
      ].join("\n"),
    );
    // -d: daemon (it exits 0 also when it then fails to bind its port).
    asPostgres(BIN, ["-d", "-q", join(dir, "pgbouncer.ini")]);
    const url = withHostPort(directUrl, port);
    await untilAccepting(url, dir);
    own = { url, directUrl, dir };
    return own;
  } catch (err) {
    const pid = pidOf(dir);
    if (pid !== undefined && alive(pid)) process.kill(pid, "SIGTERM");
    own = undefined;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** `url` with the host and port of the PgBouncer. */
function withHostPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = "127.0.0.1";
  u.port = String(port);
  return u.toString();
}

/**
 * Resolves once this PgBouncer (the one in `dir`) answers at `url`. The daemon reports a port it
 * could not bind only in its log, and exits: what answers there then is another file's server.
 */
async function untilAccepting(url: string, dir: string): Promise<void> {
  const deadline = Date.now() + 5000;
  const failure = () => {
    const log = readLog(join(dir, "pgbouncer.log"));
    if (portTakenIn(log)) return new PortTaken(log);
    if (log.includes("FATAL")) return new Error(`PgBouncer failed to start:\n${log}`);
    return undefined;
  };
  for (;;) {
    const failed = failure();
    if (failed) throw failed;
    const pid = pidOf(dir);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    try {
      if (pid === undefined || !alive(pid)) throw new Error("not running yet");
      await client.connect();
      await client.query("SELECT 1");
      const late = failure();
      if (late) throw late;
      return;
    } catch (err) {
      if (err instanceof PortTaken) throw err;
      if (Date.now() > deadline) throw new Error(`PgBouncer at ${url} does not answer: ${String(err)}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}
