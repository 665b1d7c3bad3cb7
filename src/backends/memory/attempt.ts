/** One attempt of a job: its claim, and how it ends (the mapping from a finish to its state and event). */
import { randomUUID } from "node:crypto";
import type { ClaimedJob } from "../../job.js";
import type { ClaimOptions, Finish } from "../backend.js";
import type { QueueState } from "./queue-state.js";
import {
  clearLease,
  copyError,
  expire,
  fail,
  retain,
  setState,
  settleDependants,
  toDelayed,
  toFinished,
  toWaiting,
} from "./steps.js";
import type { StoredJob } from "./stored-job.js";
import type { Tx } from "./tx.js";

/** Makes waiting `job` active for the claimer: one more attempt, a fresh token and lease. */
export function activate(tx: Tx, q: QueueState, job: StoredJob, options: ClaimOptions): ClaimedJob {
  setState(q, job, "active");
  job.attempts++;
  job.startedAt = options.now;
  job.token = randomUUID();
  job.workerId = options.workerId;
  job.leaseExpiresAt = options.now + options.leaseMs;
  if (tx.listening) {
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
export function expireIfDue(tx: Tx, q: QueueState, job: StoredJob, now: number): boolean {
  if (job.ttl === undefined || now < job.createdAt + job.ttl) return false;
  expire(tx, q, job, now);
  return true;
}

/** Ends the attempt of active `job`, whose token `item` holds. */
export function finishOne(tx: Tx, q: QueueState, job: StoredJob, item: Finish, now: number): void {
  switch (item.kind) {
    case "completed":
      job.resultJson = item.resultJson;
      toFinished(q, job, "completed", now);
      if (tx.listening) {
        const result = JSON.parse(item.resultJson);
        tx.emit("job:completed", { queue: q.name, jobId: job.id, task: job.task, result });
      }
      settleDependants(tx, q, job, now);
      retain(q, job, now);
      return;
    case "retry":
      job.error = copyError(item.error);
      job.runAt = item.runAt;
      clearLease(job);
      if (item.runAt > now) toDelayed(tx, q, job);
      else toWaiting(tx, q, job);
      if (tx.listening) {
        tx.emit("job:retrying", {
          queue: q.name,
          jobId: job.id,
          task: job.task,
          error: copyError(item.error),
          attempts: job.attempts,
          runAt: item.runAt,
        });
      }
      return;
    case "failed":
      job.error = copyError(item.error);
      fail(tx, q, job, now);
      return;
    case "expired":
      job.attempts--;
      expire(tx, q, job, now);
      return;
    case "released":
      job.attempts--;
      clearLease(job);
      toWaiting(tx, q, job);
      return;
  }
}
