/**
 * The test servers (Postgres clusters, redis-servers) a test run started, so that the run's global
 * teardown stops every one of them: they run as daemons, and a vitest worker killed at the end of
 * the run (or after a failed test) never runs its `exit` handlers.
 *
 * The registry is a file named by TEST_SERVER_REGISTRY (set by test/support/global-setup.ts), one
 * server directory a line; a server's pid is in its directory (postmaster.pid, redis.pid,
 * pgbouncer.pid).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";

export const REGISTRY_VARIABLE = "TEST_SERVER_REGISTRY";

/** Records a server's directory for the run's teardown (no-op outside `vitest` with the global setup). */
export function recordServerDir(dir: string): void {
  const registry = process.env[REGISTRY_VARIABLE];
  if (!registry) return;
  mkdirSync(dirname(registry), { recursive: true });
  appendFileSync(registry, `${dir}\n`);
}

/** The server's daemon pid, from its pid file, if it still has one. */
function daemonPid(dir: string): number | undefined {
  for (const file of ["postmaster.pid", "redis.pid", "pgbouncer.pid"]) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const pid = Number(readFileSync(path, "utf8").split("\n")[0]?.trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
  }
  return undefined;
}

/**
 * Whether the process with this pid still runs. A zombie (exited, its ports and files released, not
 * yet reaped) does not: a daemonized server's parent is init, which may reap it only a second or two
 * later, and waiting for that would add as much to every server stop and crash.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
  } catch {
    // Gone meanwhile; without procfs, what kill() said.
    return !existsSync("/proc/self/stat");
  }
}

/**
 * Stops every server in the registry and removes its directory. SIGQUIT first (Postgres' immediate
 * shutdown, which also ends its backends; redis-server and pgbouncer exit on it too), SIGKILL after 5 s.
 */
export async function stopRecordedServers(registry: string): Promise<void> {
  const dirs = existsSync(registry)
    ? [
        ...new Set(
          readFileSync(registry, "utf8")
            .split("\n")
            .filter((d) => d !== ""),
        ),
      ]
    : [];
  const pids = dirs.map(daemonPid).filter((pid): pid is number => pid !== undefined && alive(pid));
  for (const pid of pids) process.kill(pid, "SIGQUIT");
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  rmSync(registry, { force: true });
}
