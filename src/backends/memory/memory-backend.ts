import { randomUUID } from "node:crypto";
import { BackendError, ValidationError } from "../../errors.js";
import { emitLocal, events, type JobEventName, type JobEventPayload } from "../../events.js";
import { type ClaimedJob, FINISHED_STATES, type JobRecord, type JobState, toMs } from "../../job.js";
import { log } from "../../logger.js";
import type {
  Backend,
  BackendCapabilities,
  ClaimOptions,
  EnqueueResult,
  Finish,
  JobError,
  NewJob,
  QueueEvent,
  RepeatableFire,
  RepeatableInfoRecord,
  WakeReason,
  WorkerInfo,
} from "../backend.js";
import { dedupHolds } from "../shared/dedup.js";
import { parentFailedError } from "../shared/parent-failure.js";
import { rateWaitMs, refillTokens } from "../shared/rate-bucket.js";
import { copyRepeatable } from "../shared/repeatable-copy.js";
import {
  type Channel,
  isCurrent,
  type JobEntry,
  QueueState,
  type RetainedState,
  zeroCounts,
} from "./queue-state.js";
import { clone, StoredJob } from "./stored-job.js";

const WAKE_BITS: Record<WakeReason, number> = { job: 1, delayed: 2, resume: 4 };
const WAKE_REASONS: WakeReason[] = ["job", "delayed", "resume"];
const UNSTARTED = new Set<JobState>(["waiting", "delayed", "waiting-children"]);
const FINISHED = new Set<JobState>(FINISHED_STATES);
const DEAD = new Set<JobState>(["failed", "expired", "cancelled"]);
const CANCELLABLE = new Set<JobState>(["waiting", "delayed", "waiting-children", "active"]);
const NO_IDS: readonly string[] = [];
/** An index may hold this many stale entries beyond twice its live ones before it is rebuilt. */
const INDEX_SLACK = 1024;

interface PendingEvent {
  channel: Channel;
  name: JobEventName;
  payload: JobEventPayload;
}

/**
 * The in-process backend: every queue lives in this object, nothing survives the process.
 * It is the reference implementation of docs/backend-contract.md and the fastest backend, so
 * each hot-path transition (enqueue, claim, finish, extend) is O(1) or O(log n): waiting jobs
 * sit in per-priority FIFO buckets, delayed/ttl/retention times in min-heaps, and all indexes
 * use lazy deletion (an entry is skipped once the job's `stateSeq` moved on).
 *
 * Methods return promises but do their work synchronously, so each call is atomic. Events and
 * wake-ups are collected during a call and delivered when its state change is complete, so a
 * listener that calls back into the backend always sees consistent state.
 */
export class InMemoryBackend implements Backend {
  /** Not durable, one process only. */
  readonly capabilities: BackendCapabilities = { durable: false, multiProcess: false };

  #queues = new Map<string, QueueState>();
  #channels = new Map<string, Channel>();
  #workers = new Map<string, { info: WorkerInfo; ttlMs: number }>();
  #outbox: PendingEvent[] = [];
  #wakeQueue: Channel[] = [];
  #closed = false;

  // -- producer --------------------------------------------------------------------------------

  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.#open();
    try {
      return this.#enqueue(this.#queue(queue), jobs);
    } finally {
      this.#flush();
    }
  }

  // -- worker ----------------------------------------------------------------------------------

  async claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined || q.paused) return [];
    const claimed: ClaimedJob[] = [];
    try {
      while (claimed.length < options.limit) {
        const job = q.waiting.shift();
        if (job === undefined) break;
        if (this.#expireIfDue(q, job, options.now)) continue;
        claimed.push(this.#activate(q, job, options));
      }
    } finally {
      this.#flush();
    }
    return claimed;
  }

  async claimJob(
    queue: string,
    jobId: string,
    options: Omit<ClaimOptions, "limit">,
  ): Promise<ClaimedJob | null> {
    this.#open();
    const q = this.#queues.get(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || q.paused || job.state !== "waiting") return null;
    try {
      // Its bucket entry goes stale with the state change and is skipped (or compacted) later.
      const claimed = this.#expireIfDue(q, job, options.now) ? null : this.#activate(q, job, options);
      this.#compact(q);
      return claimed;
    } finally {
      this.#flush();
    }
  }

  async finish(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    this.#open();
    const q = this.#queues.get(queue);
    const results: boolean[] = [];
    try {
      for (const item of items) {
        const job = q?.jobs.get(item.jobId);
        if (q === undefined || job === undefined || job.state !== "active" || job.token !== item.token) {
          results.push(false);
          continue;
        }
        this.#finishOne(q, job, item, now);
        results.push(true);
      }
      if (q !== undefined) this.#compact(q);
    } finally {
      this.#flush();
    }
    return results;
  }

  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    this.#open();
    const q = this.#queues.get(queue);
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
  ): Promise<boolean> {
    this.#open();
    const q = this.#queues.get(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || job.state !== "active" || job.token !== token) return false;
    job.progress = clone(progress);
    try {
      if (this.#listening(q)) {
        this.#emit(q, "job:progress", { queue, jobId, task: job.task, progress: clone(progress) });
      }
    } finally {
      this.#flush();
    }
    return true;
  }

  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    this.#open();
    const job = this.#queues.get(queue)?.jobs.get(jobId);
    if (job === undefined) return;
    if (job.logs === undefined) job.logs = [message];
    else job.logs.push(message);
  }

  async getLogs(queue: string, jobId: string): Promise<string[]> {
    this.#open();
    return [...(this.#queues.get(queue)?.jobs.get(jobId)?.logs ?? [])];
  }

  // -- maintenance -----------------------------------------------------------------------------

  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined) return { promoted: 0, nextDueAt: null };
    let promoted = 0;
    try {
      for (let top = q.delayed.peek(); top !== undefined; top = q.delayed.peek()) {
        if (!isCurrent(top.job, top.seq)) {
          q.delayed.pop();
          continue;
        }
        if (top.at > now || promoted >= limit) break;
        q.delayed.pop();
        this.#toWaiting(q, top.job);
        if (this.#listening(q)) {
          this.#emit(q, "job:waiting", { queue, jobId: top.job.id, task: top.job.task });
        }
        promoted++;
      }
    } finally {
      this.#flush();
    }
    return { promoted, nextDueAt: q.delayed.peek()?.at ?? null };
  }

  async recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<{ stalled: string[]; failed: string[] }> {
    this.#open();
    const q = this.#queues.get(queue);
    const stalled: string[] = [];
    const failed: string[] = [];
    if (q === undefined) return { stalled, failed };
    const expired = [...q.active].filter((job) => (job.leaseExpiresAt as number) < now);
    try {
      for (const job of expired) {
        job.stalledCount++;
        if (job.stalledCount > maxStalledCount) {
          job.error = {
            name: "JobStalledError",
            message: `job ${job.id} lost its lease ${job.stalledCount} times (more than maxStalledCount ${maxStalledCount}); its worker stopped renewing it, so it was failed`,
          };
          this.#fail(q, job, now);
          failed.push(job.id);
        } else {
          job.attempts--;
          this.#clearLease(job);
          this.#toWaiting(q, job);
          if (this.#listening(q)) {
            this.#emit(q, "job:stalled", { queue, jobId: job.id, task: job.task, attempts: job.attempts });
          }
          stalled.push(job.id);
        }
      }
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return { stalled, failed };
  }

  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    this.#open();
    const q = this.#queues.get(queue);
    let removed = 0;
    if (q === undefined) return removed;
    for (let top = q.retention.peek(); top !== undefined && top.at <= now; top = q.retention.peek()) {
      if (isCurrent(top.job, top.seq)) {
        if (removed >= limit) break;
        this.#delete(q, top.job);
        removed++;
      }
      q.retention.pop();
    }
    return removed;
  }

  async nextRetentionAt(queue: string): Promise<number | null> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined) return null;
    let top = q.retention.peek();
    while (top !== undefined && !isCurrent(top.job, top.seq)) {
      q.retention.pop();
      top = q.retention.peek();
    }
    return top?.at ?? null;
  }

  async expireDue(queue: string, now: number, limit: number): Promise<number> {
    this.#open();
    const q = this.#queues.get(queue);
    let expired = 0;
    if (q === undefined) return expired;
    try {
      for (let top = q.ttl.peek(); top !== undefined && top.at <= now; top = q.ttl.peek()) {
        const job = top.job;
        const due = !job.removed && UNSTARTED.has(job.state);
        if (due && expired >= limit) break;
        q.ttl.pop();
        // An active job keeps its ttl; it is queued again if it ever returns to an unstarted state.
        job.ttlQueued = false;
        if (due) {
          this.#expire(q, job, now);
          expired++;
        }
      }
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return expired;
  }

  // -- repeatables -----------------------------------------------------------------------------

  async upsertRepeatable(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord> {
    this.#open();
    const stored = copyRepeatable(info);
    this.#queue(queue).repeatables.set(info.id, stored);
    return copyRepeatable(stored);
  }

  async listRepeatables(queue: string): Promise<RepeatableInfoRecord[]> {
    this.#open();
    const defs = [...(this.#queues.get(queue)?.repeatables.values() ?? [])];
    return defs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(copyRepeatable);
  }

  async removeRepeatable(queue: string, id: string): Promise<boolean> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined) return false;
    const slot = q.lastSlots.delete(id);
    return q.repeatables.delete(id) || slot;
  }

  async setRepeatablePaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean> {
    this.#open();
    const def = this.#queues.get(queue)?.repeatables.get(id);
    if (def === undefined) return false;
    def.paused = paused;
    if (nextRun !== undefined) def.nextRun = nextRun;
    return true;
  }

  async fireRepeatable(queue: string, fire: RepeatableFire): Promise<string | null> {
    this.#open();
    const q = this.#queue(queue);
    const last = q.lastSlots.get(fire.repeatId);
    const def = q.repeatables.get(fire.repeatId);
    if ((last !== undefined && fire.slot <= last) || def?.paused) return null;
    try {
      const [result] = this.#enqueue(q, [fire.job]);
      q.lastSlots.set(fire.repeatId, fire.slot);
      if (def !== undefined) def.nextRun = fire.nextRun;
      return (result as EnqueueResult).id;
    } finally {
      this.#flush();
    }
  }

  async lastRepeatableSlot(queue: string, repeatId: string): Promise<number | null> {
    this.#open();
    return this.#queues.get(queue)?.lastSlots.get(repeatId) ?? null;
  }

  // -- rate limit ------------------------------------------------------------------------------

  async takeRateToken(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    this.#open();
    if (rate <= 0) return intervalMs;
    const q = this.#queue(queue);
    const bucket = q.rateBucket ?? { tokens: rate, at: now };
    bucket.tokens = refillTokens(bucket.tokens, bucket.at, rate, intervalMs, now);
    bucket.at = Math.max(bucket.at, now);
    q.rateBucket = bucket;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return rateWaitMs(bucket.tokens, rate, intervalMs);
  }

  // -- admin -----------------------------------------------------------------------------------

  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    this.#open();
    return this.#queues.get(queue)?.jobs.get(jobId)?.toRecord() ?? null;
  }

  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    this.#open();
    const q = this.#queues.get(queue);
    const start = Math.max(0, range.start);
    const end = range.end < 0 ? Number.POSITIVE_INFINITY : range.end;
    if (q === undefined || end < start) return [];
    const wanted = states.length > 0 ? new Set(states) : null;
    // The map keeps insertion order, which is creation order: jobs are never re-inserted.
    const ordered = range.asc ? q.jobs.values() : [...q.jobs.values()].reverse();
    const out: JobRecord[] = [];
    let index = 0;
    for (const job of ordered) {
      if (wanted !== null && !wanted.has(job.state)) continue;
      if (index >= start) out.push(job.toRecord());
      if (++index > end) break;
    }
    return out;
  }

  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    this.#open();
    const q = this.#queues.get(queue);
    return q === undefined ? zeroCounts() : { ...q.counts };
  }

  async cancelJob(queue: string, jobId: string, now: number): Promise<boolean> {
    this.#open();
    const q = this.#queues.get(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || !CANCELLABLE.has(job.state)) return false;
    try {
      this.#toFinished(q, job, "cancelled", now);
      if (this.#listening(q)) this.#emit(q, "job:cancelled", { queue, jobId, task: job.task });
      this.#settleDependants(q, job, now);
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return true;
  }

  async retryJob(queue: string, jobId: string, _now: number): Promise<boolean> {
    this.#open();
    const q = this.#queues.get(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined || !DEAD.has(job.state)) return false;
    job.attempts = 0;
    job.stalledCount = 0;
    job.error = undefined;
    job.resultJson = undefined;
    job.finishedAt = undefined;
    try {
      this.#toWaiting(q, job);
      if (this.#listening(q)) this.#emit(q, "job:waiting", { queue, jobId, task: job.task });
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return true;
  }

  async removeJob(queue: string, jobId: string): Promise<boolean> {
    this.#open();
    const q = this.#queues.get(queue);
    const job = q?.jobs.get(jobId);
    if (q === undefined || job === undefined) return false;
    try {
      this.#remove(q, [job]);
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return true;
  }

  async drain(queue: string, includeDelayed: boolean): Promise<number> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined) return 0;
    const victims: StoredJob[] = [];
    for (const job of q.jobs.values()) {
      if (job.state === "waiting" || (includeDelayed && job.state === "delayed")) victims.push(job);
    }
    try {
      // Every entry of these indexes is stale once the victims are gone; children the removal
      // releases are pushed afresh.
      this.#remove(q, victims, () => {
        q.waiting.clear();
        if (includeDelayed) q.delayed.clear();
      });
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return victims.length;
  }

  async clean(queue: string, state: JobState, olderThan: number, limit: number): Promise<string[]> {
    this.#open();
    const q = this.#queues.get(queue);
    const ids: string[] = [];
    if (q === undefined || state === "active" || limit <= 0) return ids;
    const finished = FINISHED.has(state);
    const victims: StoredJob[] = [];
    for (const job of q.jobs.values()) {
      if (job.state !== state) continue;
      const at = finished ? (job.finishedAt ?? job.createdAt) : job.createdAt;
      if (at >= olderThan) continue;
      victims.push(job);
      ids.push(job.id);
      if (ids.length >= limit) break;
    }
    try {
      this.#remove(q, victims);
      this.#compact(q);
    } finally {
      this.#flush();
    }
    return ids;
  }

  async obliterate(queue: string, force: boolean): Promise<void> {
    this.#open();
    const q = this.#queues.get(queue);
    if (q === undefined) return;
    if (!force && q.counts.active > 0) {
      throw new ValidationError(
        `queue "${queue}" has ${q.counts.active} active job(s); stop its workers first, or pass force: true to obliterate anyway`,
      );
    }
    for (const job of q.jobs.values()) job.removed = true;
    this.#queues.delete(queue);
  }

  async setPaused(queue: string, paused: boolean): Promise<void> {
    this.#open();
    const q = this.#queue(queue);
    q.paused = paused;
    try {
      if (this.#listening(q)) this.#emit(q, paused ? "queue:paused" : "queue:resumed", { queue });
      if (!paused) this.#wake(q, "resume");
    } finally {
      this.#flush();
    }
  }

  async isPaused(queue: string): Promise<boolean> {
    this.#open();
    return this.#queues.get(queue)?.paused ?? false;
  }

  async listQueues(): Promise<string[]> {
    this.#open();
    const names: string[] = [];
    for (const q of this.#queues.values()) if (q.listed) names.push(q.name);
    return names.sort();
  }

  // -- workers ---------------------------------------------------------------------------------

  async heartbeatWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    this.#open();
    this.#workers.set(info.id, { info: copyWorker(info), ttlMs });
  }

  async removeWorker(id: string): Promise<void> {
    this.#open();
    this.#workers.delete(id);
  }

  async listWorkers(now: number): Promise<WorkerInfo[]> {
    this.#open();
    const alive: WorkerInfo[] = [];
    for (const [id, entry] of this.#workers) {
      if (entry.info.heartbeatAt + entry.ttlMs > now) alive.push(copyWorker(entry.info));
      else this.#workers.delete(id);
    }
    return alive;
  }

  // -- notifications ---------------------------------------------------------------------------

  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    if (this.#closed) return noop;
    const channel = this.#channel(queue);
    // Wrap so that the same function subscribed twice gets two independent subscriptions.
    const entry = (reason: WakeReason) => listener(reason);
    channel.wake.add(entry);
    return () => {
      channel.wake.delete(entry);
    };
  }

  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    if (this.#closed) return noop;
    const channel = this.#channel(queue);
    const entry = (event: QueueEvent) => listener(event);
    channel.subs.add(entry);
    return () => {
      channel.subs.delete(entry);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#queues.clear();
    this.#workers.clear();
    for (const channel of this.#channels.values()) {
      channel.wake.clear();
      channel.subs.clear();
    }
    this.#channels.clear();
    this.#outbox = [];
    this.#wakeQueue = [];
  }

  // -- transitions -----------------------------------------------------------------------------

  #enqueue(q: QueueState, jobs: NewJob[]): EnqueueResult[] {
    // Validate everything first: all or nothing. A parent may be a custom id earlier in the batch.
    const batchIds = new Set<string>();
    for (const job of jobs) {
      for (const parent of job.dependsOn ?? NO_IDS) {
        if (!q.jobs.has(parent) && !batchIds.has(parent)) {
          throw new ValidationError(
            `dependsOn names job "${parent}", which does not exist in queue "${q.name}"; add the parent first (or in the same batch, before its dependant)`,
          );
        }
      }
      if (job.id !== undefined) batchIds.add(job.id);
    }
    const results: EnqueueResult[] = [];
    for (const job of jobs) results.push(this.#insert(q, job));
    return results;
  }

  #insert(q: QueueState, spec: NewJob): EnqueueResult {
    const existing = this.#duplicateOf(q, spec);
    if (existing !== undefined) {
      if (this.#listening(q)) {
        this.#emit(q, "job:duplicated", { queue: q.name, jobId: existing.id, task: existing.task });
      }
      return { id: existing.id, state: existing.state, duplicate: true };
    }
    const id = spec.id ?? String(q.nextId++);
    const job = new StoredJob(id, q.name, spec);
    q.jobs.set(id, job);
    q.counts.waiting++; // a new job starts as `waiting`; #setState moves the count from there
    if (spec.dedup !== undefined) {
      q.dedup.set(spec.dedup.key, { jobId: id, addedAt: spec.createdAt });
      job.dedupKey = spec.dedup.key;
    }
    const now = spec.createdAt;
    const pending: StoredJob[] = [];
    let failedParent: StoredJob | undefined;
    for (const parentId of spec.dependsOn === undefined ? NO_IDS : new Set(spec.dependsOn)) {
      const parent = q.jobs.get(parentId);
      // A parent deleted earlier in this batch (retention) has finished; treat it as done.
      if (parent === undefined || parent.state === "completed") continue;
      if (!FINISHED.has(parent.state)) pending.push(parent);
      else if (job.onParentFailure !== "ignore" && failedParent === undefined) failedParent = parent;
    }
    const listening = this.#listening(q);
    if (failedParent !== undefined) {
      job.error = parentFailedError(failedParent.id, failedParent.state);
      this.#fail(q, job, now);
    } else if (pending.length > 0) {
      job.pendingParents = pending.length;
      for (const parent of pending) {
        if (parent.dependants === undefined) parent.dependants = [job];
        else parent.dependants.push(job);
      }
      this.#setState(q, job, "waiting-children");
    } else if (job.runAt !== undefined && job.runAt > job.createdAt) {
      this.#toDelayed(q, job);
      if (listening)
        this.#emit(q, "job:delayed", { queue: q.name, jobId: id, task: job.task, runAt: job.runAt });
    } else {
      this.#toWaiting(q, job);
      if (listening) this.#emit(q, "job:waiting", { queue: q.name, jobId: id, task: job.task });
    }
    // Retention may have deleted a job that was born failed; report the state it reached.
    return { id, state: job.state, duplicate: false };
  }

  /** The existing job `spec` duplicates (same custom id, or a live dedup key), if any. */
  #duplicateOf(q: QueueState, spec: NewJob): StoredJob | undefined {
    if (spec.id !== undefined) {
      const same = q.jobs.get(spec.id);
      if (same !== undefined) return same;
    }
    if (spec.dedup === undefined) return undefined;
    const entry = q.dedup.get(spec.dedup.key);
    const holder = entry === undefined ? undefined : q.jobs.get(entry.jobId);
    if (entry === undefined || holder === undefined) return undefined;
    return dedupHolds(spec.dedup.ttl, entry.addedAt, holder.state, spec.createdAt) ? holder : undefined;
  }

  #activate(q: QueueState, job: StoredJob, options: Omit<ClaimOptions, "limit">): ClaimedJob {
    this.#setState(q, job, "active");
    job.attempts++;
    job.startedAt = options.now;
    job.token = randomUUID();
    job.workerId = options.workerId;
    job.leaseExpiresAt = options.now + options.leaseMs;
    if (this.#listening(q)) {
      this.#emit(q, "job:started", {
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
  #expireIfDue(q: QueueState, job: StoredJob, now: number): boolean {
    if (job.ttl === undefined || now < job.createdAt + job.ttl) return false;
    this.#expire(q, job, now);
    return true;
  }

  #finishOne(q: QueueState, job: StoredJob, item: Finish, now: number): void {
    const listening = this.#listening(q);
    switch (item.kind) {
      case "completed":
        job.resultJson = item.resultJson;
        this.#toFinished(q, job, "completed", now);
        if (listening)
          this.#emit(q, "job:completed", {
            queue: q.name,
            jobId: job.id,
            task: job.task,
            result: JSON.parse(item.resultJson),
          });
        this.#settleDependants(q, job, now);
        this.#retain(q, job, now);
        return;
      case "retry":
        job.error = copyError(item.error);
        job.runAt = item.runAt;
        this.#clearLease(job);
        if (item.runAt > now) this.#toDelayed(q, job);
        else this.#toWaiting(q, job);
        if (listening) {
          this.#emit(q, "job:retrying", {
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
        this.#fail(q, job, now);
        return;
      case "expired":
        job.attempts--;
        this.#expire(q, job, now);
        return;
      case "released":
        job.attempts--;
        this.#clearLease(job);
        this.#toWaiting(q, job);
        return;
    }
  }

  /** Moves `job` (its `error` already set) to `failed`, with event, dependants and retention. */
  #fail(q: QueueState, job: StoredJob, now: number): void {
    this.#toFinished(q, job, "failed", now);
    if (this.#listening(q)) {
      this.#emit(q, "job:failed", {
        queue: q.name,
        jobId: job.id,
        task: job.task,
        error: copyError(job.error as JobError),
        attempts: job.attempts,
      });
    }
    this.#settleDependants(q, job, now);
    this.#retain(q, job, now);
  }

  #expire(q: QueueState, job: StoredJob, now: number): void {
    this.#toFinished(q, job, "expired", now);
    if (this.#listening(q)) this.#emit(q, "job:expired", { queue: q.name, jobId: job.id, task: job.task });
    this.#settleDependants(q, job, now);
    this.#retain(q, job, now);
  }

  /**
   * Admin removal (removeJob, drain, clean): deletes `victims`, runs `afterDelete`, then settles
   * the children still waiting on any of them as if that parent had failed ("parent job <id>
   * removed"). Children are settled only once every victim is gone, so a child the removal
   * releases is never removed by the same call.
   */
  #remove(q: QueueState, victims: StoredJob[], afterDelete?: () => void): void {
    for (const job of victims) this.#delete(q, job);
    afterDelete?.();
    const now = Date.now();
    for (const job of victims) {
      if (job.dependants !== undefined) this.#settleDependants(q, job, now, true);
    }
  }

  /**
   * Tells the children of a job that just finished: a completed parent (or a failed one, for
   * children that ignore failures) counts down their pending parents; otherwise they fail with
   * ParentFailedError, which cascades to their own children. Iterative, so deep chains are fine.
   * With `rootRemoved`, `root` was deleted unfinished: it counts as failed, with the message
   * "parent job <id> removed".
   */
  #settleDependants(q: QueueState, root: StoredJob, now: number, rootRemoved = false): void {
    const parents = [root];
    for (let parent = parents.pop(); parent !== undefined; parent = parents.pop()) {
      const children = parent.dependants;
      if (children === undefined) continue;
      parent.dependants = undefined;
      const removed = rootRemoved && parent === root;
      const done = !removed && parent.state === "completed";
      for (const child of children) {
        if (child.removed || child.state !== "waiting-children") continue;
        if (done || child.onParentFailure === "ignore") {
          if (--child.pendingParents === 0) this.#ready(q, child, now);
          continue;
        }
        child.error = parentFailedError(parent.id, removed ? "removed" : parent.state);
        this.#toFinished(q, child, "failed", now);
        if (this.#listening(q)) {
          this.#emit(q, "job:failed", {
            queue: q.name,
            jobId: child.id,
            task: child.task,
            error: copyError(child.error),
            attempts: child.attempts,
          });
        }
        parents.push(child);
        this.#retain(q, child, now);
      }
    }
  }

  /** A child whose parents are all done: `waiting`, or `delayed` while its `runAt` is ahead. */
  #ready(q: QueueState, job: StoredJob, now: number): void {
    if (job.runAt !== undefined && job.runAt > now) this.#toDelayed(q, job);
    else this.#toWaiting(q, job);
    if (this.#listening(q)) this.#emit(q, "job:ready", { queue: q.name, jobId: job.id, task: job.task });
  }

  /** Applies `removeOnComplete` / `removeOnFail` to a job that just finished. */
  #retain(q: QueueState, job: StoredJob, now: number): void {
    const state = job.state as RetainedState;
    const spec = state === "completed" ? job.removeOnComplete : job.removeOnFail;
    if (spec === true) {
      this.#delete(q, job);
      return;
    }
    const list = q.finished[state];
    list.push(job, job.stateSeq);
    if (list.length > 2 * q.counts[state] + INDEX_SLACK) list.filter(isCurrent);
    if (typeof spec !== "object" || spec === null) return;
    if (spec.age !== undefined) {
      q.retention.push({ at: now + toMs(spec.age, "retention age"), seq: job.stateSeq, job });
    }
    if (spec.count !== undefined) {
      while (q.counts[state] > spec.count) {
        const oldest = list.peekItem();
        if (oldest === undefined) break;
        const live = isCurrent(oldest, list.peekSeq());
        list.shift();
        if (live) this.#delete(q, oldest);
      }
    }
  }

  /**
   * Lazy deletion leaves stale entries in the indexes (a cancelled waiting job, the ttl entry of a
   * job that completed, ...). Rebuilding an index once its stale entries outnumber the live ones
   * keeps memory proportional to the jobs stored, at amortised O(1) per transition.
   */
  #compact(q: QueueState): void {
    const c = q.counts;
    if (q.waiting.size > 2 * c.waiting + INDEX_SLACK) q.waiting.compact();
    if (q.delayed.size > 2 * c.delayed + INDEX_SLACK) q.delayed.filter(isCurrentEntry);
    if (q.ttl.size > 2 * (c.waiting + c.delayed + c["waiting-children"]) + INDEX_SLACK) {
      q.ttl.filter((entry) => {
        const keep = !entry.job.removed && UNSTARTED.has(entry.job.state);
        // A dropped entry of an active job is pushed again if the job returns to an unstarted state.
        if (!keep) entry.job.ttlQueued = false;
        return keep;
      });
    }
    if (q.retention.size > 2 * (c.completed + c.failed + c.expired) + INDEX_SLACK) {
      q.retention.filter(isCurrentEntry);
    }
  }

  #toFinished(q: QueueState, job: StoredJob, state: JobState, now: number): void {
    this.#setState(q, job, state);
    job.finishedAt = now;
    this.#clearLease(job);
  }

  #toWaiting(q: QueueState, job: StoredJob): void {
    this.#setState(q, job, "waiting");
    q.waiting.push(job, job.priority, job.stateSeq);
    this.#wake(q, "job");
  }

  #toDelayed(q: QueueState, job: StoredJob): void {
    this.#setState(q, job, "delayed");
    q.delayed.push({ at: job.runAt as number, seq: job.stateSeq, job });
    this.#wake(q, "delayed");
  }

  /** The one place a job changes state: keeps counts, the active set and the ttl heap in step. */
  #setState(q: QueueState, job: StoredJob, state: JobState): void {
    const from = job.state;
    q.counts[from]--;
    q.counts[state]++;
    job.state = state;
    job.stateSeq = ++q.seq;
    if (from === "active") q.active.delete(job);
    if (state === "active") q.active.add(job);
    else if (job.ttl !== undefined && !job.ttlQueued && UNSTARTED.has(state)) {
      job.ttlQueued = true;
      q.ttl.push({ at: job.createdAt + job.ttl, seq: job.stateSeq, job });
    }
  }

  #clearLease(job: StoredJob): void {
    job.token = undefined;
    job.workerId = undefined;
    job.leaseExpiresAt = undefined;
  }

  /** Deletes a job with its logs, lease and dedup key; index entries pointing at it go stale. */
  #delete(q: QueueState, job: StoredJob): void {
    q.jobs.delete(job.id);
    q.counts[job.state]--;
    job.removed = true;
    if (job.state === "active") q.active.delete(job);
    this.#clearLease(job);
    job.logs = undefined;
    if (job.dedupKey !== undefined && q.dedup.get(job.dedupKey)?.jobId === job.id)
      q.dedup.delete(job.dedupKey);
  }

  // -- plumbing --------------------------------------------------------------------------------

  #open(): void {
    if (this.#closed) {
      throw new BackendError(
        "this InMemoryBackend is closed; create a new backend instead of reusing a closed one",
      );
    }
  }

  #queue(name: string): QueueState {
    let q = this.#queues.get(name);
    if (q === undefined) {
      q = new QueueState(name, this.#channel(name));
      this.#queues.set(name, q);
    }
    return q;
  }

  #channel(name: string): Channel {
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = { wake: new Set(), subs: new Set(), pendingWake: 0 };
      this.#channels.set(name, channel);
    }
    return channel;
  }

  /** Whether anyone would receive an event of `q`; lets the hot path skip building payloads. */
  #listening(q: QueueState): boolean {
    return q.channel.subs.size > 0 || events.hasListeners();
  }

  #emit(q: QueueState, name: JobEventName, payload: JobEventPayload): void {
    this.#outbox.push({ channel: q.channel, name, payload });
  }

  #wake(q: QueueState, reason: WakeReason): void {
    const channel = q.channel;
    if (channel.wake.size === 0) return;
    if (channel.pendingWake === 0) this.#wakeQueue.push(channel);
    channel.pendingWake |= WAKE_BITS[reason];
  }

  /** Delivers what the call that just ended collected. Listeners may call back in; they get a fresh outbox. */
  #flush(): void {
    if (this.#outbox.length > 0) {
      const outbox = this.#outbox;
      this.#outbox = [];
      for (const { channel, name, payload } of outbox) {
        emitLocal(name, payload);
        for (const listener of channel.subs) {
          try {
            listener({ name, payload });
          } catch (err) {
            log().warn(`a subscriber of ${name} threw; the backend goes on`, err);
          }
        }
      }
    }
    if (this.#wakeQueue.length > 0) {
      const channels = this.#wakeQueue;
      this.#wakeQueue = [];
      for (const channel of channels) {
        const mask = channel.pendingWake;
        channel.pendingWake = 0;
        for (const reason of WAKE_REASONS) {
          if ((mask & WAKE_BITS[reason]) === 0) continue;
          for (const listener of channel.wake) {
            try {
              listener(reason);
            } catch (err) {
              log().warn("a wake-up listener threw; the backend goes on", err);
            }
          }
        }
      }
    }
  }
}

function noop(): void {}

function isCurrentEntry(entry: JobEntry): boolean {
  return isCurrent(entry.job, entry.seq);
}

function copyError(error: JobError): JobError {
  return { ...error };
}

function copyWorker(info: WorkerInfo): WorkerInfo {
  return { ...info, queues: [...info.queues] };
}
