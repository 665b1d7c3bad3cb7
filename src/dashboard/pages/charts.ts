/**
 * Chart placeholders: app.js fetches the series from `/api/metrics` and draws them with uPlot. The
 * range switch is a plain link, so it works without script too.
 */
import { html } from "hono/html";
import { type ChartRange, isChartRange } from "../chart-data.js";
import type { DashboardState } from "../state.js";
import type { Html } from "./format.js";

export function chartRange(value: string | undefined): ChartRange {
  return isChartRange(value) ? value : "1h";
}

/** The throughput and latency charts of `queue` (all queues when undefined). */
export function charts(state: DashboardState, range: ChartRange, pagePath: string, queue?: string): Html {
  if (!state.config.backend.capabilities.metrics) {
    return html`<p class="hint" data-testid="no-metrics">This backend keeps no metrics, so there are no charts.</p>`;
  }
  const query = new URLSearchParams({ range });
  if (queue !== undefined) query.set("queue", queue);
  const src = state.href(`/api/metrics?${query}`);
  const link = (r: ChartRange, label: string) =>
    r === range
      ? html`<strong aria-current="true">${label}</strong>`
      : html`<a href="${state.href(`${pagePath}?range=${r}`)}" data-testid="range-${r}">${label}</a>`;
  return html`<section class="charts" aria-labelledby="charts-title">
<h2 id="charts-title">History <small>${link("1h", "last hour")} · ${link("24h", "last day")}</small></h2>
<div class="chart-row">
<figure><figcaption>Finished per minute</figcaption><div class="chart" data-chart="throughput" data-src="${src}" data-testid="chart-throughput"></div></figure>
<figure><figcaption>p95 wait and run time (ms)</figcaption><div class="chart" data-chart="latency" data-src="${src}" data-testid="chart-latency"></div></figure>
</div>
</section>`;
}
