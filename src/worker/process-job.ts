/**
 * The claim loop: take a concurrency permit (and a rate token), claim as many jobs as there are free
 * permits in one backend call, run each through the job lifecycle, and sleep on the queue's wake-up
 * signal when there is nothing to do. On abort it stops claiming and drains its in-flight jobs.
 */
import { hostname } from "node:os";
import type { Backend } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { JobCancelledError } from "../errors.js";
import { type ClaimedJob, toMs } from "../job.js";
import { log } from "../logger.js";
import { getSettings } from "../settings.js";
import type { ActiveJob } from "./active-jobs.js";
import { runClaimedJob } from "./handle-job.js";
import type { Semaphore } from "./semaphore.js";
import { sleep, WakeFlag } from "./wait.js";

/** Most jobs one claim call asks for. */
const MAX_CLAIM_BATCH = 64;

/** What the claim loop needs from a rate limiter: a local bucket or the backend's shared one. */
export interface Limiter {
  acquire(signal?: AbortSignal): Promise<void>;
  tryAcquire(): boolean;
  /** Gives back tokens taken for jobs that were not there. */
  refund?(n: number): void;
}

export interface ProcessJobOptions {
  backend?: Backend;
  semaphore: Semaphore;
  rateLimiter?: Limiter;
  signal?: AbortSignal;
  /** Id recorded on claimed jobs. Default `host:pid:random`. */
  workerId?: string;
  /** How long in-flight jobs may finish after `signal` aborts. Default: settings.shutdownGrace. */
  shutdownGrace?: number | string;
  /** Longest idle sleep when no wake-up comes (a fallback, not a poll). Default: settings.scanInterval. */
  idleSleep?: number | string;
  /** Lease length. Default: settings.leaseDuration. */
  leaseDuration?: number | string;
}

/** Runs the claim loop for `queueName` until `signal` aborts, then drains; resolves when done. */
export async function processJob(queueName: string, options: ProcessJobOptions): Promise<void> {
  const settings = getSettings();
  const backend = resolveBackend(options.backend);
  const { semaphore, rateLimiter } = options;
  const signal = options.signal ?? new AbortController().signal;
  const workerId = options.workerId ?? newWorkerId();
  const leaseMs = toMs(options.leaseDuration ?? settings.leaseDuration, "leaseDuration");
  const idleMs = toMs(options.idleSleep ?? settings.scanInterval, "idleSleep");
  toMs(options.shutdownGrace ?? settings.shutdownGrace, "shutdownGrace"); // validate now; read again at shutdown
  const inflight = new Set<ActiveJob>();
  const running = new Set<Promise<void>>();
  const wake = new WakeFlag(backend, queueName);
  const rt = { workerId, leaseMs, inflight };
  const start = (job: ClaimedJob, release: () => void) => {
    const done = () => {
      running.delete(run);
      release();
    };
    const run: Promise<void> = runClaimedJob(backend, queueName, job, rt).then(done, (err) => {
      log().error(
        `job ${job.id} of "${queueName}": internal error; its lease will expire and it will run again`,
        err,
      );
      done();
    });
    running.add(run);
  };

  try {
    while (!signal.aborted) {
      let first: () => void;
      try {
        first = await semaphore.acquire(signal);
      } catch {
        break; // aborted while waiting for a permit
      }
      const permits = [first];
      for (
        let p = semaphore.tryAcquire();
        p;
        p = permits.length < MAX_CLAIM_BATCH ? semaphore.tryAcquire() : null
      ) {
        permits.push(p);
      }
      let wanted = permits.length;
      if (rateLimiter) {
        try {
          await rateLimiter.acquire(signal);
        } catch {
          for (const release of permits) release();
          break;
        }
        let tokens = 1;
        while (tokens < wanted && rateLimiter.tryAcquire()) tokens++;
        for (const release of permits.splice(tokens)) release();
        wanted = tokens;
      }
      if (signal.aborted) {
        rateLimiter?.refund?.(wanted);
        for (const release of permits) release();
        break;
      }

      wake.arm();
      let jobs: Awaited<ReturnType<Backend["claim"]>>;
      try {
        jobs = await backend.claim(queueName, { workerId, limit: wanted, leaseMs, now: Date.now() });
      } catch (err) {
        rateLimiter?.refund?.(wanted);
        for (const release of permits) release();
        log().error(`claim on queue "${queueName}" failed; retrying`, err);
        await sleep(Math.min(idleMs, 1000), signal);
        continue;
      }
      if (jobs.length < wanted) rateLimiter?.refund?.(wanted - jobs.length);
      for (const release of permits.splice(jobs.length)) release();
      for (let i = 0; i < jobs.length; i++) start(jobs[i] as ClaimedJob, permits[i] as () => void);

      if (jobs.length === 0) {
        // Nothing waiting: move due delayed jobs ourselves (so a bare loop needs no scanner), then
        // sleep until a wake-up, the next delayed job, or the idle fallback.
        let nextDueAt: number | null = null;
        try {
          const promoted = await backend.promoteDelayed(queueName, Date.now(), 1000);
          if (promoted.promoted > 0) continue;
          nextDueAt = promoted.nextDueAt;
        } catch (err) {
          log().warn(`promoting delayed jobs of "${queueName}" failed`, err);
        }
        const untilDue = nextDueAt === null ? idleMs : Math.max(0, nextDueAt - Date.now());
        await wake.wait(Math.min(idleMs, untilDue), signal);
      }
    }
  } finally {
    wake.close();
    // Read at shutdown: Worker.stop({ grace }) may have changed it.
    await drain(running, inflight, toMs(options.shutdownGrace ?? settings.shutdownGrace, "shutdownGrace"));
  }
}

/** Lets in-flight jobs finish within `grace`, then aborts them so they are handed back. */
async function drain(running: Set<Promise<void>>, inflight: Set<ActiveJob>, grace: number): Promise<void> {
  if (running.size === 0) return;
  const all = () => Promise.allSettled([...running]);
  const ctl = new AbortController();
  await Promise.race([all(), sleep(grace, ctl.signal)]);
  ctl.abort();
  if (running.size === 0) return;
  for (const job of inflight) {
    job.abort(
      "shutdown",
      new JobCancelledError(
        `the worker is shutting down and the ${grace} ms grace is over; job handed back to the queue`,
      ),
    );
  }
  await all();
}

/** A worker id: host, pid and a random suffix. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}
