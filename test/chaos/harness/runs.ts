/**
 * What the handlers did, read from the run logs the chaos tasks write (one file per worker process,
 * lines `s <id> <ms>` at a handler's start and `e <id> <ms>` at its end): runs per job, duplicates,
 * and how long the jobs a killed worker held waited for their next run.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Kill } from "./fleet.js";

export interface RunEvent {
  pid: number;
  kind: "s" | "e";
  id: string;
  at: number;
}

export function readRuns(dir: string): RunEvent[] {
  const out: RunEvent[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".log")) continue;
    const pid = Number(file.slice(0, -4));
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      const [kind, id, at] = line.split(" ");
      // A SIGKILL can cut the last line of a file short: such a line has no time.
      if ((kind === "s" || kind === "e") && id && at) out.push({ pid, kind, id, at: Number(at) });
    }
  }
  return out;
}

export interface RunStats {
  /** Jobs whose handler started at least once. */
  started: number;
  /** Handler starts beyond the first, summed over jobs (runs cut short by a fault, mostly). */
  duplicateRuns: number;
  /** Handler completions beyond the first: the side effects a user would see twice. */
  duplicateCompletions: number;
  /** Jobs that ran more than once. */
  jobsRunTwice: number;
}

export function runStats(events: RunEvent[]): RunStats {
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  for (const e of events) {
    const m = e.kind === "s" ? starts : ends;
    m.set(e.id, (m.get(e.id) ?? 0) + 1);
  }
  let duplicateRuns = 0;
  let jobsRunTwice = 0;
  for (const n of starts.values()) {
    duplicateRuns += n - 1;
    if (n > 1) jobsRunTwice += 1;
  }
  let duplicateCompletions = 0;
  for (const n of ends.values()) duplicateCompletions += n - 1;
  return { started: starts.size, duplicateRuns, duplicateCompletions, jobsRunTwice };
}

/**
 * For each killed worker, the jobs it had started and not finished when it died, and the time from
 * the kill to each one's next start in another process (`stalls` given: to its first `job:stalled`
 * event after the kill, i.e. back in the queue; the next start also waits for the jobs ahead of it).
 */
export function recoveryDelays(events: RunEvent[], kills: Kill[], stalls?: Map<string, number[]>): number[] {
  const byJob = new Map<string, RunEvent[]>();
  for (const e of events) {
    const list = byJob.get(e.id);
    if (list) list.push(e);
    else byJob.set(e.id, [e]);
  }
  const killAt = new Map(kills.map((k) => [k.pid, k.at]));
  const delays: number[] = [];
  for (const [id, list] of byJob) {
    list.sort((a, b) => a.at - b.at);
    for (const e of list) {
      const died = killAt.get(e.pid);
      if (e.kind !== "s" || died === undefined || e.at > died) continue;
      const finished = list.some((x) => x.kind === "e" && x.pid === e.pid && x.at >= e.at);
      if (finished) continue;
      const next = stalls
        ? stalls.get(id)?.find((at) => at > died)
        : list.find((x) => x.kind === "s" && x.at > died)?.at;
      if (next !== undefined) delays.push(next - died);
    }
  }
  return delays.sort((a, b) => a - b);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
}
