/**
 * The queue's admin forms: pause/resume, add a job, clean, drain. Clean and drain first show a
 * confirmation page naming how many jobs they touch. None of it is rendered in read-only mode.
 */
import { html } from "hono/html";
import { JOB_STATES } from "../../job.js";
import type { Ctx } from "../env.js";
import { type DashboardState, queuePath } from "../state.js";
import type { Html } from "./format.js";
import { actionButton, csrfField } from "./parts.js";

export interface AddJobValues {
  task: string;
  data: string;
  delay: string;
}

export function queueForms(c: Ctx, state: DashboardState, name: string, paused: boolean): Html | string {
  if (state.config.readOnly) return "";
  const path = queuePath(name);
  return html`<section class="admin" aria-labelledby="admin-title"><h2 id="admin-title">Manage</h2>
<div class="admin-grid">
<div class="card"><h3>Processing</h3>
${
  paused
    ? actionButton(c, state, { path: `${path}/resume`, label: "Resume queue", testid: "action-resume" })
    : actionButton(c, state, { path: `${path}/pause`, label: "Pause queue", testid: "action-pause" })
}
<p class="hint">Pausing stops every worker from starting jobs; running jobs finish.</p></div>
${addJobForm(c, state, name, { task: "", data: "{}", delay: "" })}
<form method="post" action="${state.href(`${path}/confirm`)}" class="card" id="clean-form">${csrfField(c)}
<h3>Clean</h3><input type="hidden" name="op" value="clean">
<label>State <select name="state" data-testid="clean-state">${JOB_STATES.filter((s) => s !== "active").map(
    (s) => html`<option value="${s}"${s === "completed" ? html` selected` : ""}>${s}</option>`,
  )}</select></label>
<label>Older than <input name="grace" value="1h" size="6" data-testid="clean-grace"></label>
<button type="submit" data-testid="action-clean">Clean…</button>
<p class="hint">Removes jobs in that state finished (or created) longer ago than this: 0, 30s, 5m, 1h, 1d.</p></form>
<form method="post" action="${state.href(`${path}/confirm`)}" class="card" id="drain-form">${csrfField(c)}
<h3>Drain</h3><input type="hidden" name="op" value="drain">
<label class="check"><input type="checkbox" name="delayed" value="1" data-testid="drain-delayed"> delayed jobs too</label>
<button type="submit" class="danger" data-testid="action-drain">Drain…</button>
<p class="hint">Removes the waiting jobs, which then never run.</p></form>
</div></section>`;
}

/** The add-a-job form; shown again with the values and an error when they were wrong. */
export function addJobForm(
  c: Ctx,
  state: DashboardState,
  name: string,
  values: AddJobValues,
  error?: string,
): Html {
  return html`<form method="post" action="${state.href(`${queuePath(name)}/add`)}" class="card" id="add-job-form">${csrfField(c)}
<h3>Add a job</h3>
${error === undefined ? "" : html`<p class="error" role="alert" data-testid="add-job-error">${error}</p>`}
<label>Task <input name="task" required value="${values.task}" data-testid="add-job-task"></label>
<label>Data (JSON) <textarea name="data" rows="4" data-testid="add-job-data">${values.data}</textarea></label>
<label>Delay <input name="delay" value="${values.delay}" size="6" placeholder="e.g. 30s" data-testid="add-job-delay"></label>
<button type="submit" data-testid="action-add-job">Add job</button></form>`;
}
