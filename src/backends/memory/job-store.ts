/**
 * The memory engine's job transitions. Each runs synchronously from start to end, so it is atomic,
 * and returns what it did (events only when this process listens, wake-ups) for the deliverer.
 * Every hot-path transition (enqueue, claim, finish, extend) is O(1) or O(log n); see queue-state.ts
 * for the indexes and their lazy deletion.
 */
import type { ClaimedJob, JobRecord, JobState } from "../../job.js";
import type {
  ClaimOptions,
  DependencyResults,
  EnqueueCallOptions,
  EnqueueResult,
  Finish,
  NewJob,
  StallSweep,
} from "../backend.js";
import type { Applied, JobStore } from "../engine.js";
import {
  activeJobsBlockObliterate,
  checkGlobalConcurrency,
  claimRoom,
  countHeld,
  dependencyEntry,
  FINISHED,
  pageOf,
  planStallSweep,
  refuseCallerTransaction,
  type StallCharge,
  stallLimitError,
  UNSTARTED,
  zeroCounts,
} from "../shared/rules.js";
import { claimById, claimNext, finishOne } from "./attempt.js";
import { enqueueJobs } from "./enqueue.js";
import { promote, promoteOne, redelay, reprioritize, retryBatch, retryFinished } from "./job-admin.js";
import { isCurrent, type MemoryData } from "./queue-state.js";
import {
  clearLease,
  compact,
  deleteJob,
  finishJob,
  jobEvent,
  removeJobs,
  settleDependants,
  toFinished,
  toWaiting,
} from "./steps.js";
import { clone, type StoredJob } from "./stored-job.js";

export class MemoryJobStore implements JobStore {
  constructor(private readonly data: MemoryData) {}

  // -- producer and worker ----------------------------------------------------------------------

  async enqueue(
    queue: string,
    jobs: NewJob[],
    options?: EnqueueCallOptions,
  ): Promise<Applied<EnqueueResult[]>> {
    refuseCallerTransaction("in-memory", options);
    const q = this.data.ensure(queue);
    const tx = this.data.begin(queue);
    return { value: enqueueJobs(tx, q, jobs), effects: tx.take() };
  }

  async claim(queue: string, options: ClaimOptions): Promise<Applied<ClaimedJob[]>> {
    const q = this.data.find(queue);
    if (q === undefined || q.paused) return { value: [] };
    const room = claimRoom(options.limit, q.globalConcurrency, q.counts.active);
    if (room < 1) return { value: [] };
    const tx = this.data.begin(queue);
    const claimed =
      options.jobId === undefined
        ? claimNext(tx, q, room, options)
        : claimById(tx, q, options.jobId, options);
    return { value: claimed, effects: tx.take() };
  }

  async finish(queue: string, items: Finish[], now: number): Promise<Applied<boolean[]>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: items.map(() => false) };
    const tx = this.data.begin(queue);
    const results: boolean[] = [];
    for (const item of items) {
      const job = q.jobs.get(item.jobId);
      const held = job !== undefined && job.state === "active" && job.token === item.token;
      if (held) finishOne(tx, q, job, item, now);
      results.push(held);
    }
    compact(q);
    return { value: results, effects: tx.take() };
  }

  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    const q = this.data.find(queue);
    const lost: string[] = [];
    for (const lease of leases) {
      const job = q?.jobs.get(lease.jobId);
      if (job === undefined || job.state !== "active" || job.token !== lease.token) lost.push(lease.jobId);
      else job.leaseExpiresAt = now + leaseMs;
    }
    return lost;
  }

  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<Applied<boolean>> {
    const job = this.data.find(queue)?.jobs.get(jobId);
    if (job === undefined || job.state !== "active" || job.token !== token) return { value: false };
    job.progress = clone(progress);
    const tx = this.data.begin(queue);
    if (tx.wantEvents) tx.emit("job:progress", { queue, jobId, task: job.task, progress: clone(progress) });
    return { value: true, effects: tx.take() };
  }

  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    const job = this.data.find(queue)?.jobs.get(jobId);
    if (job === undefined) return;
    if (job.logs === undefined) job.logs = [message];
    else job.logs.push(message);
  }

  async getLogs(queue: string, jobId: string, range?: { start: number; end: number }): Promise<string[]> {
    const logs = this.data.find(queue)?.jobs.get(jobId)?.logs ?? [];
    if (range === undefined) return [...logs];
    return logs.slice(range.start, range.end === -1 ? undefined : range.end + 1);
  }

  // -- maintenance ------------------------------------------------------------------------------

  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<Applied<{ promoted: number; nextDueAt: number | null }>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: { promoted: 0, nextDueAt: null } };
    const tx = this.data.begin(queue);
    const promoted = promote(tx, q, now, now, limit);
    return { value: { promoted, nextDueAt: q.delayed.peek()?.at ?? null }, effects: tx.take() };
  }

  async recoverStalled(queue: string, now: number, maxStalledCount: number): Promise<Applied<StallSweep>> {
    const q = this.data.find(queue);
    const stalled: string[] = [];
    const failed: string[] = [];
    if (q === undefined) return { value: { stalled, failed, nextLeaseExpiry: null } };
    const lapsed = (job: StoredJob) => (job.leaseExpiresAt as number) < now;
    const expired = [...q.active].filter(lapsed);
    if (expired.length === 0)
      return { value: { stalled, failed, nextLeaseExpiry: nextLeaseExpiry(q.active) } };
    const tx = this.data.begin(queue);
    // The stall rule of shared/rules.ts: each lapsed lease marks its worker dead; the jobs that
    // worker holds share the stall. Those whose lease still runs remember the count for later.
    const sweep = planStallSweep(
      expired,
      (job) => job.workerId,
      (job) => job,
      countHeld([...q.active].map((job) => job.workerId)),
      maxStalledCount,
    );
    const dead = new Map(sweep.deadWorkers);
    for (const job of q.active) {
      const held = dead.get(job.workerId ?? "");
      if (held !== undefined && !lapsed(job)) job.stallPeers = Math.max(job.stallPeers, held);
    }
    for (const [i, job] of expired.entries()) {
      const charge = sweep.charges[i] as StallCharge;
      job.stalledCount = charge.stalledCount;
      job.stallCharge = charge.stallCharge;
      job.stallPeers = 0;
      if (charge.fails) {
        job.error = stallLimitError(job.id, job.stalledCount, job.stallCharge, maxStalledCount);
        finishJob(tx, q, job, "failed", now);
        failed.push(job.id);
        continue;
      }
      job.attempts--;
      clearLease(job);
      toWaiting(tx, q, job);
      if (tx.wantEvents) {
        tx.emit("job:stalled", { queue, jobId: job.id, task: job.task, attempts: job.attempts });
      }
      stalled.push(job.id);
    }
    compact(q);
    return { value: { stalled, failed, nextLeaseExpiry: nextLeaseExpiry(q.active) }, effects: tx.take() };
  }

  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    const q = this.data.find(queue);
    let removed = 0;
    if (q === undefined) return removed;
    for (let top = q.retention.peek(); top !== undefined && top.at <= now; top = q.retention.peek()) {
      if (isCurrent(top.job, top.seq)) {
        if (removed >= limit) break;
        deleteJob(q, top.job);
        removed++;
      }
      q.retention.pop();
    }
    return removed;
  }

  async expireDue(queue: string, now: number, limit: number): Promise<Applied<number>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: 0 };
    const tx = this.data.begin(queue);
    let expired = 0;
    for (let top = q.ttl.peek(); top !== undefined && top.at <= now; top = q.ttl.peek()) {
      const job = top.job;
      const due = !job.removed && UNSTARTED.has(job.state);
      if (due && expired >= limit) break;
      q.ttl.pop();
      // An active job keeps its ttl; it is queued again if it ever returns to an unstarted state.
      job.ttlQueued = false;
      if (due) {
        finishJob(tx, q, job, "expired", now);
        expired++;
      }
    }
    compact(q);
    return { value: expired, effects: tx.take() };
  }

  // -- admin ------------------------------------------------------------------------------------

  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    return this.data.find(queue)?.jobs.get(jobId)?.toRecord() ?? null;
  }

  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    const q = this.data.find(queue);
    const page = pageOf(range);
    if (q === undefined || page === null) return [];
    const wanted = states.length > 0 ? new Set(states) : null;
    // The map keeps insertion order, which is creation order: jobs are never re-inserted.
    const ordered = range.asc ? q.jobs.values() : [...q.jobs.values()].reverse();
    const out: JobRecord[] = [];
    const limit = page.limit ?? Number.POSITIVE_INFINITY;
    let skip = page.offset;
    for (const job of ordered) {
      if (out.length >= limit) break;
      if (wanted === null || wanted.has(job.state)) {
        if (skip > 0) skip--;
        else out.push(job.toRecord());
      }
    }
    return out;
  }

  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const q = this.data.find(queue);
    return q === undefined ? zeroCounts() : { ...q.counts };
  }

  async cancelJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || FINISHED.has(job.state)) return { value: false };
    const tx = this.data.begin(queue);
    toFinished(q, job, "cancelled", now);
    jobEvent(tx, "job:cancelled", job);
    settleDependants(tx, q, job, now);
    compact(q);
    return { value: true, effects: tx.take() };
  }

  async retryJob(queue: string, jobId: string): Promise<Applied<boolean>> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || !FINISHED.has(job.state)) return { value: false };
    const tx = this.data.begin(queue);
    retryFinished(tx, q, job);
    compact(q);
    return { value: true, effects: tx.take() };
  }

  async retryJobs(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
  ): Promise<Applied<number>> {
    const q = this.data.find(queue);
    if (q === undefined || !FINISHED.has(state) || limit <= 0) return { value: 0 };
    const tx = this.data.begin(queue);
    const retried = retryBatch(tx, q, state, olderThan, limit);
    compact(q);
    return { value: retried, effects: tx.take() };
  }

  async promoteJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || job.state !== "delayed") return { value: false };
    const tx = this.data.begin(queue);
    promoteOne(tx, q, job, now);
    compact(q);
    return { value: true, effects: tx.take() };
  }

  async promoteJobs(queue: string, limit: number, now: number): Promise<Applied<number>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: 0 };
    const tx = this.data.begin(queue);
    return { value: promote(tx, q, Number.POSITIVE_INFINITY, now, limit), effects: tx.take() };
  }

  async updateData(queue: string, jobId: string, dataJson: string): Promise<boolean> {
    const job = this.data.find(queue)?.jobs.get(jobId);
    job?.amend({ dataJson });
    return job !== undefined;
  }

  async changePriority(queue: string, jobId: string, priority: number): Promise<boolean> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined) return false;
    reprioritize(q, job, priority);
    compact(q);
    return true;
  }

  async changeDelay(queue: string, jobId: string, runAt: number): Promise<Applied<boolean>> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || job.state !== "delayed") return { value: false };
    const tx = this.data.begin(queue);
    redelay(tx, q, job, runAt);
    compact(q);
    return { value: true, effects: tx.take() };
  }

  async getDependants(queue: string, jobId: string): Promise<string[]> {
    const children = this.data.find(queue)?.jobs.get(jobId)?.dependants ?? [];
    return children
      .filter((c) => !c.removed && c.state === "waiting-children")
      .map((c) => dependencyEntry(queue, c.queue, c.id));
  }

  async getDependencyResults(queue: string, jobId: string): Promise<DependencyResults> {
    const job = this.data.find(queue)?.jobs.get(jobId);
    const values: Record<string, unknown> = {};
    const failures: Record<string, string> = {};
    for (const [key, json] of job?.keptValues ?? []) values[key] = JSON.parse(json);
    for (const [key, text] of job?.keptFailures ?? []) failures[key] = text;
    return { values, failures };
  }

  async removeJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    const q = this.data.find(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined) return { value: false };
    const tx = this.data.begin(queue);
    removeJobs(tx, q, [job], now);
    return { value: true, effects: tx.take() };
  }

  async drain(queue: string, includeDelayed: boolean, now: number): Promise<Applied<number>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: 0 };
    const victims: StoredJob[] = [];
    for (const job of q.jobs.values()) {
      if (job.state === "waiting" || (includeDelayed && job.state === "delayed")) victims.push(job);
    }
    const tx = this.data.begin(queue);
    // Every entry of these indexes is stale once the victims are gone; children the removal
    // releases are pushed afresh.
    removeJobs(tx, q, victims, now, () => {
      q.waiting.clear();
      if (includeDelayed) q.delayed.clear();
    });
    return { value: victims.length, effects: tx.take() };
  }

  async clean(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
    now: number,
  ): Promise<Applied<string[]>> {
    const q = this.data.find(queue);
    const ids: string[] = [];
    if (q === undefined || state === "active" || limit <= 0) return { value: ids };
    const finished = FINISHED.has(state);
    const victims: StoredJob[] = [];
    for (const job of q.jobs.values()) {
      if (job.state !== state) continue;
      const at = finished ? (job.finishedAt ?? job.spec.createdAt) : job.spec.createdAt;
      if (at >= olderThan) continue;
      victims.push(job);
      ids.push(job.id);
      if (ids.length >= limit) break;
    }
    const tx = this.data.begin(queue);
    removeJobs(tx, q, victims, now);
    return { value: ids, effects: tx.take() };
  }

  async obliterate(queue: string, force: boolean, now = Date.now()): Promise<Applied<void>> {
    const q = this.data.find(queue);
    if (q === undefined) return { value: undefined };
    if (!force && q.counts.active > 0) throw activeJobsBlockObliterate(queue, q.counts.active);
    for (const job of q.jobs.values()) job.removed = true;
    this.data.queues.delete(queue);
    // Its own dependants went with it (removed); those of other queues are settled as for a removed parent.
    const tx = this.data.begin(queue);
    for (const job of q.jobs.values())
      if (job.dependants !== undefined) settleDependants(tx, q, job, now, true);
    return { value: undefined, effects: tx.take() };
  }

  async setPaused(queue: string, paused: boolean): Promise<Applied<void>> {
    const q = this.data.ensure(queue);
    q.paused = paused;
    const tx = this.data.begin(queue);
    if (tx.wantEvents) tx.emit(paused ? "queue:paused" : "queue:resumed", { queue });
    if (!paused) tx.wake("resume");
    return { value: undefined, effects: tx.take() };
  }

  async isPaused(queue: string): Promise<boolean> {
    return this.data.find(queue)?.paused ?? false;
  }

  async setGlobalConcurrency(queue: string, limit: number | null): Promise<Applied<void>> {
    const checked = checkGlobalConcurrency(limit);
    const q = this.data.ensure(queue);
    q.globalConcurrency = checked;
    const tx = this.data.begin(queue);
    tx.wake("resume");
    return { value: undefined, effects: tx.take() };
  }

  async getGlobalConcurrency(queue: string): Promise<number | null> {
    return this.data.find(queue)?.globalConcurrency ?? null;
  }

  async removeDeduplicationKey(queue: string, key: string): Promise<boolean> {
    return this.data.find(queue)?.dedup.delete(key) ?? false;
  }

  async getDeduplicationJobId(queue: string, key: string): Promise<string | null> {
    return this.data.find(queue)?.dedup.get(key)?.jobId ?? null;
  }

  async listQueues(): Promise<string[]> {
    this.data.open();
    const names: string[] = [];
    for (const q of this.data.queues.values()) if (q.listed) names.push(q.name);
    return names.sort();
  }
}

/** The earliest lease expiry of `active` jobs; null when there is none. */
function nextLeaseExpiry(active: Iterable<StoredJob>): number | null {
  let next: number | null = null;
  for (const job of active) {
    const at = job.leaseExpiresAt;
    if (at !== undefined && (next === null || at < next)) next = at;
  }
  return next;
}
