/**
 * The figures of each scenario: one compact line on stdout (`[chaos] ...`) and, when
 * ASYNCMQ_CHAOS_REPORT names a file, one JSON object per line appended to it (docs/reliability.md's
 * fault matrix is written from that file after a long run).
 */
import { appendFileSync } from "node:fs";

export interface Figures {
  backend: string;
  scenario: string;
  jobs: number;
  /** Faults injected: kills, restarts, connection kills, killed producers. */
  faults: number;
  lost: number;
  /** Healthy jobs that ended failed (dead-lettered). */
  deadLettered: number;
  duplicateRuns: number;
  duplicateCompletions: number;
  /** Median and worst recovery time, ms (what it means is in `recovery`). */
  recoveryP50Ms: number;
  recoveryMaxMs: number;
  recovery: string;
  /** Longest time with no completion while work remained, ms. */
  longestStallMs: number;
  wallMs: number;
  [more: string]: unknown;
}

export function report(f: Figures): void {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  const extra = Object.entries(f)
    .filter(([k]) => !BASE_KEYS.has(k))
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(" ");
  console.log(
    `[chaos] ${f.backend} ${f.scenario}: jobs=${f.jobs} faults=${f.faults} lost=${f.lost} dead-lettered=${f.deadLettered} ` +
      `dup-runs=${f.duplicateRuns} dup-completions=${f.duplicateCompletions} recovery(${f.recovery}) p50=${s(f.recoveryP50Ms)} ` +
      `max=${s(f.recoveryMaxMs)} longest-stall=${s(f.longestStallMs)} wall=${s(f.wallMs)}${extra ? ` ${extra}` : ""}`,
  );
  const file = process.env.ASYNCMQ_CHAOS_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), ...f })}\n`);
}

const BASE_KEYS = new Set([
  "backend",
  "scenario",
  "jobs",
  "faults",
  "lost",
  "deadLettered",
  "duplicateRuns",
  "duplicateCompletions",
  "recoveryP50Ms",
  "recoveryMaxMs",
  "recovery",
  "longestStallMs",
  "wallMs",
]);
