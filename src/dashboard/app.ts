/**
 * `createDashboard`: the dashboard as a Hono app, a fetch function and a plain Node request handler,
 * to mount in an existing server (node:http, Express, Fastify, Hono) or to run with startDashboard.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { ValidationError } from "../errors.js";
import { log } from "../logger.js";
import { actionRoutes, readOnlyGuard } from "./actions.js";
import { apiRoutes } from "./api.js";
import { assetRoutes, loadAssets } from "./assets.js";
import { authMiddleware, loginRoutes } from "./auth.js";
import { csrfCheck, csrfToken } from "./csrf.js";
import type { DashboardEnv } from "./env.js";
import { LiveHub } from "./live.js";
import { type DashboardOptions, resolveOptions } from "./options.js";
import { errorPage, notFoundPage } from "./pages/errors.js";
import { pageRoutes } from "./pages-routes.js";
import { hostCheck, securityHeaders } from "./security.js";
import { DashboardState } from "./state.js";

export interface Dashboard {
  /** The Fetch API entry point (`Request` in, `Response` out): Hono, Bun, Deno, tests. */
  fetch(request: Request): Promise<Response>;
  /**
   * A Node `(req, res)` listener for node:http, Express (`app.use(basePath, handler)`) and Fastify
   * (via @fastify/middie). It accepts URLs with or without the base path, and reads Express's
   * `originalUrl` when a mount stripped it.
   */
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** The base path ("" or "/path"), as validated. */
  readonly basePath: string;
  /** The Hono app itself, with every route under the base path. */
  readonly app: Hono<DashboardEnv>;
  /**
   * Ends the live-update streams and drops the backend subscriptions. The backend is not closed: one
   * passed as an instance is the caller's; one given as a URL is shared (closeSharedBackends).
   */
  close(): Promise<void>;
}

/**
 * Creates the dashboard. Nothing listens: mount `handler` or `fetch` in a server, or use
 * startDashboard. See docs/dashboard.md.
 * @throws ValidationError for bad options (both auth and token, a malformed basePath...).
 */
export function createDashboard(options: DashboardOptions = {}): Dashboard {
  const config = resolveOptions(options);
  const state = new DashboardState(config, loadAssets().version);
  const hub = new LiveHub(config.backend);
  const app = new Hono<DashboardEnv>({ strict: false }).basePath(config.base || "/");

  app.use("*", securityHeaders(), hostCheck(config.allowedHosts), csrfToken(config.base));
  app.use("*", authMiddleware(state), csrfCheck(), readOnlyGuard(state));
  assetRoutes(app);
  loginRoutes(app, state);
  pageRoutes(app, state);
  apiRoutes(app, state, hub);
  actionRoutes(app, state);
  app.notFound((c) => notFoundPage(c, state));
  app.onError((err, c) => {
    if (err instanceof ValidationError) return errorPage(c, state, 400, err.message);
    log().error("dashboard: a request failed", err);
    return errorPage(c, state, 500, `The request failed: ${err.message}`);
  });

  // The adapter must not replace the process's global Request/Response: this may be someone's app.
  const listener = getRequestListener((request) => app.fetch(request), { overrideGlobalObjects: false });
  return {
    app,
    basePath: config.base,
    fetch: async (request) => {
      const url = new URL(request.url);
      const path = withBase(url.pathname, config.base);
      if (path === url.pathname) return app.fetch(request);
      url.pathname = path;
      const body = request.body;
      return app.fetch(
        new Request(url, {
          method: request.method,
          headers: request.headers,
          body,
          signal: request.signal,
          ...(body ? { duplex: "half" } : {}),
        } as RequestInit),
      );
    },
    handler: (req, res) => {
      const original = (req as IncomingMessage & { originalUrl?: unknown }).originalUrl;
      const url = typeof original === "string" ? original : (req.url ?? "/");
      const query = url.indexOf("?");
      const path = query === -1 ? url : url.slice(0, query);
      req.url = withBase(path, config.base) + (query === -1 ? "" : url.slice(query));
      void listener(req, res);
    },
    close: async () => {
      hub.close();
      await state.close();
    },
  };
}

/** A request path with the base path in front, added when a mount took it off. */
function withBase(path: string, base: string): string {
  if (base === "" || path === base || path.startsWith(`${base}/`)) return path;
  return `${base}${path === "/" ? "" : path}`;
}
