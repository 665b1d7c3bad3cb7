/**
 * The job store of the SQLite engine: each changing method is one write transaction (connection.ts)
 * over the transitions of tx.ts, and returns what it did; reads are single statements. Methods are
 * async so that a failure (a closed backend, a busy file) is a rejection, never a throw.
 */
import { type ClaimedJob, JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import type { ClaimOptions, EnqueueResult, Finish, NewJob } from "../backend.js";
import type { Applied, JobStore } from "../engine.js";
import { activeJobsBlockObliterate, FINISHED, limitOrNull, pageOf, zeroCounts } from "../shared/rules.js";
import { toRecord } from "../shared/sql-rows.js";
import type { SqliteConnection } from "./connection.js";

export class SqliteJobStore implements JobStore {
  constructor(private readonly conn: SqliteConnection) {}

  #paused(queue: string): boolean {
    return (this.conn.s.isPaused.get(queue) as { paused: number } | undefined)?.paused === 1;
  }

  // -- producer and worker ----------------------------------------------------------------------

  async enqueue(queue: string, jobs: NewJob[]): Promise<Applied<EnqueueResult[]>> {
    if (jobs.length === 0) return { value: [] };
    return this.conn.write(queue, (tx) => {
      const results = new Array<EnqueueResult>(jobs.length);
      for (let i = 0; i < jobs.length; i++) results[i] = tx.insert(jobs[i] as NewJob);
      return results;
    });
  }

  async claim(queue: string, options: ClaimOptions): Promise<Applied<ClaimedJob[]>> {
    if (options.limit < 1) return { value: [] };
    return this.conn.write(queue, (tx) => (this.#paused(queue) ? [] : tx.claim(options)));
  }

  async finish(queue: string, items: Finish[], now: number): Promise<Applied<boolean[]>> {
    if (items.length === 0) return { value: [] };
    return this.conn.write(queue, (tx) => items.map((item) => tx.finish(item, now)));
  }

  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    const { s } = this.conn;
    return this.conn.transaction(() => {
      const lost: string[] = [];
      for (const { jobId, token } of leases) {
        if (s.extendLease.run(now + leaseMs, queue, jobId, token).changes === 0) lost.push(jobId);
      }
      return lost;
    });
  }

  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<Applied<boolean>> {
    return this.conn.write(queue, (tx) => {
      const json = JSON.stringify(progress);
      const r = this.conn.s.progress.get(json, queue, jobId, token) as { task: string } | undefined;
      if (!r) return false;
      // The event carries a copy: the caller may mutate its object afterwards.
      if (tx.wantEvents) tx.emit("job:progress", { queue, jobId, task: r.task, progress: JSON.parse(json) });
      return true;
    });
  }

  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    this.conn.read(() => this.conn.s.addLog.run(queue, jobId, message, queue, jobId));
  }

  async getLogs(queue: string, jobId: string): Promise<string[]> {
    return this.conn.read(() => this.conn.s.getLogs.pluck().all(queue, jobId) as string[]);
  }

  // -- maintenance ------------------------------------------------------------------------------

  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<Applied<{ promoted: number; nextDueAt: number | null }>> {
    return this.conn.write(queue, (tx) => tx.promoteDelayed(now, limit));
  }

  async recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<Applied<{ stalled: string[]; failed: string[] }>> {
    return this.conn.write(queue, (tx) => tx.recoverStalled(now, maxStalledCount));
  }

  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.conn.write(queue, (tx) => tx.removeExpiredFinished(now, limit)).value;
  }

  async expireDue(queue: string, now: number, limit: number): Promise<Applied<number>> {
    return this.conn.write(queue, (tx) => tx.expireDue(now, limit));
  }

  // -- admin ------------------------------------------------------------------------------------

  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    return this.conn.read(() => {
      const row = this.conn.s.jobGet.get(queue, jobId);
      return row ? toRecord(row) : null;
    });
  }

  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const params: Record<string, string | number> = {
      queue,
      limit: limit ?? -1,
      offset,
      head: limit === null ? -1 : offset + limit,
    };
    for (const state of JOB_STATES) {
      params[state.replace("-", "_")] = states.length === 0 || states.includes(state) ? 1 : 0;
    }
    return this.conn.read(() => {
      const stmt = range.asc ? this.conn.s.jobsAsc : this.conn.s.jobsDesc;
      return stmt.all(params).map(toRecord);
    });
  }

  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const { s } = this.conn;
    return this.conn.read(() => {
      const counts = zeroCounts();
      for (const stmt of [s.countUnfinished, s.countFinished]) {
        for (const row of stmt.all(queue) as Array<{ state: JobState; n: number }>) counts[row.state] = row.n;
      }
      return counts;
    });
  }

  async cancelJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.conn.write(queue, (tx) => tx.cancel(jobId, now));
  }

  async retryJob(queue: string, jobId: string): Promise<Applied<boolean>> {
    return this.conn.write(queue, (tx) => tx.retryDead(jobId));
  }

  async removeJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.conn.write(queue, (tx) => {
      const row = this.conn.s.jobGet.get(queue, jobId);
      if (!row) return false;
      tx.remove([row], now);
      return true;
    });
  }

  async drain(queue: string, includeDelayed: boolean, now: number): Promise<Applied<number>> {
    return this.conn.write(queue, (tx) => {
      const rows = this.conn.s.drainable.all(queue, includeDelayed ? "delayed" : "waiting");
      tx.remove(rows, now);
      return rows.length;
    });
  }

  async clean(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
    now: number,
  ): Promise<Applied<string[]>> {
    if (state === "active") return { value: [] };
    return this.conn.write(queue, (tx) => {
      const { s } = this.conn;
      const stmt = FINISHED.has(state) ? s.cleanFinished : s.cleanUnfinished;
      const rows = stmt.all(queue, state, olderThan, limitOrNull(limit) ?? -1);
      tx.remove(rows, now);
      return rows.map((r) => r.id);
    });
  }

  async obliterate(queue: string, force: boolean): Promise<void> {
    const { s } = this.conn;
    this.conn.transaction(() => {
      const active = (s.activeCount.get(queue) as { n: number }).n;
      if (!force && active > 0) throw activeJobsBlockObliterate(queue, active);
      for (const wipe of [
        s.wipeLogs,
        s.wipeDeps,
        s.wipeDedup,
        s.wipeJobs,
        s.wipeCounts,
        s.wipeRepeatables,
        s.wipeSlots,
        s.wipeBucket,
      ]) {
        wipe.run(queue);
      }
      s.unpause.run(queue);
    });
  }

  async setPaused(queue: string, paused: boolean): Promise<Applied<void>> {
    return this.conn.write(queue, (tx) => {
      this.conn.s.queueEnsure.run(queue);
      this.conn.s.setPaused.run(paused ? 1 : 0, queue);
      tx.emit(paused ? "queue:paused" : "queue:resumed", { queue });
      if (!paused) tx.wake("resume");
    });
  }

  async isPaused(queue: string): Promise<boolean> {
    return this.conn.read(() => this.#paused(queue));
  }

  async listQueues(): Promise<string[]> {
    return this.conn.read(() => this.conn.s.listQueues.pluck().all() as string[]);
  }
}
