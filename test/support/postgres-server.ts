/**
 * A PostgreSQL server for tests: `DATABASE_URL` when set, else a private server started on a free
 * loopback port in a temp folder (once per test file, i.e. per vitest worker process) and stopped
 * and removed when the file's tests end (`stopPostgres`, with a process-exit fallback).
 * Postgres 15 from the Debian package `postgresql` is expected under /usr/lib/postgresql.
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import pg from "pg";
import { freePort, onFreePorts, PortTaken, portTakenIn, readLog } from "./free-port.js";
import { REGISTRY_VARIABLE, recordServerDir } from "./server-registry.js";

interface Server {
  url: string;
  dir: string;
  bin: string;
}

let starting: Promise<string> | undefined;
let server: Server | undefined;

/** The URL of a server to test against. */
export function postgresUrl(): Promise<string> {
  const given = process.env.DATABASE_URL;
  if (given) return Promise.resolve(given);
  starting ??= start();
  return starting;
}

/** A schema name no other test file (or earlier run) uses. */
export function testSchema(label: string): string {
  return `asyncmq_test_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Stops and removes the private server, if this process started one. */
export function stopPostgres(): void {
  const s = server;
  server = undefined;
  starting = undefined;
  if (!s) return;
  asPostgres(join(s.bin, "pg_ctl"), ["-D", s.dir, "-m", "immediate", "-w", "stop"]);
  rmSync(s.dir, { recursive: true, force: true });
}

process.once("exit", stopPostgres);

function findBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      "PostgreSQL server binaries are missing (looked in /usr/lib/postgresql/*/bin): install the Debian package `postgresql` (apt-get install postgresql), or set DATABASE_URL to a server to test against",
    );
  }
  return join(root, versions[0] as string, "bin");
}

/** Runs a server binary as the `postgres` user when we are root (initdb and pgbouncer refuse root). */
export function asPostgres(command: string, args: string[]): void {
  const root = process.getuid?.() === 0;
  const r = root
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...args], { encoding: "utf8" })
    : spawnSync(command, args, { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  }
}

/** asPostgres without blocking the event loop. */
function asPostgresAsync(command: string, args: string[]): Promise<void> {
  const root = process.getuid?.() === 0;
  const child = root ? spawn("runuser", ["-u", "postgres", "--", command, ...args]) : spawn(command, args);
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} failed (${code ?? signal}):\n${output}`));
    });
  });
}

async function start(): Promise<string> {
  const own = await initServer();
  server = own;
  return own.url;
}

/**
 * A new temp dir for a server run by `asPostgres` (owned by `postgres` when we are root), recorded
 * for the run's teardown.
 */
export function serverDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  recordServerDir(dir);
  ownedByPostgres(dir);
  return dir;
}

/** Gives `dir` to the `postgres` user when we are root (server binaries refuse to run as root). */
function ownedByPostgres(dir: string): void {
  if (process.getuid?.() === 0) {
    const ids = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
    const gids = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
    if (ids.status !== 0)
      throw new Error("the `postgres` user is missing: install the Debian package `postgresql`");
    chownSync(dir, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
  }
}

const INITDB_ARGS = ["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"];

/**
 * Fills the empty `dir` with a new cluster: a copy of the run's template cluster, made by initdb
 * once per run and never started (a copy takes about 0.2 s where initdb takes over 1 s, for each
 * of the run's servers); initdb itself outside a run with the global setup.
 */
function newCluster(bin: string, dir: string): void {
  const template = templateCluster(bin);
  if (template === undefined) {
    asPostgres(join(bin, "initdb"), ["-D", dir, ...INITDB_ARGS]);
    return;
  }
  // -a: with its owner (postgres, when we are root) and the modes Postgres checks.
  const cp = spawnSync("cp", ["-a", `${template}/.`, dir], { encoding: "utf8" });
  if (cp.status !== 0)
    throw new Error(`copying the template cluster failed (${cp.status ?? cp.signal}):\n${cp.stderr}`);
}

/**
 * The run's template cluster (for the newest server binaries), made by the first worker that needs
 * it; workers racing to make it each make one and keep the first renamed into place. Removed by
 * the run's teardown.
 */
function templateCluster(bin: string): string | undefined {
  const registry = process.env[REGISTRY_VARIABLE];
  if (!registry) return undefined;
  const version = basename(dirname(bin));
  const template = join(tmpdir(), `${basename(dirname(registry))}-pg-template-${version}`);
  if (existsSync(join(template, "PG_VERSION"))) return template;
  const own = mkdtempSync(join(tmpdir(), "asyncmq-pg-template-"));
  recordServerDir(own);
  ownedByPostgres(own);
  asPostgres(join(bin, "initdb"), ["-D", own, ...INITDB_ARGS]);
  recordServerDir(template);
  try {
    renameSync(own, template);
  } catch (err) {
    rmSync(own, { recursive: true, force: true });
    // Another worker's is in place (the rename fails on a directory that is not empty).
    if (!existsSync(join(template, "PG_VERSION"))) throw err;
  }
  return template;
}

/** Creates, owns and starts a fresh cluster in a temp dir on a free port. */
async function initServer(): Promise<Server & { options: string }> {
  const bin = findBin();
  const dir = serverDir("asyncmq-pg-");
  try {
    newCluster(bin, dir);
    const log = join(dir, "server.log");
    // A port taken before the server binds it fails pg_ctl: the start picks a new one (onFreePorts).
    return await onFreePorts(async () => {
      const port = await freePort();
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
      try {
        asPostgres(join(bin, "pg_ctl"), ["-D", dir, "-o", options, "-l", log, "-w", "start"]);
      } catch (err) {
        const text = readLog(log);
        if (!portTakenIn(text)) throw err;
        rmSync(log);
        throw new PortTaken(text);
      }
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, bin, options };
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A private PostgreSQL server a test controls (`pg_ctl` on its own cluster). */
export interface PostgresServer {
  readonly url: string;
  /** `pg_ctl stop -m <mode>`: fast closes sessions cleanly, immediate is a crash. */
  stop(mode?: "fast" | "immediate"): Promise<void>;
  /** `pg_ctl start` on the same cluster and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  destroy(): void;
}

/**
 * Starts a private server, whatever DATABASE_URL says: for tests that stop, restart or kill
 * sessions of a server, which they must not do to a shared one. Removed at process exit at the latest.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const s = await initServer();
  const ctl = (args: string[]) => asPostgres(join(s.bin, "pg_ctl"), ["-D", s.dir, ...args]);
  let running = true;
  const destroy = () => {
    process.off("exit", destroy);
    if (running) ctl(["-m", "immediate", "-w", "stop"]);
    running = false;
    rmSync(s.dir, { recursive: true, force: true });
  };
  process.once("exit", destroy);
  // Asynchronous, so that the test's own event loop (its observers) runs on while pg_ctl waits.
  const ctlAsync = (args: string[]) => asPostgresAsync(join(s.bin, "pg_ctl"), ["-D", s.dir, ...args]);
  return {
    url: s.url,
    async stop(mode = "fast") {
      await ctlAsync(["-m", mode, "-w", "stop"]);
      running = false;
    },
    async start() {
      await ctlAsync(["-o", s.options, "-l", join(s.dir, "server.log"), "-w", "start"]);
      running = true;
    },
    destroy,
  };
}
