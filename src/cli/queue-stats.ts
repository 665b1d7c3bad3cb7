/**
 * `asyncmq queue stats <queue> [--since D]`: the queue's job counts and, from the metrics its
 * workers record (docs/metrics.md), what finished over the last D (default 1h): completed, failed
 * and retried attempts, jobs per minute, wait and run p50/p95 from the histograms, and the totals
 * since the first record. A backend without metrics shows the counts and says so.
 */
import { type Command, InvalidArgumentError } from "commander";
import type { Backend, MetricCounts } from "../backends/backend.js";
import { JOB_STATES } from "../job.js";
import { METRIC_MINUTE_MS } from "../metrics/buckets.js";
import { mean, quantile } from "../metrics/histogram.js";
import type { QueueMetrics } from "../metrics/query.js";
import type { Queue } from "../queue.js";
import { backendFor, type CommonOptions, withCommonOptions } from "./backend-option.js";
import { queueOf, requireQueue } from "./lookup.js";
import { humanDuration, isoTime, keyValues, paint, print, printJson } from "./output.js";
import { parseDuration } from "./parse.js";

/** The longest --since: what getMetrics returns at most. */
const MAX_SINCE_MS = 31 * 24 * 60 * METRIC_MINUTE_MS;

/** Percentiles and mean of one histogram, ms; null when nothing was observed. */
interface Timing {
  p50: number | null;
  p95: number | null;
  mean: number | null;
}

interface Stats {
  queue: string;
  paused: boolean;
  counts: Record<string, number>;
  /** The range asked for (ms) and the whole minutes it covers. */
  since: number;
  from: number;
  to: number;
  /** The rest is null when the backend keeps no metrics. */
  range: Pick<MetricCounts, "completed" | "failed" | "retried"> | null;
  /** Jobs that ended (completed or failed for good) per minute, over the range up to now. */
  jobsPerMinute: number | null;
  wait: Timing | null;
  run: Timing | null;
  total: Pick<MetricCounts, "completed" | "failed" | "retried"> | null;
}

export function queueStatsCommand(queue: Command): void {
  withCommonOptions(
    queue
      .command("stats")
      .description("show a queue's counts and what finished recently: rates, wait and run percentiles"),
  )
    .argument("<queue>", "queue name")
    .option(
      "--since <duration>",
      "how far back, in whole minutes up to now, at most 31d (default 1h)",
      parseSince,
      3_600_000,
    )
    .action(async (name: string, o: CommonOptions & { since: number }) => {
      const backend = await backendFor(o);
      const stats = await readStats(backend, name, o.since, Date.now());
      if (o.json) return printJson(stats);
      print(keyValues(lines(stats)));
    });
}

async function readStats(backend: Backend, name: string, since: number, now: number): Promise<Stats> {
  const q = await knownQueue(backend, name);
  const minutes = Math.max(1, Math.ceil(since / METRIC_MINUTE_MS));
  const to = now - (now % METRIC_MINUTE_MS) + METRIC_MINUTE_MS;
  const from = to - minutes * METRIC_MINUTE_MS;
  const [paused, counts, metrics] = await Promise.all([
    q.isPaused(),
    q.getJobCounts(),
    backend.metrics ? q.getMetrics({ from, to }) : null,
  ]);
  const stats: Stats = {
    queue: name,
    paused,
    counts,
    since,
    from,
    to,
    range: null,
    jobsPerMinute: null,
    wait: null,
    run: null,
    total: null,
  };
  if (metrics !== null) Object.assign(stats, fromMetrics(metrics, now));
  return stats;
}

/** requireQueue, but a queue whose jobs are all gone still has stats when it has metrics. */
async function knownQueue(backend: Backend, name: string): Promise<Queue> {
  try {
    return await requireQueue(backend, name);
  } catch (err) {
    const totals = await backend.metrics?.totals(name);
    if (totals !== undefined && totals.completed + totals.failed + totals.retried > 0)
      return queueOf(backend, name);
    throw err;
  }
}

function fromMetrics(m: QueueMetrics, now: number): Partial<Stats> {
  const pick = ({ completed, failed, retried }: MetricCounts) => ({ completed, failed, retried });
  const timing = (buckets: number[], sum: number): Timing => ({
    p50: round(quantile(buckets, 0.5)),
    p95: round(quantile(buckets, 0.95)),
    mean: round(mean(buckets, sum)),
  });
  // Over the time that has passed: the current minute counts only up to now.
  const elapsedMinutes = Math.max(now - m.from, 1) / METRIC_MINUTE_MS;
  return {
    range: pick(m.range),
    jobsPerMinute: round((m.range.completed + m.range.failed) / elapsedMinutes),
    wait: timing(m.range.wait, m.range.waitSum),
    run: timing(m.range.run, m.range.runSum),
    total: pick(m.total),
  };
}

function lines(s: Stats): Array<[string, string]> {
  const out: Array<[string, string]> = [
    ["queue", s.queue],
    ["status", s.paused ? paint("yellow", "paused") : "running"],
    ...JOB_STATES.map((state): [string, string] => [state, String(s.counts[state] ?? 0)]),
  ];
  if (s.range === null || s.total === null) {
    out.push(["metrics", paint("dim", "not kept by this backend (capabilities.metrics is false)")]);
    return out;
  }
  const attempts = (c: NonNullable<Stats["range"]>) =>
    `${c.completed} completed, ${c.failed} failed, ${c.retried} retried`;
  out.push(
    ["window", `last ${humanDuration(s.to - s.from)}, since ${isoTime(s.from)}`],
    ["finished", attempts(s.range)],
    ["jobs/min", String(s.jobsPerMinute)],
    ["wait p50/p95", percentiles(s.wait)],
    ["run p50/p95", percentiles(s.run)],
    ["since first", attempts(s.total)],
  );
  return out;
}

function percentiles(t: Timing | null): string {
  if (t === null || t.p50 === null || t.p95 === null) return "-";
  return `${ms(t.p50)} / ${ms(t.p95)}`;
}

/** A histogram estimate as short text: "3ms", "1.2s" (below 10 s), else humanDuration. */
function ms(value: number): string {
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 10_000) return `${(value / 1000).toFixed(1)}s`;
  return humanDuration(value);
}

/** Two decimals are plenty for estimates; null stays null. */
function round(n: number): number;
function round(n: number | null): number | null;
function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}

/** --since: a duration above 0 and at most 31 days. */
function parseSince(value: string): number {
  const ms = parseDuration(value);
  if (ms <= 0 || ms > MAX_SINCE_MS)
    throw new InvalidArgumentError("use a duration above 0 and at most 31d, like 15m, 1h or 7d");
  return ms;
}
