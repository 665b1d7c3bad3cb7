/** The 404 page (unknown queue, job, repeatable or path) and the error page. */
import { html } from "hono/html";
import type { Ctx } from "../env.js";
import type { DashboardState } from "../state.js";
import { page } from "./layout.js";

export function notFoundPage(
  c: Ctx,
  state: DashboardState,
  what = "This page does not exist.",
): Promise<Response> {
  return page(c, state, {
    title: "Not found",
    status: 404,
    body: html`<p class="error" data-testid="not-found">${what}</p><p><a href="${state.href("/")}">Back to the queues</a></p>`,
  });
}

export function errorPage(
  c: Ctx,
  state: DashboardState,
  status: 400 | 500,
  message: string,
): Promise<Response> {
  return page(c, state, {
    title: status === 400 ? "Bad request" : "Something went wrong",
    status,
    body: html`<p class="error" role="alert" data-testid="error-message">${message}</p><p><a href="${state.href("/")}">Back to the queues</a></p>`,
  });
}
