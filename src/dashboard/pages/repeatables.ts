/** `/queues/:name/repeatables`: the durable repeatable definitions, next run, paused; their actions. */
import { html } from "hono/html";
import type { RepeatableInfo } from "../../schedule/repeatable-def.js";
import type { Ctx } from "../env.js";
import { type DashboardState, queuePath, seg } from "../state.js";
import { notFoundPage } from "./errors.js";
import { compactJson, type Html, humanDuration, time } from "./format.js";
import { page } from "./layout.js";
import { actionButton } from "./parts.js";

export async function repeatablesPage(c: Ctx, state: DashboardState, name: string): Promise<Response> {
  if (!(await state.hasQueue(name))) return notFoundPage(c, state, `There is no queue "${name}".`);
  const supported = state.config.backend.capabilities.repeatables;
  const list = supported ? await state.queue(name).listRepeatables() : [];
  const body = !supported
    ? html`<p class="hint" data-testid="no-repeatable-store">This backend stores no repeatable definitions.</p>`
    : list.length === 0
      ? html`<p class="empty" data-testid="no-repeatables">No durable repeatables in this queue (add one with <code>queue.upsertRepeatable()</code>; in-process ones given to <code>run()</code> do not show here).</p>`
      : html`<div class="scroll"><table id="repeatables" data-testid="repeatables">
<thead><tr><th>Id</th><th>Task</th><th>Schedule</th><th>Data</th><th>Status</th><th>Next run</th><th></th></tr></thead>
<tbody>${list.map((r) => row(c, state, name, r))}</tbody></table></div>`;
  return page(c, state, {
    title: `Repeatables of ${name}`,
    body: html`<p class="subtitle"><a href="${state.href(queuePath(name))}">Back to queue ${name}</a></p>${body}`,
  });
}

/** Ended (its limit or endDate reached), paused or active. */
function status(r: RepeatableInfo): string {
  return r.ended ? `ended (${r.runs} runs)` : r.paused ? "paused" : "active";
}

function row(c: Ctx, state: DashboardState, name: string, r: RepeatableInfo): Html {
  const path = `${queuePath(name)}/repeatables/${seg(r.id)}`;
  return html`<tr data-testid="repeatable-row" data-repeatable="${r.id}">
<td><code>${r.id}</code></td><td>${r.def.task}</td><td>${schedule(r)}</td><td><code class="clip">${compactJson(r.def.data, 60)}</code></td>
<td><span class="status ${r.paused || r.ended ? "paused" : "running"}" data-testid="repeatable-status">${status(r)}</span></td>
<td>${r.paused || r.ended ? "-" : time(r.nextRun)}</td>
<td class="actions">${
    r.paused
      ? actionButton(c, state, {
          path: `${path}/resume`,
          label: "Resume",
          testid: "action-repeatable-resume",
        })
      : actionButton(c, state, { path: `${path}/pause`, label: "Pause", testid: "action-repeatable-pause" })
  }${actionButton(c, state, {
    path: `${path}/remove`,
    label: "Remove",
    testid: "action-repeatable-remove",
    danger: true,
    confirm: `Remove repeatable ${r.id}? It stops firing for good.`,
  })}</td></tr>`;
}

function schedule(r: RepeatableInfo): string {
  const { cron, tz, every } = r.def;
  if (cron !== undefined) return `cron ${cron}${tz ? ` (${tz})` : ""}`;
  if (every !== undefined) return `every ${typeof every === "number" ? humanDuration(every) : every}`;
  return "-";
}
