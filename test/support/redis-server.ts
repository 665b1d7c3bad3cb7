/**
 * The Redis server tests use: `REDIS_URL` when set, else a private `redis-server` started on a free
 * loopback port in a temp folder, once per test file (each file runs in its own worker process),
 * and stopped by this module's `afterAll`. Never skipped: without `redis-server` the tests fail
 * with a message naming the Debian package.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll } from "vitest";
import { freePort, onFreePorts, PortTaken, portTakenIn, readLog } from "./free-port.js";
import { alive, recordServerDir } from "./server-registry.js";

let started: Promise<string> | undefined;
let own: { dir: string; pidFile: string } | undefined;

/** The URL of a Redis server for this test file. */
export function redisUrl(): Promise<string> {
  started ??= process.env.REDIS_URL ? Promise.resolve(process.env.REDIS_URL) : startServer();
  return started;
}

/** A key prefix no other test file (or earlier run) uses. */
export function uniquePrefix(label: string): string {
  return `asyncmq-test-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Deletes every key under `prefix` (for runs against a shared REDIS_URL). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(await redisUrl(), { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function startServer(): Promise<string> {
  const server = await startRedisServer();
  own = { dir: server.dir, pidFile: join(server.dir, "redis.pid") };
  return server.url;
}

/** A private Redis server a test controls: crash it, start it again on the same port and files. */
export interface RedisServer {
  readonly url: string;
  readonly dir: string;
  /** SIGKILLs the server (a crash: only what it persisted survives) and waits until it is gone. */
  crash(): Promise<void>;
  /** Starts it again with the same settings, port and data directory; resolves once it accepts. */
  start(): Promise<void>;
  /** Its process id (from its pid file), while it runs. */
  pid(): number | undefined;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/** What to start a private Redis server with. */
export interface RedisServerOptions {
  /** Cluster mode: a free cluster bus port is picked with the server's port (`--cluster-port`). */
  readonly clusterBus?: boolean;
}

/**
 * Starts a private `redis-server` on a free loopback port in a temp dir, with `extra` arguments
 * (e.g. `["--appendonly", "yes", "--appendfsync", "always"]`, which come after and so win over the
 * defaults). Also killed when this process exits, should the test not get to `stop()`. A port
 * taken before the server binds it makes the start pick new ports (onFreePorts).
 */
export function startRedisServer(
  extra: string[] = [],
  options: RedisServerOptions = {},
): Promise<RedisServer> {
  return onFreePorts(() => startOnce(extra, options));
}

async function startOnce(extra: string[], options: RedisServerOptions): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-redis-"));
  recordServerDir(dir);
  const pidFile = join(dir, "redis.pid");
  const logFile = join(dir, "redis.log");
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  args.push("--daemonize", "yes", "--pidfile", pidFile, "--dir", dir, "--logfile", logFile);
  // Keeps the command line (with --dir asyncmq-redis-...) as the process title: CI's leak check
  // (`pgrep -f asyncmq-redis-` in .ci/run) finds a server left running by its folder.
  args.push("--set-proc-title", "no");
  // The bus port is given, not port + 10000 (which may be taken).
  if (options.clusterBus) args.push("--cluster-port", String(await freePort()));
  args.push(...extra);
  const pidOf = (): number | undefined => {
    try {
      return Number(readFileSync(pidFile, "utf8").trim());
    } catch {
      return undefined;
    }
  };
  const killNow = () => {
    const pid = pidOf();
    if (pid !== undefined && alive(pid)) process.kill(pid, "SIGKILL");
  };
  const launch = async () => {
    const logged = readLog(logFile).length; // a restart reads only its own lines
    const run = spawnSync("redis-server", args, { encoding: "utf8" });
    if ((run.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(
        "redis-server is not installed: install the Debian package `redis-server` (apt-get install redis-server), or set REDIS_URL to a running server",
      );
    }
    if (run.status !== 0) throw new Error(`redis-server failed to start:\n${run.stdout}${run.stderr}`);
    // Up once the server answering on the port is this one: the daemon writes its pid file after it
    // bound its ports, and a server of another test file may answer on a port this one failed to bind.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pid = pidOf();
      if (pid !== undefined && alive(pid) && (await processIdOn(port)) === pid) return;
      const log = readLog(logFile).slice(logged);
      if (log.includes("aborting")) {
        if (portTakenIn(log)) throw new PortTaken(log);
        throw new Error(`redis-server on port ${port} failed to start:\n${log}`);
      }
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not come up within 10 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const waitGone = async (pid: number | undefined) => {
    const deadline = Date.now() + 5000;
    while (pid !== undefined && Date.now() < deadline && alive(pid))
      await new Promise((r) => setTimeout(r, 20));
  };
  try {
    await launch();
  } catch (err) {
    killNow();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  process.once("exit", killNow);
  return {
    url: `redis://127.0.0.1:${port}`,
    dir,
    async crash() {
      const pid = pidOf();
      killNow();
      await waitGone(pid);
    },
    start: launch,
    pid: pidOf,
    async stop() {
      process.off("exit", killNow);
      const pid = pidOf();
      try {
        if (pid !== undefined) process.kill(pid, "SIGTERM");
      } catch {
        // Already gone.
      }
      await waitGone(pid);
      killNow();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The process id of the Redis server answering on `port` (undefined: none answers yet). */
async function processIdOn(port: number): Promise<number | undefined> {
  const redis = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // A listener that accepts and never answers is not a Redis server either: give up on it.
    connectTimeout: 2000,
    commandTimeout: 2000,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    const match = /process_id:(\d+)/.exec(await redis.info("server"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

afterAll(async () => {
  if (own === undefined) return;
  const { dir, pidFile } = own;
  own = undefined;
  try {
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && alive(pid)) await new Promise((r) => setTimeout(r, 20));
  } catch {
    // Already gone.
  }
  rmSync(dir, { recursive: true, force: true });
});
