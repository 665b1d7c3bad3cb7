/**
 * Small helpers for the backend conformance suite. They only use the Backend interface and the
 * exported `events` emitter, so any backend can be tested with them.
 */
import type {
  Backend,
  ClaimOptions,
  Finish,
  NewJob,
  QueueEvent,
  RateLimitStore,
  RepeatableStore,
  WakeReason,
  WorkerRegistry,
} from "../../src/backends/backend.js";
import { events, JOB_EVENT_NAMES, type JobEventName, type JobEventPayload } from "../../src/events.js";
import type { ClaimedJob, JobRecord } from "../../src/job.js";

/** A fixed clock origin: every test passes times relative to it, so nothing sleeps. */
export const T0 = 1_700_000_000_000;

let queueCounter = 0;
const runTag = Math.random().toString(36).slice(2, 8);

/** A queue name no other test (or earlier run against a durable backend) uses. */
export function uniqueQueue(label: string): string {
  queueCounter++;
  return `conf-${label}-${runTag}-${queueCounter}`;
}

/** A valid NewJob with defaults; `over` wins. */
export function newJob(over: Partial<NewJob> = {}): NewJob {
  return {
    task: "conf-task",
    dataJson: JSON.stringify({ n: 1 }),
    priority: 5,
    maxRetries: 0,
    createdAt: T0,
    ...over,
  };
}

/** Enqueues one job and returns its id. */
export async function add(backend: Backend, queue: string, over: Partial<NewJob> = {}): Promise<string> {
  const [result] = await backend.enqueue(queue, [newJob(over)]);
  if (!result) throw new Error("enqueue returned no result");
  return result.id;
}

/** Claim options with defaults. */
export function claimOpts(over: Partial<ClaimOptions> = {}): ClaimOptions {
  return { workerId: "w-conf", limit: 1, leaseMs: 1000, now: T0 + 10, ...over };
}

/** The finish items that complete `jobs` (fenced by their tokens), each with result `resultJson`. */
export function completions(jobs: readonly ClaimedJob[], resultJson = "1"): Finish[] {
  return jobs.map((j) => ({ kind: "completed", jobId: j.id, token: j.token, resultJson }));
}

/** Claims exactly one job or fails the test. */
export async function claimOne(
  backend: Backend,
  queue: string,
  over: Partial<ClaimOptions> = {},
): Promise<ClaimedJob> {
  const jobs = await backend.claim(queue, claimOpts({ ...over, limit: 1 }));
  if (jobs.length !== 1 || !jobs[0]) throw new Error(`expected to claim one job, got ${jobs.length}`);
  return jobs[0];
}

/** Claims job `jobId` alone, if it is waiting; null otherwise. */
export async function claimById(
  backend: Backend,
  queue: string,
  jobId: string,
  options: Omit<ClaimOptions, "limit" | "jobId">,
): Promise<ClaimedJob | null> {
  const [job] = await backend.claim(queue, { ...options, limit: 1, jobId });
  return job ?? null;
}

/** The backend's repeatable store; every engine under test has one. */
export function repeatablesOf(backend: Backend): RepeatableStore {
  if (!backend.repeatables || !backend.capabilities.repeatables) throw new Error("no repeatable store");
  return backend.repeatables;
}

/** The backend's queue-wide rate buckets; every engine under test has them. */
export function rateLimitsOf(backend: Backend): RateLimitStore {
  if (!backend.rateLimits || !backend.capabilities.rateLimits) throw new Error("no rate-limit store");
  return backend.rateLimits;
}

/** The backend's worker registry; every engine under test has one. */
export function workersOf(backend: Backend): WorkerRegistry {
  if (!backend.workers || !backend.capabilities.workers) throw new Error("no worker registry");
  return backend.workers;
}

/** Fetches a job that must exist. */
export async function mustGet(backend: Backend, queue: string, id: string): Promise<JobRecord> {
  const job = await backend.getJob(queue, id);
  if (!job) throw new Error(`job ${id} of ${queue} is missing`);
  return job;
}

/**
 * Waits, without a fixed sleep, until `check` holds: retries on each turn of the event loop for
 * at most `ms`. Backends may deliver events and wake-ups synchronously or a little later.
 */
export async function eventually(check: () => boolean, ms = 1000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export interface Recorded {
  name: JobEventName;
  payload: JobEventPayload;
}

/** Resources a test registered; the suite releases them after each test. */
export type Cleanup = () => void;

/** Records every event of `queue` seen on the exported `events` emitter. */
export function recordEvents(queue: string, cleanups: Cleanup[]): Recorded[] {
  const seen: Recorded[] = [];
  for (const name of JOB_EVENT_NAMES) {
    const listener = (payload: JobEventPayload) => {
      if (payload.queue === queue) seen.push({ name, payload });
    };
    events.on(name, listener);
    cleanups.push(() => events.off(name, listener));
  }
  return seen;
}

/** Records the wake-up reasons of `queue`. */
export function recordWakes(backend: Backend, queue: string, cleanups: Cleanup[]): WakeReason[] {
  const reasons: WakeReason[] = [];
  cleanups.push(backend.onWake(queue, (reason) => reasons.push(reason)));
  return reasons;
}

/** Records what `subscribe` delivers for `queue`. */
export function recordSubscription(backend: Backend, queue: string, cleanups: Cleanup[]): QueueEvent[] {
  const seen: QueueEvent[] = [];
  cleanups.push(backend.subscribe(queue, (event) => seen.push(event)));
  return seen;
}

/** The events named `name` about job `jobId`. */
export function eventsOf(seen: Recorded[], name: JobEventName, jobId?: string): JobEventPayload[] {
  return seen
    .filter((e) => e.name === name && (jobId === undefined || e.payload.jobId === jobId))
    .map((e) => e.payload);
}

/** Asserts that none of `keys` is present on `record` (optional fields are absent, not null). */
export function absentKeys(record: object, keys: string[]): string[] {
  return keys.filter((k) => k in record);
}
