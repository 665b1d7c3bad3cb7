/**
 * `/queues/:name`: the queue's live counts as state tabs, its jobs (paged, newest or oldest first,
 * filtered by task; an id search jumps to the job), its charts, and its admin forms.
 */
import { html } from "hono/html";
import { JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import type { Ctx } from "../env.js";
import { type JobListPage, listJobs, PAGE_SIZE, TASK_SCAN_LIMIT } from "../job-list.js";
import { type DashboardState, jobPath, queuePath } from "../state.js";
import { chartRange, charts } from "./charts.js";
import { notFoundPage } from "./errors.js";
import { compactJson, count, type Html, time } from "./format.js";
import { page } from "./layout.js";
import { status } from "./overview.js";
import { queueForms } from "./queue-forms.js";

interface Params {
  state: JobState | "all";
  page: number;
  asc: boolean;
  task?: string;
  id?: string;
}

export async function queuePage(c: Ctx, state: DashboardState, name: string): Promise<Response> {
  if (!(await state.hasQueue(name))) return notFoundPage(c, state, `There is no queue "${name}".`);
  const params = readParams(c);
  const queue = state.queue(name);
  if (params.id !== undefined) {
    const job = await queue.getJob(params.id);
    if (job) return c.redirect(state.href(jobPath(name, job.id)), 302);
  }
  const [counts, paused, list] = await Promise.all([
    queue.getJobCounts(),
    queue.isPaused(),
    listJobs(queue, {
      states: params.state === "all" ? [] : [params.state],
      asc: params.asc,
      page: params.page,
      ...(params.task !== undefined ? { task: params.task } : {}),
    }),
  ]);
  const total = JOB_STATES.reduce((n, s) => n + (counts[s] ?? 0), 0);
  return page(c, state, {
    title: `Queue ${name}`,
    live: { queue: name },
    body: html`<p class="subtitle">${status(name, paused)}
<a href="${state.href(`${queuePath(name)}/repeatables`)}" data-testid="link-repeatables">Repeatables</a> ·
<a href="${state.href(`/dead?queue=${encodeURIComponent(name)}`)}" data-testid="link-dead">Dead letters</a></p>
${params.id !== undefined ? html`<p class="error" data-testid="id-not-found">No job with id "${params.id}" in this queue.</p>` : ""}
${tabs(state, name, params, counts, total)}
${searchForm(state, name, params)}
${jobTable(state, name, list, params)}
${pager(state, name, params, list)}
${queueForms(c, state, name, paused)}
${charts(state, chartRange(c.req.query("range")), queuePath(name), name)}`,
  });
}

function readParams(c: Ctx): Params {
  const q = (key: string) => {
    const v = c.req.query(key)?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const s = q("state");
  const pageNumber = Number(q("page") ?? "1");
  return {
    state: s !== undefined && (JOB_STATES as readonly string[]).includes(s) ? (s as JobState) : "all",
    page: Number.isInteger(pageNumber) && pageNumber >= 1 && pageNumber <= 100_000 ? pageNumber : 1,
    asc: q("sort") === "oldest",
    ...(q("task") !== undefined ? { task: q("task") } : {}),
    ...(q("id") !== undefined ? { id: q("id") } : {}),
  };
}

/** The query string of the list with some parameters changed. */
function listHref(state: DashboardState, name: string, params: Params, change: Partial<Params>): string {
  const p = { ...params, ...change };
  const query = new URLSearchParams();
  if (p.state !== "all") query.set("state", p.state);
  if (p.task !== undefined) query.set("task", p.task);
  if (p.asc) query.set("sort", "oldest");
  if (p.page > 1) query.set("page", String(p.page));
  const text = query.toString();
  return state.href(`${queuePath(name)}${text ? `?${text}` : ""}`);
}

function tabs(
  state: DashboardState,
  name: string,
  params: Params,
  counts: Record<JobState, number>,
  total: number,
): Html {
  const tab = (s: JobState | "all", label: string, n: Html) =>
    html`<a href="${listHref(state, name, params, { state: s, page: 1 })}" class="tab${params.state === s ? " current" : ""}" data-testid="tab-${s}"${
      params.state === s ? html` aria-current="page"` : ""
    }>${label} ${n}</a>`;
  return html`<nav class="tabs" id="state-tabs" aria-label="job states">
${tab("all", "all", html`<span class="n">${count(total)}</span>`)}
${JOB_STATES.map((s) =>
  tab(
    s,
    s,
    html`<span class="n count" data-queue="${name}" data-state="${s}" data-testid="count-${s}">${count(counts[s] ?? 0)}</span>`,
  ),
)}
</nav>`;
}

function searchForm(state: DashboardState, name: string, params: Params): Html {
  return html`<form method="get" action="${state.href(queuePath(name))}" class="search" id="job-search" role="search">
${params.state === "all" ? "" : html`<input type="hidden" name="state" value="${params.state}">`}
<label>Job id <input name="id" value="${params.id ?? ""}" data-testid="search-id" placeholder="exact id"></label>
<label>Task <input name="task" value="${params.task ?? ""}" data-testid="search-task" placeholder="task name"></label>
<label>Order <select name="sort" data-testid="search-sort">
<option value="newest"${params.asc ? "" : html` selected`}>newest first</option>
<option value="oldest"${params.asc ? html` selected` : ""}>oldest first</option>
</select></label>
<button type="submit" data-testid="search-submit">Search</button>
</form>`;
}

function jobTable(state: DashboardState, name: string, list: JobListPage, params: Params): Html {
  const note = list.truncated
    ? html`<p class="hint" data-testid="scan-truncated">Only the first ${count(TASK_SCAN_LIMIT)} jobs were searched for this task.</p>`
    : "";
  if (list.jobs.length === 0) {
    return html`${note}<p class="empty" data-testid="no-jobs">No ${params.state === "all" ? "" : `${params.state} `}jobs${params.task !== undefined ? ` of task "${params.task}"` : ""} on this page.</p>`;
  }
  return html`${note}<div class="scroll"><table id="jobs" data-testid="jobs">
<thead><tr><th>Id</th><th>Task</th><th>State</th><th>Created</th><th class="num">Attempts</th><th class="num">Priority</th><th>Data</th><th>Error</th></tr></thead>
<tbody>${list.jobs.map((job) => jobRow(state, name, job))}</tbody></table></div>`;
}

function jobRow(state: DashboardState, name: string, job: JobRecord): Html {
  return html`<tr data-testid="job-row" data-job-id="${job.id}">
<td><a href="${state.href(jobPath(name, job.id))}" data-testid="job-link">${job.id}</a></td>
<td>${job.task}</td><td><span class="state ${job.state}">${job.state}</span></td>
<td>${time(job.createdAt)}</td><td class="num">${job.attempts}</td><td class="num">${job.priority}</td>
<td><code class="clip">${compactJson(job.data, 80)}</code></td>
<td><span class="clip">${job.error ? `${job.error.name}: ${job.error.message}`.slice(0, 120) : ""}</span></td></tr>`;
}

function pager(state: DashboardState, name: string, params: Params, list: JobListPage): Html {
  const prev =
    params.page > 1
      ? html`<a href="${listHref(state, name, params, { page: params.page - 1 })}" rel="prev" data-testid="page-prev">← previous</a>`
      : "";
  const next = list.more
    ? html`<a href="${listHref(state, name, params, { page: params.page + 1 })}" rel="next" data-testid="page-next">next →</a>`
    : "";
  return html`<nav class="pager" aria-label="pages">${prev} <span data-testid="page-number">page ${params.page}</span> (${PAGE_SIZE} a page) ${next}</nav>`;
}
