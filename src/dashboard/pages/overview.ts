/** `/`: every queue (live counts, rates, mean wait), the history charts and the live workers. */
import { html } from "hono/html";
import type { WorkerInfo } from "../../backends/backend.js";
import { JOB_STATES } from "../../job.js";
import type { Ctx } from "../env.js";
import { type DashboardState, queuePath } from "../state.js";
import { allSummaries, type QueueSummary } from "../stats.js";
import { chartRange, charts } from "./charts.js";
import { count, type Html, ms, perSecond, time } from "./format.js";
import { page } from "./layout.js";

export async function overviewPage(c: Ctx, state: DashboardState): Promise<Response> {
  const now = Date.now();
  const [summaries, workers] = await Promise.all([
    allSummaries(state, now),
    state.config.backend.workers?.list(now) ?? Promise.resolve(null),
  ]);
  return page(c, state, {
    title: "Queues",
    live: {},
    body: html`<p id="new-queues" class="flash ok" hidden data-testid="new-queues">New queues appeared: <a href="">reload</a> to see them.</p>
${queueTable(state, summaries)}
${charts(state, chartRange(c.req.query("range")), "/")}
${workerTable(workers, now)}`,
  });
}

function queueTable(state: DashboardState, summaries: QueueSummary[]): Html {
  if (summaries.length === 0) {
    return html`<p class="empty" data-testid="no-queues">No queues yet. Enqueue a job (<code>asyncmq job enqueue &lt;queue&gt; &lt;task&gt;</code>) and it shows here.</p>`;
  }
  return html`<p class="hint">Counts update live; rates and mean wait cover the last 5 minutes.</p>
<div class="scroll"><table id="queues" data-testid="queues">
<thead><tr><th>Queue</th><th>Status</th>${JOB_STATES.map((s) => html`<th class="num">${s}</th>`)}
<th class="num" title="completed per second">done/s</th><th class="num" title="failed per second">failed/s</th><th class="num">mean wait</th></tr></thead>
<tbody>${summaries.map(
    (q) => html`<tr data-testid="queue-row" data-queue="${q.name}">
<td><a href="${state.href(queuePath(q.name))}" data-testid="queue-link">${q.name}</a></td>
<td>${status(q.name, q.paused)}</td>
${JOB_STATES.map(
  (s) =>
    html`<td class="num count" data-queue="${q.name}" data-state="${s}" data-testid="count-${s}">${count(q.counts[s] ?? 0)}</td>`,
)}
<td class="num" data-testid="rate-completed" data-refresh="completed/${q.name}">${perSecond(q.completedPerSec)}</td>
<td class="num" data-testid="rate-failed" data-refresh="failed/${q.name}">${perSecond(q.failedPerSec)}</td>
<td class="num" data-testid="mean-wait" data-refresh="wait/${q.name}">${ms(q.meanWaitMs)}</td>
</tr>`,
  )}</tbody></table></div>`;
}

/** A queue's running/paused badge; app.js flips it on live updates. */
export function status(queue: string, paused: boolean): Html {
  return html`<span class="status ${paused ? "paused" : "running"}" data-queue-status="${queue}" data-testid="queue-status">${paused ? "paused" : "running"}</span>`;
}

function workerTable(workers: WorkerInfo[] | null, now: number): Html {
  const body =
    workers === null
      ? html`<p class="hint">This backend keeps no worker registry.</p>`
      : workers.length === 0
        ? html`<p class="empty" data-testid="no-workers">No live workers (start one with <code>asyncmq worker start &lt;queue&gt; --tasks &lt;module&gt;</code>).</p>`
        : html`<div class="scroll"><table id="workers" data-testid="workers">
<thead><tr><th>Worker</th><th>Queues</th><th>Host</th><th class="num">PID</th><th class="num">Concurrency</th><th class="num">Active</th><th>Started</th><th>Heartbeat</th></tr></thead>
<tbody>${workers.map(
            (w) => html`<tr data-testid="worker-row" data-worker="${w.id}">
<td><code>${w.id}</code></td><td>${w.queues.join(", ")}</td><td>${w.host}</td><td class="num">${w.pid}</td>
<td class="num">${w.concurrency}</td><td class="num" data-testid="worker-active">${w.active}</td>
<td>${time(w.startedAt, now)}</td><td data-testid="worker-heartbeat">${time(w.heartbeatAt, now)}</td></tr>`,
          )}</tbody></table></div>`;
  return html`<section aria-labelledby="workers-title" data-refresh="workers"><h2 id="workers-title">Live workers</h2>${body}</section>`;
}
