/**
 * `/queues/:name/jobs/:id`: one job: state, data, options, progress, attempts, a timeline derived
 * from its times (the backend keeps no per-job event history), logs, result, error and stack, its
 * parents and the children still waiting on it, and its actions.
 */

import { html } from "hono/html";
import { DEAD_STATES, type JobRecord, type JobState } from "../../job.js";
import { type JobView, showJob } from "../../job-view.js";
import type { Ctx } from "../env.js";
import { type DashboardState, jobPath, queuePath } from "../state.js";
import { notFoundPage } from "./errors.js";
import { type Html, humanDuration, prettyJson, time } from "./format.js";
import { page } from "./layout.js";
import { actionButton } from "./parts.js";

const CANCELLABLE: readonly JobState[] = ["waiting", "delayed", "active", "waiting-children"];

interface Related {
  id: string;
  state: JobState | null;
}

export async function jobPage(c: Ctx, state: DashboardState, name: string, id: string): Promise<Response> {
  const queue = state.queue(name);
  const job = await queue.getJob(id);
  if (!job) return notFoundPage(c, state, `There is no job "${id}" in queue "${name}".`);
  const related = (ids: string[]): Promise<Related[]> =>
    Promise.all(ids.map(async (i) => ({ id: i, state: (await queue.getJob(i))?.state ?? null })));
  const [logs, parents, children] = await Promise.all([
    state.config.backend.getLogs(name, id),
    related(job.dependsOn ?? []),
    queue.getDependants(id).then(related),
  ]);
  return page(c, state, {
    title: `Job ${job.id}`,
    live: { queue: name, job: job.id },
    body: html`<p class="subtitle">in queue <a href="${state.href(queuePath(name))}" data-testid="job-queue">${name}</a></p>
${actions(c, state, job)}
${summary(job)}
${timeline(job)}
<section aria-labelledby="data-title"><h2 id="data-title">Data</h2><pre data-testid="job-data">${prettyJson(job.data)}</pre></section>
${job.result !== undefined ? html`<section><h2>Result</h2><pre data-testid="job-result">${prettyJson(job.result)}</pre></section>` : ""}
${errorSection(job)}
<section aria-labelledby="logs-title"><h2 id="logs-title">Logs</h2>${
      logs.length === 0
        ? html`<p class="empty" data-testid="no-logs">No log lines (a task writes them with <code>ctx.log()</code>).</p>`
        : html`<ol class="logs" data-testid="job-logs">${logs.map((line) => html`<li>${line}</li>`)}</ol>`
    }</section>
<section aria-labelledby="options-title"><h2 id="options-title">Options</h2><pre data-testid="job-options">${prettyJson(options(job))}</pre></section>
${relations(state, name, "Parents (dependsOn)", "job-parents", parents)}
${relations(state, name, "Children still waiting on it", "job-children", children)}`,
  });
}

function actions(c: Ctx, state: DashboardState, job: JobRecord): Html | string {
  if (state.config.readOnly) return "";
  const path = jobPath(job.queue, job.id);
  return html`<div class="actions" data-testid="job-actions">
${DEAD_STATES.includes(job.state) ? actionButton(c, state, { path: `${path}/retry`, label: "Retry", testid: "action-retry" }) : ""}
${job.state === "delayed" ? actionButton(c, state, { path: `${path}/promote`, label: "Run now", testid: "action-promote" }) : ""}
${
  CANCELLABLE.includes(job.state)
    ? actionButton(c, state, {
        path: `${path}/cancel`,
        label: "Cancel",
        testid: "action-cancel",
        confirm: `Cancel job ${job.id}? It will not run (a running job is told to stop).`,
      })
    : ""
}
${actionButton(c, state, {
  path: `${path}/remove`,
  label: "Remove",
  testid: "action-remove",
  danger: true,
  confirm: `Remove job ${job.id} for good?`,
})}
</div>`;
}

function summary(job: JobRecord): Html {
  const progress =
    job.progress === undefined
      ? "-"
      : typeof job.progress === "number"
        ? `${job.progress}`
        : JSON.stringify(job.progress);
  return html`<dl class="facts">
<dt>State</dt><dd><span class="state ${job.state}" data-testid="job-state">${job.state}</span></dd>
<dt>Task</dt><dd data-testid="job-task">${job.task}</dd>
<dt>Attempts</dt><dd data-testid="job-attempts">${attemptsOf(job)}</dd>
<dt>Progress</dt><dd data-testid="job-progress">${progress}</dd>
<dt>Priority</dt><dd>${job.priority}</dd>
<dt>Stalled</dt><dd>${job.stalledCount} time${job.stalledCount === 1 ? "" : "s"}</dd>
${job.workerId !== undefined ? html`<dt>Worker</dt><dd><code>${job.workerId}</code> (lease until ${time(job.leaseExpiresAt)})</dd>` : ""}
</dl>`;
}

function timeline(job: JobRecord): Html {
  const rows: Array<[string, number, string]> = [["created", job.createdAt, ""]];
  if (job.runAt !== undefined && job.runAt > job.createdAt) rows.push(["due to run", job.runAt, ""]);
  if (job.startedAt !== undefined) {
    // A retry resets attempts to 0 but keeps the times of the attempt before it.
    const note = job.attempts > 0 ? `attempt ${job.attempts}` : "(before the retry)";
    rows.push(["last attempt started", job.startedAt, note]);
  }
  if (job.finishedAt !== undefined) {
    const took = job.startedAt !== undefined ? `after ${humanDuration(job.finishedAt - job.startedAt)}` : "";
    rows.push([`finished: ${job.state}`, job.finishedAt, took]);
  }
  rows.sort((a, b) => a[1] - b[1]);
  return html`<section aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>
<ol class="timeline" data-testid="job-timeline">${rows.map(
    ([what, at, note]) =>
      html`<li><span class="what">${what}</span> ${time(at)} <span class="iso">${new Date(at).toISOString()}</span> ${note}</li>`,
  )}<li><span class="what">now: ${job.state}</span></li></ol>
<p class="hint">Derived from the job's recorded times: the backend keeps no per-job event history (earlier attempts show in the logs and the attempt count).</p></section>`;
}

function errorSection(job: JobRecord): Html | string {
  if (!job.error) return "";
  return html`<section aria-labelledby="error-title"><h2 id="error-title">Error</h2>
<p class="error" data-testid="job-error">${job.error.name}: ${job.error.message}</p>
${job.error.stack ? html`<pre class="stack" data-testid="job-stack">${job.error.stack}</pre>` : ""}</section>`;
}

/** The options the job was enqueued with (what is not shown elsewhere on the page). */
const OPTION_KEYS = [
  "priority",
  "maxRetries",
  "backoff",
  "ttl",
  "timeout",
  "removeOnComplete",
  "removeOnFail",
  "onParentFailure",
] as const satisfies ReadonlyArray<keyof JobView>;

/** The options it runs with: the task's where it left them to the task (never the placeholder). */
function options(job: JobRecord): Record<string, unknown> {
  const { view, fromTask } = showJob(job);
  const shown = Object.fromEntries(OPTION_KEYS.filter((k) => view[k] != null).map((k) => [k, view[k]]));
  return fromTask.length === 0 ? shown : { ...shown, fromWorkerTask: fromTask };
}

/** "2 of 3" (attempts of at most), or what decides the limit when it is the worker's task's. */
function attemptsOf(job: JobRecord): string {
  const { view } = showJob(job);
  return view.maxRetries === null
    ? `${job.attempts} (at most 1 + the retries of task "${job.task}" in the worker)`
    : `${job.attempts} of ${view.maxRetries + 1}`;
}

function relations(
  state: DashboardState,
  queue: string,
  title: string,
  testid: string,
  list: Related[],
): Html | string {
  if (list.length === 0) return "";
  return html`<section><h2>${title}</h2><ul data-testid="${testid}">${list.map(
    (r) =>
      html`<li><a href="${state.href(jobPath(queue, r.id))}">${r.id}</a> <span class="state ${r.state ?? "removed"}">${r.state ?? "removed"}</span></li>`,
  )}</ul></section>`;
}
