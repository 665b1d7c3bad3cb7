/**
 * Every action, POST only: pause/resume, add, clean, drain, the job actions (retry, cancel, remove,
 * promote) and the repeatable ones. Each goes through the public Queue API and redirects back
 * (303) with a flash message; a ValidationError from the Queue API becomes that message. CSRF is
 * checked before (csrf.ts); read-only mode refuses all of them with 403 (readOnlyGuard).
 */
import type { Hono, MiddlewareHandler } from "hono";
import { ValidationError } from "../errors.js";
import { JOB_STATES, type JobState, toMs } from "../job.js";
import type { Queue } from "../queue.js";
import { bulkRoutes } from "./bulk.js";
import type { Ctx, DashboardEnv } from "./env.js";
import { type Flash, redirectWith } from "./flash.js";
import { addJobPage } from "./pages/add-job.js";
import { confirmPage } from "./pages/confirm.js";
import { plural } from "./pages/format.js";
import { type DashboardState, jobPath, queuePath } from "./state.js";

/** Refuses every POST but login/logout in read-only mode. */
export function readOnlyGuard(state: DashboardState): MiddlewareHandler<DashboardEnv> {
  const open = new Set([state.href("/login"), state.href("/logout")]);
  return async (c, next) => {
    if (state.config.readOnly && c.req.method === "POST" && !open.has(c.req.path))
      return c.text("403 forbidden: this dashboard is read-only\n", 403);
    await next();
  };
}

type Handler = (c: Ctx, queue: Queue, form: Record<string, string>) => Promise<Response | Flash>;

export function actionRoutes(app: Hono<DashboardEnv>, state: DashboardState): void {
  /** Runs `handler` on the queue of the path; a Flash result redirects to `fallback` (or `back`). */
  const post = (path: string, fallback: (c: Ctx) => string, handler: Handler) =>
    app.post(path, async (c) => {
      const form = strings(await c.req.parseBody());
      let result: Response | Flash;
      try {
        result = await handler(c, state.queue(c.req.param("name") ?? ""), form);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        result = { kind: "error", text: err.message };
      }
      return result instanceof Response
        ? result
        : redirectWith(c, state, safeBack(form.back) ?? fallback(c), result);
    });
  const toQueue = (c: Ctx) => queuePath(c.req.param("name") ?? "");
  const toJob = (c: Ctx) => jobPath(c.req.param("name") ?? "", c.req.param("id") ?? "");
  const toRepeatables = (c: Ctx) => `${toQueue(c)}/repeatables`;

  post("/queues/:name/pause", toQueue, async (_c, q) => {
    await q.pause();
    return { kind: "ok", text: `queue ${q.name} paused; running jobs finish, no new ones start` };
  });
  post("/queues/:name/resume", toQueue, async (_c, q) => {
    await q.resume();
    return { kind: "ok", text: `queue ${q.name} resumed` };
  });
  post("/queues/:name/add", toQueue, async (c, q, form) => {
    const values = { task: form.task ?? "", data: form.data ?? "", delay: form.delay ?? "" };
    let data: unknown;
    try {
      data = values.data.trim() === "" ? undefined : JSON.parse(values.data);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return addJobPage(
        c,
        state,
        q.name,
        values,
        `Data is not valid JSON (${why}). Write it like {"to": "ada@example.com"}.`,
      );
    }
    try {
      const delay = values.delay.trim();
      const id = await q.add(values.task.trim(), data, delay === "" ? {} : { delay: parseDelay(delay) });
      return redirectWith(c, state, jobPath(q.name, id), { kind: "ok", text: `job ${id} added` });
    } catch (err) {
      if (err instanceof ValidationError) return addJobPage(c, state, q.name, values, err.message);
      throw err;
    }
  });
  post("/queues/:name/confirm", toQueue, (c, q, form) => confirmQueueOp(c, state, q, form));
  post("/queues/:name/clean", toQueue, async (_c, q, form) => {
    const s = cleanState(form.state);
    const grace = parseDelay(form.grace ?? "0");
    const removed = await cleanAll(q, s, grace, Number.parseInt(form.expected ?? "0", 10) || 0);
    return { kind: "ok", text: `removed ${plural(removed, `${s} job`)}` };
  });
  post("/queues/:name/drain", toQueue, async (_c, q, form) => {
    const removed = await q.drain({ includeDelayed: form.delayed === "1" });
    return { kind: "ok", text: `removed ${plural(removed, "job")} (drained)` };
  });

  const jobAction = (verb: string, done: string, run: (q: Queue, id: string) => Promise<boolean>) =>
    post(`/queues/:name/jobs/:id/${verb}`, verb === "remove" ? toQueue : toJob, async (c, q) => {
      const id = c.req.param("id") ?? "";
      const ok = await run(q, id);
      const job = ok ? null : await q.getJob(id);
      if (ok) return { kind: "ok", text: `job ${id} ${done}` };
      return {
        kind: "error",
        text: job ? `job ${id} is ${job.state}, so it was not ${done}` : `job ${id} no longer exists`,
      };
    });
  jobAction("retry", "retried", (q, id) => q.retryJob(id));
  jobAction("cancel", "cancelled", (q, id) => q.cancelJob(id));
  jobAction("remove", "removed", (q, id) => q.removeJob(id));
  jobAction("promote", "promoted (runs now)", (q, id) => q.promoteJob(id));

  post("/queues/:name/repeatables/:rid/pause", toRepeatables, async (c, q) => {
    await q.pauseRepeatable(c.req.param("rid") ?? "");
    return { kind: "ok", text: `repeatable ${c.req.param("rid")} paused` };
  });
  post("/queues/:name/repeatables/:rid/resume", toRepeatables, async (c, q) => {
    const next = await q.resumeRepeatable(c.req.param("rid") ?? "");
    return {
      kind: "ok",
      text: `repeatable ${c.req.param("rid")} resumed; next run ${new Date(next).toISOString()}`,
    };
  });
  post("/queues/:name/repeatables/:rid/remove", toRepeatables, async (c, q) => {
    const rid = c.req.param("rid") ?? "";
    return (await q.removeRepeatable(rid))
      ? { kind: "ok", text: `repeatable ${rid} removed` }
      : { kind: "error", text: `there is no repeatable ${rid}` };
  });

  bulkRoutes(app, state);
}

/** The confirmation page of clean or drain, naming how many jobs they can touch. */
async function confirmQueueOp(
  c: Ctx,
  state: DashboardState,
  q: Queue,
  form: Record<string, string>,
): Promise<Response> {
  const counts = await q.getJobCounts();
  const back = queuePath(q.name);
  if (form.op === "drain") {
    const delayed = form.delayed === "1";
    const n = counts.waiting + (delayed ? counts.delayed : 0);
    return confirmPage(c, state, {
      title: "Drain queue",
      question: `This will remove the ${plural(n, delayed ? "waiting and delayed job" : "waiting job")} of queue ${q.name}; they will never run.`,
      count: n,
      action: `${back}/drain`,
      fields: delayed ? [["delayed", "1"]] : [],
      back,
      danger: true,
    });
  }
  const s = cleanState(form.state);
  const grace = form.grace?.trim() || "0";
  parseDelay(grace);
  const n = counts[s] ?? 0;
  return confirmPage(c, state, {
    title: "Clean queue",
    question: `This will remove up to ${plural(n, `${s} job`)} of queue ${q.name}: those older than ${grace}.`,
    count: n,
    action: `${back}/clean`,
    fields: [
      ["state", s],
      ["grace", grace],
      ["expected", String(n)],
    ],
    back,
    danger: true,
  });
}

/** Cleans in batches (Queue.clean takes at most `limit` a call) up to `expected` jobs. */
async function cleanAll(q: Queue, state: JobState, grace: number, expected: number): Promise<number> {
  let removed = 0;
  while (removed < expected) {
    const want = Math.min(1000, expected - removed);
    const ids = await q.clean(state, { grace, limit: want });
    removed += ids.length;
    if (ids.length < want) break;
  }
  return removed;
}

function cleanState(value: string | undefined): JobState {
  if (value === undefined || !(JOB_STATES as readonly string[]).includes(value) || value === "active")
    throw new ValidationError(
      `choose a state to clean: ${JOB_STATES.filter((s) => s !== "active").join(", ")}`,
    );
  return value as JobState;
}

/** A duration typed in a form: ms digits or "30s", "5m", "1h"... */
function parseDelay(text: string): number {
  const t = text.trim();
  return /^\d+$/.test(t) ? toMs(Number(t), "the duration") : toMs(t, "the duration");
}

/** A `back` path from a form, if it is one of ours (a local path, never another site). */
function safeBack(value: string | undefined): string | undefined {
  if (value === undefined || !/^\/(?![/\\])[^\s\\]*$/.test(value)) return undefined;
  return value;
}

function strings(form: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(form)) if (typeof v === "string") out[k] = v;
  return out;
}
