/**
 * One runtime's running jobs: renews their leases in one batched call per queue (also while a job's
 * end is being written, which may take retries), notes the new expiry on each job, and aborts a
 * job's `ctx.signal` when its lease is lost. Open keepers are listed process-wide so that `Queue.cancelJob`
 * and `removeJob` abort a job this process runs at once, whichever runtime runs it.
 */
import type { Backend } from "../backends/backend.js";
import { JobCancelledError } from "../errors.js";
import { OutageLog } from "../logger.js";
import type { ActiveJob } from "./active-job.js";
import { timerInterval } from "./timer.js";

/** What a keeper needs of the backend. */
type Leases = Pick<Backend, "extendLeases">;

/** Keepers of the runtimes running now (created, not yet closed). */
const open = new Set<LeaseKeeper>();

export class LeaseKeeper {
  readonly #byQueue = new Map<string, Map<string, ActiveJob>>();
  #timer: NodeJS.Timeout | null = null;
  #renewing = false;
  readonly #outage = new OutageLog("renewing the leases of running jobs");

  /** Registers the keeper until `close()`; `leaseMs` is the lease each renewal asks for. */
  constructor(
    readonly backend: Leases,
    readonly leaseMs: number,
  ) {
    open.add(this);
  }

  /** A third of the lease: two renewals may fail (slow engine, busy loop) before it expires. */
  get #every(): number {
    // A lease past ~74 days renews every ~24.8 days, the longest interval a Node timer holds.
    return timerInterval(Math.max(10, Math.floor(this.leaseMs / 3)));
  }

  add(job: ActiveJob): void {
    let jobs = this.#byQueue.get(job.queue);
    if (!jobs) {
      jobs = new Map();
      this.#byQueue.set(job.queue, jobs);
    }
    jobs.set(job.jobId, job);
    if (!this.#timer) {
      this.#timer = setInterval(() => void this.#renew(), this.#every);
      this.#timer.unref();
    }
  }

  remove(job: ActiveJob): void {
    const jobs = this.#byQueue.get(job.queue);
    if (jobs?.get(job.jobId) === job) jobs.delete(job.jobId);
    if (jobs?.size === 0) this.#byQueue.delete(job.queue);
    // The timer stops at its next beat if still idle: busy workers empty and refill this set for
    // every batch, and re-arming a timer per batch costs more than one idle beat.
  }

  get(queue: string, jobId: string): ActiveJob | undefined {
    return this.#byQueue.get(queue)?.get(jobId);
  }

  /** Stops renewing and leaves the process-wide list; the runtime calls it once it has drained. */
  close(): void {
    open.delete(this);
    this.#stopTimer();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async #renew(): Promise<void> {
    if (this.#byQueue.size === 0) {
      this.#stopTimer();
      return;
    }
    if (this.#renewing) return;
    this.#renewing = true;
    try {
      for (const [queue, jobs] of this.#byQueue) {
        const list = [...jobs.values()];
        const now = Date.now();
        const lost = await this.backend.extendLeases(
          queue,
          list.map((j) => ({ jobId: j.jobId, token: j.token })),
          this.leaseMs,
          now,
        );
        this.#outage.succeeded();
        // The attempts that were renewed, not what `jobs` holds now: an attempt that ended meanwhile
        // may have been replaced by a new claim of the same id, whose lease is not the lost one.
        const ids = lost.length > 0 ? new Set(lost) : null;
        for (const job of list) {
          if (!ids?.has(job.jobId)) job.leaseUntil = now + this.leaseMs;
          else
            job.abort(
              "lost",
              new JobCancelledError(
                `job ${job.jobId} lost its lease (cancelled, removed or recovered elsewhere)`,
              ),
            );
        }
      }
    } catch (err) {
      this.#outage.failed(err, `every ${this.#every} ms while jobs run`);
    } finally {
      this.#renewing = false;
    }
  }
}

/** Aborts the signal of a job this process runs on `backend`, after the backend cancelled or removed it. */
export function abortActiveJob(backend: Leases, queue: string, jobId: string, why: string): void {
  for (const keeper of open) {
    if (keeper.backend === backend)
      keeper.get(queue, jobId)?.abort("cancelled", new JobCancelledError(`job ${jobId} was ${why}`));
  }
}
