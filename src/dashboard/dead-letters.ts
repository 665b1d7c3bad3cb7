/**
 * The dead-letter list across queues (failed, expired and cancelled jobs), newest first, and the
 * jobs a bulk action on it targets. Several queues are merged by finish time, one page at a time.
 */
import { DEAD_STATES, type JobRecord, type JobState } from "../job.js";
import { PAGE_SIZE } from "./job-list.js";
import type { DashboardState } from "./state.js";

export interface DeadFilter {
  /** One queue, or every queue when undefined. */
  queue?: string;
  /** One dead state, or all three when undefined. */
  state?: JobState;
}

/** The filter from query or form values; unknown values fall back to "all". */
export function deadFilter(queue: unknown, state: unknown): DeadFilter {
  const filter: DeadFilter = {};
  if (typeof queue === "string" && queue !== "") filter.queue = queue;
  if (typeof state === "string" && (DEAD_STATES as readonly string[]).includes(state))
    filter.state = state as JobState;
  return filter;
}

export function deadStates(filter: DeadFilter): JobState[] {
  return filter.state !== undefined ? [filter.state] : [...DEAD_STATES];
}

export async function deadQueues(state: DashboardState, filter: DeadFilter): Promise<string[]> {
  const all = (await state.config.backend.listQueues()).sort();
  return filter.queue !== undefined ? all.filter((q) => q === filter.queue) : all;
}

/** How many jobs the filter matches now. */
export async function deadCount(state: DashboardState, filter: DeadFilter): Promise<number> {
  const states = deadStates(filter);
  const counts = await Promise.all(
    (await deadQueues(state, filter)).map((q) => state.queue(q).getJobCounts()),
  );
  return counts.reduce((n, c) => n + states.reduce((m, s) => m + (c[s] ?? 0), 0), 0);
}

/** One page (1-based) of the filter's jobs, newest finished first, and whether more follow. */
export async function deadPage(
  state: DashboardState,
  filter: DeadFilter,
  page: number,
): Promise<{ jobs: JobRecord[]; more: boolean }> {
  const states = deadStates(filter);
  const end = page * PAGE_SIZE; // inclusive: one more than the pages so far, to know if more follow
  const lists = await Promise.all(
    (await deadQueues(state, filter)).map((q) =>
      state.queue(q).getJobs(states, { start: 0, end, asc: false }),
    ),
  );
  const merged = lists.flat().sort((a, b) => (b.finishedAt ?? b.createdAt) - (a.finishedAt ?? a.createdAt));
  const start = (page - 1) * PAGE_SIZE;
  return { jobs: merged.slice(start, start + PAGE_SIZE), more: merged.length > start + PAGE_SIZE };
}

/** The dashboard path of the dead-letter list with `filter`, at page `page`. */
export function deadPath(filter: DeadFilter, page = 1): string {
  const q = new URLSearchParams();
  if (filter.queue !== undefined) q.set("queue", filter.queue);
  if (filter.state !== undefined) q.set("state", filter.state);
  if (page > 1) q.set("page", String(page));
  const text = q.toString();
  return text ? `/dead?${text}` : "/dead";
}
