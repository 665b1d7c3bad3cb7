/**
 * Bulk retry and remove of dead letters. `/dead/confirm` renders the confirmation (nothing
 * changes); `/dead/bulk` does it: for selected jobs, each one; for "all", the jobs the filter
 * matches, in chunks, at most as many as the confirmation named (so jobs that fail again meanwhile
 * are not retried in a loop).
 */
import type { Hono } from "hono";
import { DEAD_STATES } from "../job.js";
import { type DeadFilter, deadCount, deadFilter, deadPath, deadQueues, deadStates } from "./dead-letters.js";
import type { DashboardEnv } from "./env.js";
import { redirectWith } from "./flash.js";
import { confirmPage } from "./pages/confirm.js";
import { plural } from "./pages/format.js";
import type { DashboardState } from "./state.js";

type Op = "retry" | "remove";
type Form = Record<string, string | File | Array<string | File>>;

const CHUNK = 200;

export function bulkRoutes(app: Hono<DashboardEnv>, state: DashboardState): void {
  app.post("/dead/confirm", async (c) => {
    const form = await c.req.parseBody({ all: true });
    const what = String(form.do ?? "");
    const match = /^(retry|remove)-(selected|all)$/.exec(what);
    if (!match) return redirectWith(c, state, "/dead", { kind: "error", text: "choose retry or remove" });
    const op = match[1] as Op;
    const filter = deadFilter(form.queue, form.state);
    const back = deadPath(filter);
    if (match[2] === "selected") {
      const selected = selection(form);
      if (selected.length === 0)
        return redirectWith(c, state, back, { kind: "error", text: "select some jobs first" });
      return confirmPage(c, state, {
        title: op === "retry" ? "Retry jobs" : "Remove jobs",
        question: `This will ${op} ${plural(selected.length, "selected job")}.`,
        count: selected.length,
        items: selected,
        action: "/dead/bulk",
        fields: [["op", op], ...selected.map((s): [string, string] => ["job", s]), ["back", back]],
        back,
        danger: op === "remove",
      });
    }
    const n = await deadCount(state, filter);
    return confirmPage(c, state, {
      title: op === "retry" ? "Retry jobs" : "Remove jobs",
      question: `This will ${op} ${plural(n, "job")}: ${describe(filter)}.`,
      count: n,
      action: "/dead/bulk",
      fields: [
        ["op", op],
        ["scope", "all"],
        ["expected", String(n)],
        ...(filter.queue !== undefined ? [["queue", filter.queue] as [string, string]] : []),
        ...(filter.state !== undefined ? [["state", filter.state] as [string, string]] : []),
        ["back", back],
      ],
      back,
      danger: op === "remove",
    });
  });

  app.post("/dead/bulk", async (c) => {
    const form = await c.req.parseBody({ all: true });
    const op: Op = form.op === "remove" ? "remove" : "retry";
    const filter = deadFilter(form.queue, form.state);
    const back = deadPath(filter);
    const done =
      form.scope === "all"
        ? await doAll(state, op, filter, Math.max(0, Number.parseInt(String(form.expected), 10) || 0))
        : await doSelected(state, op, selection(form));
    const verb = op === "retry" ? "retried" : "removed";
    return redirectWith(c, state, back, { kind: "ok", text: `${verb} ${plural(done, "job")}` });
  });
}

/** `queue:id` values of the checked rows (queue names cannot hold ":"). */
function selection(form: Form): string[] {
  const raw = form.job;
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v.indexOf(":") > 0))];
}

async function doSelected(state: DashboardState, op: Op, selected: string[]): Promise<number> {
  let done = 0;
  for (const value of selected) {
    const colon = value.indexOf(":");
    const queue = state.queue(value.slice(0, colon));
    const id = value.slice(colon + 1);
    const job = await queue.getJob(id);
    // Only dead letters: a row selected a while ago may have been retried and be running now.
    if (!job || !DEAD_STATES.includes(job.state)) continue;
    if (op === "retry" ? await queue.retryJob(id) : await queue.removeJob(id)) done++;
  }
  return done;
}

async function doAll(state: DashboardState, op: Op, filter: DeadFilter, expected: number): Promise<number> {
  let done = 0;
  const states = deadStates(filter);
  for (const name of await deadQueues(state, filter)) {
    const queue = state.queue(name);
    while (done < expected) {
      const jobs = await queue.getJobs(states, {
        start: 0,
        end: Math.min(CHUNK, expected - done) - 1,
        asc: true,
      });
      let moved = 0;
      for (const job of jobs)
        if (op === "retry" ? await queue.retryJob(job.id) : await queue.removeJob(job.id)) moved++;
      done += moved;
      if (jobs.length === 0 || moved === 0) break;
    }
  }
  return done;
}

function describe(filter: DeadFilter): string {
  const states = filter.state ?? "failed, expired and cancelled";
  return filter.queue !== undefined
    ? `every ${states} job of queue ${filter.queue}`
    : `every ${states} job of every queue`;
}
