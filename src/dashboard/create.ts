/**
 * `createDashboard`: the dashboard as a fetch function and a plain Node request handler, to mount in
 * an existing server (node:http, Express, Fastify, Hono) or to run with startDashboard. Options are
 * checked at once; the web stack (Hono, its Node adapter) loads on the first request, so importing
 * asyncmq stays cheap for workers that never serve a page.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DashboardApp } from "./app.js";
import { type DashboardOptions, resolveOptions } from "./options.js";
import { SECURITY_HEADERS } from "./security.js";

/** Headers of the few answers given before the app is loaded. */
const PLAIN: Record<string, string> = {
  "Content-Type": "text/plain; charset=utf-8",
  ...Object.fromEntries(SECURITY_HEADERS),
};

export interface Dashboard {
  /** The Fetch API entry point (`Request` in, `Response` out): Hono, Bun, Deno, tests. */
  fetch(request: Request): Promise<Response>;
  /**
   * A Node `(req, res)` listener for node:http, Express (`app.use(basePath, handler)`) and Fastify
   * (through @fastify/middie). It takes URLs with or without the base path, and Express's
   * `originalUrl` when a mount took the base path off `url`.
   */
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** The base path, as validated: `""` or `"/path"` without a trailing slash. */
  readonly basePath: string;
  /**
   * Ends the live-update streams and drops the backend subscriptions; later requests get 503. The
   * backend is not closed: one passed as an instance is the caller's; one given as a URL is shared
   * (closeSharedBackends closes it).
   */
  close(): Promise<void>;
}

/**
 * Creates the dashboard; nothing listens until you mount `handler` or `fetch` (or use
 * startDashboard). See docs/dashboard.md.
 * @throws ValidationError for bad options: both `auth` and `token`, `auth` not "user:pass", a token
 *   under 8 characters, a malformed `basePath`.
 */
export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const config = resolveOptions(options);
  const base = config.base;
  let built: Promise<DashboardApp> | null = null;
  let closed = false;
  const app = (): Promise<DashboardApp> => {
    built ??= import("./app.js").then((m) => m.buildDashboard(config));
    return built;
  };
  return {
    basePath: base,
    fetch: async (request) => {
      if (closed) return new Response("the dashboard is closed\n", { status: 503, headers: PLAIN });
      const url = new URL(request.url);
      const path = withBase(url.pathname, base);
      if (path === url.pathname) return (await app()).fetch(request);
      url.pathname = path;
      const body = request.body;
      const init: RequestInit & { duplex?: "half" } = {
        method: request.method,
        headers: request.headers,
        signal: request.signal,
        ...(body ? { body, duplex: "half" } : {}),
      };
      return (await app()).fetch(new Request(url, init));
    },
    handler: (req, res) => {
      if (closed) {
        res.writeHead(503, PLAIN).end("the dashboard is closed\n");
        return;
      }
      // Before anything async: a framework may restore req.url once this returns.
      const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
      const url = typeof original === "string" ? original : (req.url ?? "/");
      const query = url.indexOf("?");
      const path = query === -1 ? url : url.slice(0, query);
      req.url = withBase(path, base) + (query === -1 ? "" : url.slice(query));
      app().then(
        (d) => d.listener(req, res),
        (err: unknown) => {
          res.writeHead(500, PLAIN);
          res.end(`the dashboard could not start: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
    },
    close: async () => {
      closed = true;
      if (built) await (await built).close();
    },
  };
}

/** A request path with the base path in front, added when a mount took it off. */
function withBase(path: string, base: string): string {
  if (base === "" || path === base || path.startsWith(`${base}/`)) return path;
  return `${base}${path === "/" ? "" : path}`;
}
