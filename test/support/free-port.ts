/**
 * A free TCP port on the loopback interface, for a test server to listen on, and the retry when
 * that port is taken before the server binds it: test files start servers in parallel, and a
 * daemon that fails to bind says so only in its log (redis-server and PgBouncer even exit 0).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** A start's port (from freePort) was taken before its server bound it; `message` is the server's log. */
export class PortTaken extends Error {}

/** Whether a server's log says its port was taken (redis-server, PostgreSQL and PgBouncer alike). */
export function portTakenIn(log: string): boolean {
  return log.includes("Address already in use");
}

/** A server's log file, "" while it has none. */
export function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Runs `start` (which picks its ports with freePort) again while it fails with PortTaken, 5 tries at most. */
export async function onFreePorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortTaken) || attempt === 5) throw err;
    }
  }
}
