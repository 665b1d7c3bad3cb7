/** The add-a-job form on its own, shown again (400) with what was typed when it was wrong. */
import { html } from "hono/html";
import type { Ctx } from "../env.js";
import { type DashboardState, queuePath } from "../state.js";
import { page } from "./layout.js";
import { type AddJobValues, addJobForm } from "./queue-forms.js";

export function addJobPage(
  c: Ctx,
  state: DashboardState,
  queue: string,
  values: AddJobValues,
  error: string,
): Promise<Response> {
  return page(c, state, {
    title: `Add a job to ${queue}`,
    status: 400,
    body: html`<p class="subtitle"><a href="${state.href(queuePath(queue))}">Back to queue ${queue}</a></p>
${addJobForm(c, state, queue, values, error)}`,
  });
}
