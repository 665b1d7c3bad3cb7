/**
 * The Prometheus text exposition format (version 0.0.4) of every queue of a backend: job counts per
 * state, pause flags, live workers, and, where the backend keeps metrics, the finished-attempt
 * counters and the wait and run histograms since each queue's first record. Served by the
 * dashboard at /metrics; usable from any HTTP server.
 */
import type { Backend, MetricCounts } from "../backends/backend.js";
import { JOB_STATES, type JobState } from "../job.js";
import { METRIC_BUCKETS_MS } from "./buckets.js";

/** The content type of what renderPrometheus returns. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

interface QueueSnapshot {
  queue: string;
  counts: Record<JobState, number>;
  paused: boolean;
  totals: MetricCounts | null;
  workers: number | null;
}

type Sample = [labels: Array<[string, string]>, value: number];

/**
 * Renders the metrics of `queues` (default: every queue of `backend.listQueues()`) as Prometheus
 * text exposition format 0.0.4, with HELP and TYPE lines:
 * - `asyncmq_queue_jobs{queue,state}` gauge (every state, zeros included),
 * - `asyncmq_queue_paused{queue}` gauge (1 paused, 0 not),
 * - `asyncmq_workers{queue}` gauge, live workers (when the backend has a worker registry),
 * - `asyncmq_jobs_completed_total`, `asyncmq_jobs_failed_total`, `asyncmq_jobs_retried_total`
 *   counters per queue, and the histograms `asyncmq_job_wait_seconds` and `asyncmq_job_run_seconds`
 *   (buckets of METRIC_BUCKETS_MS in seconds, `+Inf`, `_sum`, `_count`) since the first record
 *   (when the backend keeps metrics, `capabilities.metrics`).
 */
export async function renderPrometheus(backend: Backend, queues?: string[]): Promise<string> {
  const names = [...(queues ?? (await backend.listQueues()))].sort();
  const workers = backend.workers ? await backend.workers.list(Date.now()) : null;
  const snapshots = await Promise.all(
    names.map(async (queue): Promise<QueueSnapshot> => {
      const [counts, paused, totals] = await Promise.all([
        backend.getJobCounts(queue),
        backend.isPaused(queue),
        backend.metrics ? backend.metrics.totals(queue) : null,
      ]);
      const live = workers ? workers.filter((w) => w.queues.includes(queue)).length : null;
      return { queue, counts, paused, totals, workers: live };
    }),
  );
  const out: string[] = [];
  const q = (s: QueueSnapshot): Array<[string, string]> => [["queue", s.queue]];
  family(
    out,
    "asyncmq_queue_jobs",
    "gauge",
    "Jobs in the queue, per state.",
    snapshots.flatMap((s) =>
      JOB_STATES.map((state): Sample => [[...q(s), ["state", state]], s.counts[state] ?? 0]),
    ),
  );
  family(
    out,
    "asyncmq_queue_paused",
    "gauge",
    "1 when the queue is paused, else 0.",
    snapshots.map((s) => [q(s), s.paused ? 1 : 0]),
  );
  if (workers !== null) {
    family(
      out,
      "asyncmq_workers",
      "gauge",
      "Live workers of the queue (by heartbeat).",
      snapshots.map((s) => [q(s), s.workers ?? 0]),
    );
  }
  if (backend.metrics) {
    const counter = (name: string, help: string, pick: (t: MetricCounts) => number) =>
      family(
        out,
        name,
        "counter",
        help,
        snapshots.map((s) => [q(s), pick(s.totals as MetricCounts)]),
      );
    counter("asyncmq_jobs_completed_total", "Attempts that completed.", (t) => t.completed);
    counter(
      "asyncmq_jobs_failed_total",
      "Jobs that failed for good (dead letters), stall failures included.",
      (t) => t.failed,
    );
    counter("asyncmq_jobs_retried_total", "Attempts that failed and were scheduled again.", (t) => t.retried);
    histogram(out, "asyncmq_job_wait_seconds", "Time from ready to started, per attempt.", snapshots, (t) => [
      t.wait,
      t.waitSum,
    ]);
    histogram(
      out,
      "asyncmq_job_run_seconds",
      "Time from started to finished, per attempt.",
      snapshots,
      (t) => [t.run, t.runSum],
    );
  }
  return out.join("");
}

/** HELP and TYPE lines, then one line per sample. */
function family(out: string[], name: string, type: string, help: string, samples: Sample[]): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
  for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${formatValue(value)}\n`);
}

/** A histogram family: cumulative `_bucket` lines (le in seconds, then +Inf), `_sum` (seconds), `_count`. */
function histogram(
  out: string[],
  name: string,
  help: string,
  snapshots: QueueSnapshot[],
  pick: (t: MetricCounts) => [buckets: number[], sumMs: number],
): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} histogram\n`);
  for (const s of snapshots) {
    const [buckets, sumMs] = pick(s.totals as MetricCounts);
    const queue: [string, string] = ["queue", s.queue];
    let cumulative = 0;
    METRIC_BUCKETS_MS.forEach((bound, i) => {
      cumulative += buckets[i] ?? 0;
      out.push(`${name}_bucket${labelText([queue, ["le", formatValue(bound / 1000)]])} ${cumulative}\n`);
    });
    cumulative += buckets[METRIC_BUCKETS_MS.length] ?? 0;
    out.push(`${name}_bucket${labelText([queue, ["le", "+Inf"]])} ${cumulative}\n`);
    out.push(`${name}_sum${labelText([queue])} ${formatValue(sumMs / 1000)}\n`);
    out.push(`${name}_count${labelText([queue])} ${cumulative}\n`);
  }
}

function labelText(labels: Array<[string, string]>): string {
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}`;
}

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text: backslash and newline escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go-style special values, else the shortest JavaScript number text. */
function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Number.POSITIVE_INFINITY) return "+Inf";
  if (n === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(n);
}
