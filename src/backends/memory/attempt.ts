/** One attempt of a job: its claim, and how it ends (the mapping from a finish to its state). */
import { randomUUID } from "node:crypto";
import type { ClaimedJob } from "../../job.js";
import type { ClaimOptions, Finish } from "../backend.js";
import type { EffectsCollector } from "../shared/effects.js";
import { claimPeers } from "../shared/rules.js";
import { dependOn, parentsOf } from "./enqueue.js";
import { promoteOne, redelay } from "./job-admin.js";
import type { QueueState } from "./queue-state.js";
import { clearLease, compact, finishJob, jobEvent, setState, toDelayed, toWaiting } from "./steps.js";
import type { StoredJob } from "./stored-job.js";

/**
 * Lease tokens: a random prefix of this process, then a counter. A token only has to differ from
 * every other attempt's token of an engine that lives and dies with this process; this one does, at
 * a fraction of the cost of randomUUID per claim (which builds its string from 20 pieces: ~575 bytes
 * of garbage each).
 */
const TOKEN_PREFIX = randomUUID().slice(0, 8);
let lastToken = 0;

/** Makes waiting `job` active for the claimer: one more attempt, a fresh token and lease. */
export function activate(
  tx: EffectsCollector,
  q: QueueState,
  job: StoredJob,
  options: ClaimOptions,
): ClaimedJob {
  setState(q, job, "active");
  job.attempts++;
  job.startedAt = options.now;
  job.token = TOKEN_PREFIX + (++lastToken).toString(36);
  job.workerId = options.workerId;
  job.leaseExpiresAt = options.now + options.leaseMs;
  job.stallPeers = claimPeers(options);
  if (tx.wantEvents) {
    tx.emit("job:started", {
      queue: q.name,
      jobId: job.id,
      task: job.task,
      attempts: job.attempts,
      workerId: options.workerId,
    });
  }
  const claimed = job.toRecord() as ClaimedJob;
  claimed.token = job.token;
  return claimed;
}

/** Expires `job` when its ttl has passed at `now`; returns whether it did. */
export function expireIfDue(tx: EffectsCollector, q: QueueState, job: StoredJob, now: number): boolean {
  const ttl = job.spec.ttl;
  if (ttl === undefined || now < job.spec.createdAt + ttl) return false;
  finishJob(tx, q, job, "expired", now);
  return true;
}

/** Ends the attempt of active `job`, whose token `item` holds. */
export function finishOne(
  tx: EffectsCollector,
  q: QueueState,
  job: StoredJob,
  item: Finish,
  now: number,
): void {
  switch (item.kind) {
    case "completed":
      job.resultJson = item.resultJson;
      finishJob(tx, q, job, "completed", now);
      return;
    case "retry":
      job.error = { ...item.error };
      job.runAt = item.runAt;
      clearLease(job);
      if (item.runAt > now) toDelayed(tx, q, job);
      else toWaiting(tx, q, job);
      if (tx.wantEvents) {
        tx.emit("job:retrying", {
          queue: q.name,
          jobId: job.id,
          task: job.task,
          error: { ...item.error },
          attempts: job.attempts,
          runAt: item.runAt,
        });
      }
      return;
    case "failed":
      job.error = { ...item.error };
      finishJob(tx, q, job, "failed", now);
      return;
    case "expired":
      job.attempts--;
      finishJob(tx, q, job, "expired", now);
      return;
    case "released":
      job.attempts--;
      clearLease(job);
      toWaiting(tx, q, job);
      return;
    case "delayed":
      job.attempts--;
      if (item.dataJson !== undefined) job.amend({ dataJson: item.dataJson });
      clearLease(job);
      if (item.runAt > now) redelay(tx, q, job, item.runAt);
      else promoteOne(tx, q, job, item.runAt);
      return;
    case "waiting-children":
      job.attempts--;
      clearLease(job);
      job.amend({ dependsOn: [...new Set(item.childIds)] });
      if (!dependOn(tx, q, job, parentsOf(q, item.childIds, job.spec.onParentFailure), now)) {
        toWaiting(tx, q, job);
        jobEvent(tx, "job:waiting", job);
      }
      return;
  }
}

/** Claims up to `limit` waiting jobs by priority then FIFO; a job whose ttl passed expires instead. */
export function claimNext(
  tx: EffectsCollector,
  q: QueueState,
  limit: number,
  options: ClaimOptions,
): ClaimedJob[] {
  const claimed: ClaimedJob[] = [];
  while (claimed.length < limit) {
    const job = q.waiting.shift();
    if (job === undefined) break;
    if (!expireIfDue(tx, q, job, options.now)) claimed.push(activate(tx, q, job, options));
  }
  return claimed;
}

/** Claims `jobId` alone if it is waiting; a job whose ttl passed expires instead. */
export function claimById(
  tx: EffectsCollector,
  q: QueueState,
  jobId: string,
  options: ClaimOptions,
): ClaimedJob[] {
  const job = q.jobs.get(jobId);
  if (job === undefined || job.state !== "waiting") return [];
  // Its bucket entry goes stale with the state change and is skipped (or compacted) later.
  const claimed = expireIfDue(tx, q, job, options.now) ? [] : [activate(tx, q, job, options)];
  compact(q);
  return claimed;
}
