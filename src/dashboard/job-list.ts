/**
 * One page of a queue's jobs: by state, newest or oldest first, optionally only one task's. The
 * backend has no index by task, so the task filter reads the state's jobs in chunks, up to
 * TASK_SCAN_LIMIT of them, and says when it stopped there.
 */
import type { JobRecord, JobState } from "../job.js";
import type { Queue } from "../queue.js";

export const PAGE_SIZE = 25;
export const TASK_SCAN_LIMIT = 10_000;
const CHUNK = 500;

export interface JobListQuery {
  /** Empty: every state. */
  states: JobState[];
  task?: string;
  asc: boolean;
  /** 1-based. */
  page: number;
}

export interface JobListPage {
  jobs: JobRecord[];
  /** Whether a next page exists. */
  more: boolean;
  /** With a task filter: the scan stopped at TASK_SCAN_LIMIT jobs before reaching the end. */
  truncated: boolean;
}

export async function listJobs(queue: Queue, query: JobListQuery): Promise<JobListPage> {
  const offset = (query.page - 1) * PAGE_SIZE;
  if (query.task === undefined) {
    const jobs = await queue.getJobs(query.states, {
      start: offset,
      end: offset + PAGE_SIZE,
      asc: query.asc,
    });
    return { jobs: jobs.slice(0, PAGE_SIZE), more: jobs.length > PAGE_SIZE, truncated: false };
  }
  const matches: JobRecord[] = [];
  for (let start = 0; start < TASK_SCAN_LIMIT; start += CHUNK) {
    const chunk = await queue.getJobs(query.states, { start, end: start + CHUNK - 1, asc: query.asc });
    for (const job of chunk) if (job.task === query.task) matches.push(job);
    if (matches.length > offset + PAGE_SIZE) {
      return { jobs: matches.slice(offset, offset + PAGE_SIZE), more: true, truncated: false };
    }
    if (chunk.length < CHUNK) {
      return { jobs: matches.slice(offset, offset + PAGE_SIZE), more: false, truncated: false };
    }
  }
  return { jobs: matches.slice(offset, offset + PAGE_SIZE), more: false, truncated: true };
}
