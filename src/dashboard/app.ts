/**
 * The dashboard's Hono app: middleware in order (security headers, Host check, CSRF token, auth,
 * CSRF check, read-only guard), then assets, login, pages, JSON API, actions. Loaded by
 * create.ts on the first request, so that `import "asyncmq"` does not load the web stack.
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
import type { DashboardConfig } from "./options.js";
import { errorPage, notFoundPage } from "./pages/errors.js";
import { pageRoutes } from "./pages-routes.js";
import { hostCheck, securityHeaders } from "./security.js";
import { DashboardState } from "./state.js";

export interface DashboardApp {
  /** Answers a request whose URL path includes the base path. */
  fetch(request: Request): Promise<Response>;
  /** The same for Node; `req.url` includes the base path. */
  listener(req: IncomingMessage, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export function buildDashboard(config: DashboardConfig): DashboardApp {
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
    log().error("dashboard: a request failed", { err });
    return errorPage(c, state, 500, `The request failed: ${err.message}`);
  });

  const fetch = async (request: Request) => app.fetch(request);
  return {
    fetch,
    // The adapter must not replace the process's global Request/Response: this may be someone's app.
    listener: getRequestListener(fetch, { overrideGlobalObjects: false }),
    close: async () => {
      hub.close();
      await state.close();
    },
  };
}
