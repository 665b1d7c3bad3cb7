/**
 * Records finished attempts in the backend's metric store (docs/metrics.md). The finisher hands it
 * each finish batch once the backend has answered, with the results: only the attempts whose finish
 * HELD count (completed -> completed, final failure -> failed, retry -> retried; expired, released
 * and a step job's moves (delayed, waiting-children) do not), each with its wait (ready -> started) and run (started -> finished) times,
 * under the minute of the batch's finish time. The stall sweeper adds the jobs the stall rule
 * failed, without times. So no job costs a round trip of its own.
 *
 * Writes: at most one `record` call in flight per queue, and call starts at least WRITE_GAP_MS
 * apart. Observations made meanwhile accumulate and go in the next call, so a busy queue makes a
 * handful of writes per second (even on SQLite and memory, whose writes end at once and would
 * otherwise make one per finish batch), and a quiet one writes each finish batch at once. `flush`
 * (at the runtime's stop) writes what is pending without waiting for the gap, and waits until
 * everything observed is written.
 */
import type { Backend, Finish, MetricMinute, MetricStore } from "../backends/backend.js";
import type { JobRecord } from "../job.js";
import { OutageLog } from "../logger.js";
import { METRIC_MINUTE_MS } from "../metrics/buckets.js";
import { emptyCounts, observe } from "../metrics/histogram.js";
import { getSettings } from "../settings.js";

/** What the recorder reads of an attempt's job: when it became ready and when this attempt started. */
export type AttemptTimes = Pick<JobRecord, "createdAt" | "runAt" | "startedAt">;

/** Least time between the starts of two writes of one queue. */
export const WRITE_GAP_MS = 200;
/** The finishes that end a counted attempt (expired never ran; the others hand the job back unused). */
const COUNTED: ReadonlySet<Finish["kind"]> = new Set(["completed", "failed", "retry"]);

interface QueueMetrics {
  /** Observed, not yet sent: one sample per minute. */
  pending: Map<number, MetricMinute>;
  /** The `record` call in flight (it never rejects), or null. */
  writing: Promise<void> | null;
  /** When the last write started (epoch ms). */
  lastStart: number;
  /** The timer that starts the next write once the gap has passed, or null. */
  timer: NodeJS.Timeout | null;
}

export class MetricsRecorder {
  readonly #queues = new Map<string, QueueMetrics>();
  readonly #outage = new OutageLog("recording job metrics");

  constructor(
    private readonly store: MetricStore,
    private readonly retentionMs: number,
  ) {}

  /**
   * A recorder for `backend` with the settings in force, or null when the backend keeps no metrics
   * (`capabilities.metrics`) or the `metrics` setting is false: then nothing is observed at all.
   */
  static for(backend: Backend): MetricsRecorder | null {
    const { metrics, metricsRetention } = getSettings();
    const store = backend.metrics;
    return metrics && store !== undefined ? new MetricsRecorder(store, metricsRetention) : null;
  }

  /**
   * Observes one finish batch of `queue` as the backend answered it: `held[i]` says whether
   * `items[i]` took effect, `jobs[i]` is that attempt's job (absent: counted without times), `now`
   * the finish time given to the backend.
   */
  finished(
    queue: string,
    items: readonly Finish[],
    jobs: ReadonlyArray<AttemptTimes | undefined>,
    held: readonly boolean[],
    now: number,
  ): void {
    let sample: MetricMinute | undefined;
    for (let i = 0; i < items.length; i++) {
      const kind = (items[i] as Finish).kind;
      if (held[i] !== true || !COUNTED.has(kind)) continue;
      sample ??= this.#sample(queue, now);
      if (kind === "completed") sample.completed++;
      else if (kind === "failed") sample.failed++;
      else sample.retried++;
      const job = jobs[i];
      if (job?.startedAt === undefined) continue;
      const readyAt = Math.max(job.createdAt, job.runAt ?? job.createdAt);
      // Whole ms (the store keeps integer sums); observe clamps negatives (clock skew) to 0.
      observe(sample, Math.round(job.startedAt - readyAt), Math.round(now - job.startedAt));
    }
    if (sample !== undefined) this.#write(queue);
  }

  /** Counts `count` jobs of `queue` failed by the stall rule at `now` (no times: they never finished). */
  stallFailed(queue: string, count: number, now: number): void {
    if (count <= 0) return;
    this.#sample(queue, now).failed += count;
    this.#write(queue);
  }

  /** Resolves once everything observed so far is written (or dropped, see #write). Never rejects. */
  async flush(): Promise<void> {
    for (const [queue, state] of this.#queues) {
      this.#write(queue, true);
      while (state.writing !== null) {
        await state.writing;
        this.#write(queue, true); // what came in during that write
      }
    }
  }

  /** The pending sample of `queue` for the minute of `now`. */
  #sample(queue: string, now: number): MetricMinute {
    let state = this.#queues.get(queue);
    if (state === undefined) {
      state = { pending: new Map(), writing: null, lastStart: 0, timer: null };
      this.#queues.set(queue, state);
    }
    const minute = now - (now % METRIC_MINUTE_MS);
    let sample = state.pending.get(minute);
    if (sample === undefined) {
      sample = { minute, ...emptyCounts() };
      state.pending.set(minute, sample);
    }
    return sample;
  }

  /**
   * Sends what is pending for `queue`, unless a call is in flight (its end calls this again) or,
   * unless `now` is set, the last call started less than WRITE_GAP_MS ago (a timer calls this then).
   */
  #write(queue: string, now = false): void {
    const state = this.#queues.get(queue);
    if (state === undefined || state.writing !== null || state.pending.size === 0) return;
    const wait = now ? 0 : state.lastStart + WRITE_GAP_MS - Date.now();
    if (wait > 0) {
      if (state.timer === null) {
        state.timer = setTimeout(() => {
          state.timer = null;
          this.#write(queue);
        }, wait);
        // A process that exits without stopping its workers loses what is pending: as it would
        // lose what its jobs were doing. A runtime's stop flushes.
        state.timer.unref();
      }
      return;
    }
    if (state.timer !== null) clearTimeout(state.timer);
    state.timer = null;
    state.lastStart = Date.now();
    const samples = [...state.pending.values()];
    state.pending.clear();
    state.writing = this.#record(queue, samples).finally(() => {
      state.writing = null;
      this.#write(queue);
    });
  }

  async #record(queue: string, samples: MetricMinute[]): Promise<void> {
    try {
      await this.store.record(queue, samples, Date.now(), this.retentionMs);
      this.#outage.succeeded();
    } catch (err) {
      // The counts of a failed write are dropped, not retried: the write may have been applied
      // before the error (a lost reply), and a retry would count those attempts twice; and a
      // backend that stays down would make them pile up in memory. Metrics are best-effort; jobs
      // are never affected.
      this.#outage.failed(
        err,
        `with the next finished jobs (the attempts of each failed write are left out of the metrics)`,
      );
    }
  }
}
