/**
 * `startDashboard`: the dashboard on its own HTTP server. It binds to loopback by default; another
 * address without `auth` or `token` is refused, since anyone who can reach it could act on the
 * queues. Bound to loopback without auth, it answers only loopback Host names (DNS rebinding).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ValidationError } from "../errors.js";
import { createDashboard, type Dashboard } from "./create.js";
import type { DashboardOptions } from "./options.js";

/** Options of {@link startDashboard}: those of createDashboard plus where to listen. */
export interface StartDashboardOptions extends DashboardOptions {
  /** TCP port; default 7070; 0 picks a free one. */
  port?: number;
  /** Address to bind; default "127.0.0.1". Anything but loopback needs `auth` or `token`. */
  host?: string;
}

export interface RunningDashboard {
  /** The URL of the overview, e.g. `http://127.0.0.1:7070/`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly server: Server;
  readonly dashboard: Dashboard;
  /** Ends live streams, stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Whether `host` is a loopback address or name (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** How a browser writes `host` in the Host header: IPv6 in brackets. */
function hostHeaderName(host: string): string {
  const h = host.trim().toLowerCase();
  return h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
}

/**
 * Starts the dashboard on `host:port` (default 127.0.0.1:7070) and resolves once it listens.
 * @throws ValidationError for a bad port, bad options, or a non-loopback host without auth/token.
 */
export async function startDashboard(options: StartDashboardOptions = {}): Promise<RunningDashboard> {
  const { port = 7070, host = "127.0.0.1", ...rest } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ValidationError(`port must be an integer from 0 to 65535, got ${String(port)}`);
  if (typeof host !== "string" || host.trim() === "")
    throw new ValidationError(`host must be an address like 127.0.0.1, got ${String(host)}`);
  const secured = rest.auth !== undefined || rest.token !== undefined;
  if (!isLoopback(host) && !secured) {
    throw new ValidationError(
      `refusing to serve the dashboard on ${host} without authentication: anyone who reaches it could change your queues; add --auth user:pass or --token T, or bind to 127.0.0.1`,
    );
  }
  const dashboard = createDashboard({
    ...rest,
    ...(!secured && rest.allowedHosts === undefined
      ? { allowedHosts: [...LOOPBACK_NAMES, hostHeaderName(host)] }
      : {}),
  });
  const server = createServer(dashboard.handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await dashboard.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${shown}:${address.port}${dashboard.basePath}/`,
    port: address.port,
    host,
    server,
    dashboard,
    close: () => {
      closing ??= (async () => {
        await dashboard.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
