/**
 * The JSON endpoints the page script uses (read-only, GET), the live event stream, and the
 * Prometheus text at /metrics.
 */
import type { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../metrics/prometheus.js";
import { chartSeries, isChartRange } from "./chart-data.js";
import type { DashboardEnv } from "./env.js";
import type { LiveHub } from "./live.js";
import type { DashboardState } from "./state.js";
import { allSummaries, queueSummary } from "./stats.js";

export function apiRoutes(app: Hono<DashboardEnv>, state: DashboardState, hub: LiveHub): void {
  const { backend } = state.config;
  const missing = (what: string) => ({ error: `${what} not found` });

  app.get("/api/queues", async (c) => c.json(await allSummaries(state)));
  app.get("/api/queues/:name", async (c) => {
    const name = c.req.param("name");
    if (!(await state.hasQueue(name))) return c.json(missing(`queue ${name}`), 404);
    return c.json(await queueSummary(state, name));
  });
  app.get("/api/queues/:name/jobs/:id", async (c) => {
    const { name, id } = c.req.param();
    if (!(await state.hasQueue(name))) return c.json(missing(`queue ${name}`), 404);
    const job = await state.queue(name).getJob(id);
    if (!job) return c.json(missing(`job ${id}`), 404);
    return c.json({ ...job, logs: await backend.getLogs(name, id) });
  });
  app.get("/api/workers", async (c) => c.json((await backend.workers?.list(Date.now())) ?? []));
  app.get("/api/metrics", async (c) => {
    const range = c.req.query("range") ?? "1h";
    if (!isChartRange(range)) return c.json({ error: 'range must be "1h" or "24h"' }, 400);
    if (!backend.capabilities.metrics) return c.json({ error: "this backend keeps no metrics" }, 404);
    const queue = c.req.query("queue");
    const queues = queue === undefined ? await backend.listQueues() : [queue];
    return c.json(await chartSeries(state, queues, range));
  });
  app.get("/api/events", (c) => {
    const queue = c.req.query("queue");
    const job = c.req.query("job");
    if (job !== undefined && queue === undefined) return c.json({ error: "job needs queue" }, 400);
    return hub.stream({ ...(queue !== undefined ? { queue } : {}), ...(job !== undefined ? { job } : {}) });
  });
  app.get("/metrics", async (c) => {
    c.header("Content-Type", PROMETHEUS_CONTENT_TYPE);
    return c.body(await renderPrometheus(backend));
  });
}
