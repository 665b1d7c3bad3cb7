/**
 * The page shell: head (one stylesheet, one module script, nothing inline), navigation, the flash
 * message, the heading. Every page renders through `page()`.
 */
import { html } from "hono/html";
import type { Ctx } from "../env.js";
import { type Flash, takeFlash } from "../flash.js";
import type { DashboardState } from "../state.js";
import type { Html } from "./format.js";

export interface PageSpec {
  title: string;
  body: Html;
  /** Which live updates the page wants (`/api/events` query), or none. */
  live?: { queue?: string; job?: string };
  status?: 200 | 400 | 401 | 403 | 404 | 500;
  /** A page for the logged-out (login): no navigation. */
  bare?: boolean;
}

export async function page(c: Ctx, state: DashboardState, spec: PageSpec): Promise<Response> {
  const flash = takeFlash(c, state);
  const { config } = state;
  const live = spec.live ? liveUrl(state, spec.live) : "";
  const body = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${spec.title} · asyncmq</title>
<link rel="icon" href="${state.asset("favicon.svg")}" type="image/svg+xml">
<link rel="stylesheet" href="${state.asset("uplot.css")}">
<link rel="stylesheet" href="${state.asset("style.css")}">
<script type="module" src="${state.asset("app.js")}"></script>
</head>
<body data-base="${config.base}" data-live="${live}">
${spec.bare ? "" : nav(c, state, spec.live !== undefined)}
<main id="main">
${flashBox(flash)}
<h1 data-testid="page-title">${spec.title}</h1>
${spec.body}
</main>
</body>
</html>`;
  return c.html(body, spec.status ?? 200);
}

function nav(c: Ctx, state: DashboardState, live: boolean): Html {
  const { config } = state;
  return html`<header class="top"><nav aria-label="main">
<a class="brand" href="${state.href("/")}" data-testid="nav-overview">asyncmq</a>
<a href="${state.href("/")}">Overview</a>
<a href="${state.href("/dead")}" data-testid="nav-dead">Dead letters</a>
<a href="${state.href("/metrics")}">Prometheus</a>
${config.readOnly ? html`<span class="badge" data-testid="read-only">read-only</span>` : ""}
${live ? html`<span class="live" id="live-status" data-testid="live-status" title="live updates">offline</span>` : ""}
${
  config.token !== undefined
    ? html`<form method="post" action="${state.href("/logout")}" class="inline">
<input type="hidden" name="_csrf" value="${c.var.csrf}"><button type="submit" class="link">Log out</button></form>`
    : ""
}
</nav></header>`;
}

function flashBox(flash: Flash | null): Html | string {
  if (flash === null) return "";
  return html`<div id="flash" class="flash ${flash.kind}" role="status" data-testid="flash" data-kind="${flash.kind}">${flash.text}</div>`;
}

function liveUrl(state: DashboardState, live: { queue?: string; job?: string }): string {
  const query = new URLSearchParams();
  if (live.queue !== undefined) query.set("queue", live.queue);
  if (live.job !== undefined) query.set("job", live.job);
  const text = query.toString();
  return state.href(`/api/events${text ? `?${text}` : ""}`);
}
