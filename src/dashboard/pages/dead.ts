/**
 * `/dead`: failed, expired and cancelled jobs of every queue (or one), with retry and remove one at
 * a time (row buttons) and in bulk (selected rows, or everything the filter matches), the bulk ones
 * through a confirmation page that names the count.
 */
import { html } from "hono/html";
import { DEAD_STATES, type JobRecord } from "../../job.js";
import { type DeadFilter, deadCount, deadFilter, deadPage, deadPath } from "../dead-letters.js";
import type { Ctx } from "../env.js";
import { type DashboardState, jobPath } from "../state.js";
import { count, type Html, plural, time } from "./format.js";
import { page } from "./layout.js";
import { csrfField } from "./parts.js";

export async function deadPageView(c: Ctx, state: DashboardState): Promise<Response> {
  const filter = deadFilter(c.req.query("queue"), c.req.query("state"));
  const pageNumber = Math.max(1, Math.min(10_000, Number.parseInt(c.req.query("page") ?? "1", 10) || 1));
  const [queues, total, list] = await Promise.all([
    state.config.backend.listQueues(),
    deadCount(state, filter),
    deadPage(state, filter, pageNumber),
  ]);
  const here = deadPath(filter, pageNumber);
  return page(c, state, {
    title: "Dead letters",
    body: html`${filterForm(state, filter, queues.sort())}
<p data-testid="dead-total" data-count="${total}">${plural(total, "dead job")} ${total === 1 ? "matches" : "match"}.</p>
${list.jobs.length === 0 ? html`<p class="empty" data-testid="no-dead">Nothing here.</p>` : table(c, state, filter, list.jobs, total, here)}
<nav class="pager" aria-label="pages">${
      pageNumber > 1
        ? html`<a href="${state.href(deadPath(filter, pageNumber - 1))}" data-testid="page-prev">← previous</a>`
        : ""
    } <span data-testid="page-number">page ${pageNumber}</span> ${
      list.more
        ? html`<a href="${state.href(deadPath(filter, pageNumber + 1))}" data-testid="page-next">next →</a>`
        : ""
    }</nav>`,
  });
}

function filterForm(state: DashboardState, filter: DeadFilter, queues: string[]): Html {
  return html`<form method="get" action="${state.href("/dead")}" class="search" id="dead-filter">
<label>Queue <select name="queue" data-testid="dead-queue"><option value="">all queues</option>${queues.map(
    (q) => html`<option value="${q}"${filter.queue === q ? html` selected` : ""}>${q}</option>`,
  )}</select></label>
<label>State <select name="state" data-testid="dead-state"><option value="">failed, expired, cancelled</option>${DEAD_STATES.map(
    (s) => html`<option value="${s}"${filter.state === s ? html` selected` : ""}>${s}</option>`,
  )}</select></label>
<button type="submit" data-testid="dead-filter-submit">Show</button></form>`;
}

function table(
  c: Ctx,
  state: DashboardState,
  filter: DeadFilter,
  jobs: JobRecord[],
  total: number,
  here: string,
): Html {
  const write = !state.config.readOnly;
  const rows = jobs.map((job) => {
    const path = jobPath(job.queue, job.id);
    return html`<tr data-testid="dead-row" data-queue="${job.queue}" data-job-id="${job.id}">
${write ? html`<td><input type="checkbox" name="job" value="${job.queue}:${job.id}" aria-label="select job ${job.id}" data-testid="dead-select"></td>` : ""}
<td><a href="${state.href(path)}">${job.id}</a></td><td>${job.queue}</td><td>${job.task}</td>
<td><span class="state ${job.state}">${job.state}</span></td><td>${time(job.finishedAt ?? job.createdAt)}</td>
<td><span class="clip">${job.error ? `${job.error.name}: ${job.error.message}`.slice(0, 160) : ""}</span></td>
${
  write
    ? html`<td class="actions"><button type="submit" formaction="${state.href(`${path}/retry`)}" name="back" value="${here}" data-testid="dead-retry">Retry</button>
<button type="submit" class="danger" formaction="${state.href(`${path}/remove`)}" name="back" value="${here}" data-confirm="Remove job ${job.id} for good?" data-testid="dead-remove">Remove</button></td>`
    : ""
}</tr>`;
  });
  const head = html`<thead><tr>${write ? html`<th><input type="checkbox" data-select-all="job" aria-label="select all" data-testid="dead-select-all"></th>` : ""}<th>Id</th><th>Queue</th><th>Task</th><th>State</th><th>Finished</th><th>Error</th>${write ? html`<th></th>` : ""}</tr></thead>`;
  const tableHtml = html`<div class="scroll"><table id="dead" data-testid="dead-jobs">${head}<tbody>${rows}</tbody></table></div>`;
  if (!write) return tableHtml;
  return html`<form method="post" action="${state.href("/dead/confirm")}" id="dead-form">${csrfField(c)}
${filter.queue !== undefined ? html`<input type="hidden" name="queue" value="${filter.queue}">` : ""}
${filter.state !== undefined ? html`<input type="hidden" name="state" value="${filter.state}">` : ""}
<div class="bulk">
<button type="submit" name="do" value="retry-selected" data-testid="bulk-retry-selected">Retry selected…</button>
<button type="submit" name="do" value="remove-selected" class="danger" data-testid="bulk-remove-selected">Remove selected…</button>
<button type="submit" name="do" value="retry-all" data-testid="bulk-retry-all">Retry all ${count(total)}…</button>
<button type="submit" name="do" value="remove-all" class="danger" data-testid="bulk-remove-all">Remove all ${count(total)}…</button>
</div>
${tableHtml}</form>`;
}
