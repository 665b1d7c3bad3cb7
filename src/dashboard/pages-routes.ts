/** The page routes (GET only: a GET never changes anything). */
import type { Hono } from "hono";
import type { DashboardEnv } from "./env.js";
import { deadPageView } from "./pages/dead.js";
import { jobPage } from "./pages/job.js";
import { overviewPage } from "./pages/overview.js";
import { queuePage } from "./pages/queue.js";
import { repeatablesPage } from "./pages/repeatables.js";
import type { DashboardState } from "./state.js";

export function pageRoutes(app: Hono<DashboardEnv>, state: DashboardState): void {
  app.get("/", (c) => overviewPage(c, state));
  app.get("/dead", (c) => deadPageView(c, state));
  app.get("/queues/:name", (c) => queuePage(c, state, c.req.param("name")));
  app.get("/queues/:name/repeatables", (c) => repeatablesPage(c, state, c.req.param("name")));
  app.get("/queues/:name/jobs/:id", (c) => jobPage(c, state, c.req.param("name"), c.req.param("id")));
}
