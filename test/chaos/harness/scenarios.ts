/**
 * The chaos scenarios, each on a fresh store of one engine: a SIGKILL storm over worker processes,
 * engine outages, connection kills, and SIGKILL during addBulk. Each prints and records its figures
 * (report.ts) before it asserts: 0 lost, no healthy job dead-lettered, and all-or-nothing bulks.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { JOB_STATES, type JobState } from "../../../src/job.js";
import { Queue } from "../../../src/queue.js";
import { childEnv, ROOT } from "../../e2e/helpers.js";
import { jobMs, SIZES } from "./config.js";
import type { ChaosEngine } from "./engines.js";
import { Fleet } from "./fleet.js";
import { Progress, type Sample } from "./progress.js";
import { type Figures, report } from "./report.js";
import { percentile, type RunEvent, readRuns, recoveryDelays, runStats } from "./runs.js";

/** One scenario's moving parts, all torn down by `close` whatever happened. */
class Run {
  readonly runsDir: string;
  readonly url: string;
  readonly backend: Backend;
  readonly queue: Queue;
  readonly fleet: Fleet;
  progress: Progress | undefined;
  readonly startedAt = Date.now();
  /** `job:stalled` times per job id, from every process (the queue's cross-process events). */
  readonly stalls = new Map<string, number[]>();

  constructor(
    readonly engine: ChaosEngine,
    readonly dir: string,
    readonly label: string,
    readonly jobs: number,
  ) {
    this.runsDir = mkdtempSync(join(dir, `${label}-runs-`));
    const store = engine.store(label);
    this.url = store.url;
    this.backend = store.backend;
    this.queue = new Queue("chaos", { backend: this.backend });
    this.fleet = new Fleet({ url: this.url, runsDir: this.runsDir, cwd: dir });
    this.queue.events.on("job:stalled", (p: { jobId?: string }) => {
      if (p.jobId === undefined) return;
      const list = this.stalls.get(p.jobId);
      if (list) list.push(Date.now());
      else this.stalls.set(p.jobId, [Date.now()]);
    });
  }

  async enqueue(): Promise<void> {
    for (let i = 0; i < this.jobs; i += 1000) {
      const n = Math.min(1000, this.jobs - i);
      await this.queue.addBulk(
        Array.from({ length: n }, (_, k) => ({ task: "chaos", data: { ms: jobMs(i + k) } })),
      );
    }
  }

  watch(): Progress {
    this.progress = new Progress(this.queue);
    return this.progress;
  }

  finished(s: Sample): boolean {
    return s.counts.completed + s.counts.failed >= this.jobs;
  }

  completedAtLeast(n: number, ms: number): Promise<Sample> {
    return (this.progress as Progress).until(
      (s) => s.counts.completed >= n || this.finished(s),
      `${this.engine.name} ${this.label}: ${n} completed`,
      ms,
    );
  }

  /** Waits for every job to end, stops the workers gracefully, and returns the final counts. */
  async settle(
    ms: number,
  ): Promise<{ counts: Record<JobState, number>; doneAt: number; workersExited: number; exitTails: string }> {
    const progress = this.progress as Progress;
    const last = await progress.until(
      (s) => this.finished(s),
      `${this.engine.name} ${this.label}: all ${this.jobs} jobs ended`,
      ms,
    );
    // Workers that ended by themselves (not killed by the suite) gave up on a fault.
    const killed = new Set(this.fleet.kills.map((k) => k.pid));
    const exited = this.fleet.all.filter((w) => w.closed && !killed.has(w.pid));
    const exitTails = exited.map((w) => `--- worker ${w.pid} ---\n${w.tail}`).join("\n");
    await progress.stop();
    await this.fleet.stop();
    const counts = await this.queue.getJobCounts();
    return { counts, doneAt: last.at, workersExited: exited.length, exitTails };
  }

  async close(): Promise<void> {
    await this.fleet.kill();
    this.queue.events.removeAllListeners();
    await this.progress?.stop();
    await this.queue.close();
    await this.backend.close();
  }
}

/** Figures shared by the runs that end with every job completed; then the assertions. */
function finish(
  run: Run,
  counts: Record<JobState, number>,
  doneAt: number,
  scenario: string,
  faults: number,
  delays: number[],
  recovery: string,
  extra: Record<string, unknown> = {},
): Figures {
  const stats = runStats(readRuns(run.runsDir));
  const figures: Figures = {
    backend: run.engine.name,
    scenario,
    jobs: run.jobs,
    faults,
    lost: run.jobs - counts.completed - counts.failed,
    deadLettered: counts.failed,
    duplicateRuns: stats.duplicateRuns,
    duplicateCompletions: stats.duplicateCompletions,
    recoveryP50Ms: percentile(delays, 50),
    recoveryMaxMs: delays.at(-1) ?? 0,
    recovery,
    longestStallMs: run.progress?.longestStall() ?? 0,
    wallMs: doneAt - run.startedAt,
    ...extra,
  };
  report(figures);
  const expected = Object.fromEntries(JOB_STATES.map((s) => [s, s === "completed" ? run.jobs : 0]));
  expect(counts, `${run.engine.name} ${scenario}: every job completed, none lost or dead-lettered`).toEqual(
    expected,
  );
  expect(stats.started, "every job's handler ran").toBe(run.jobs);
  return figures;
}

/** The first handler start after `t` (a claim: it needs the engine), else `otherwise`. */
function firstAfter(starts: RunEvent[], t: number, otherwise: number): number {
  let first = otherwise;
  for (const e of starts) if (e.at > t && e.at < first) first = e.at;
  return first;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Worker processes SIGKILLed at random every 1-2 s (each replaced at once) until all jobs are done.
 * Recovery: from a kill to the next start of each job the dead worker held.
 */
export async function killStorm(engine: ChaosEngine, dir: string, timeoutMs: number): Promise<Figures> {
  const run = new Run(engine, dir, "storm", SIZES.stormJobs);
  try {
    await run.enqueue();
    await run.fleet.start(SIZES.stormWorkers);
    const progress = run.watch();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await sleep(1000 + Math.random() * 1000);
      const last = progress.last;
      if (last && run.finished(last)) break;
      run.fleet.killOne();
    }
    const { counts, doneAt, workersExited, exitTails } = await run.settle(
      Math.max(30_000, deadline - Date.now()),
    );
    const runs = readRuns(run.runsDir);
    const requeued = recoveryDelays(runs, run.fleet.kills, run.stalls);
    const rerun = recoveryDelays(runs, run.fleet.kills);
    const figures = finish(
      run,
      counts,
      doneAt,
      "kill storm",
      run.fleet.kills.length,
      requeued,
      "kill -> requeued",
      {
        workers: SIZES.stormWorkers,
        rerunP50Ms: percentile(rerun, 50),
        rerunMaxMs: rerun.at(-1) ?? 0,
        workersExited,
      },
    );
    // A replacement that exits by itself shrinks the storm's capacity unseen: fail on it.
    expect(workersExited, `workers that exited by themselves:\n${exitTails}`).toBe(0);
    return figures;
  } finally {
    await run.close();
  }
}

/**
 * The engine taken down mid-run (Redis crashed with AOF always; Postgres `pg_ctl stop -m fast`)
 * for each outage in SIZES, then started again. Recovery: from the engine's return to the next
 * completion.
 */
export async function engineOutages(engine: ChaosEngine, dir: string, timeoutMs: number): Promise<Figures> {
  const outage = engine.outage?.bind(engine);
  if (!outage) throw new Error(`${engine.name} has no outage`);
  const run = new Run(engine, dir, "restart", SIZES.faultJobs);
  try {
    await run.enqueue();
    await run.fleet.start(3);
    const progress = run.watch();
    const ups: number[] = [];
    const n = SIZES.outagesMs.length;
    for (const [k, ms] of SIZES.outagesMs.entries()) {
      await run.completedAtLeast(Math.floor((run.jobs * (k + 1)) / (n + 2)), timeoutMs);
      const { upAt } = await outage(ms);
      ups.push(upAt);
    }
    const { counts, doneAt, workersExited, exitTails } = await run.settle(timeoutMs);
    const starts = readRuns(run.runsDir).filter((e) => e.kind === "s");
    const delays = ups.map((up) => firstAfter(starts, up, doneAt) - up).sort((a, b) => a - b);
    const figures = finish(run, counts, doneAt, "engine restart", n, delays, "engine up -> next job start", {
      firstCompletionAfterUpMs: ups.map((up) => (progress.resumedAfter(up) ?? doneAt) - up),
      outagesMs: SIZES.outagesMs,
      workersExited,
    });
    expect(workersExited, `workers that exited by themselves instead of reconnecting:\n${exitTails}`).toBe(0);
    return figures;
  } finally {
    await run.close();
  }
}

/** Every client connection killed, several times mid-run. Recovery: kill -> next completion. */
export async function connectionKills(engine: ChaosEngine, dir: string, timeoutMs: number): Promise<Figures> {
  const killConnections = engine.killConnections?.bind(engine);
  if (!killConnections) throw new Error(`${engine.name} has no connection kill`);
  const run = new Run(engine, dir, "connkill", SIZES.faultJobs);
  try {
    await run.enqueue();
    await run.fleet.start(3);
    run.watch();
    const kills: number[] = [];
    let killed = 0;
    const n = SIZES.connectionKills;
    for (let k = 0; k < n; k++) {
      await run.completedAtLeast(Math.floor((run.jobs * (k + 1)) / (n + 2)), timeoutMs);
      killed += await killConnections();
      kills.push(Date.now());
    }
    const { counts, doneAt, workersExited, exitTails } = await run.settle(timeoutMs);
    const starts = readRuns(run.runsDir).filter((e) => e.kind === "s");
    const delays = kills.map((at) => firstAfter(starts, at, doneAt) - at).sort((a, b) => a - b);
    const figures = finish(run, counts, doneAt, "connection kills", n, delays, "kill -> next job start", {
      connectionsKilled: killed,
      workersExited,
    });
    expect(workersExited, `workers that exited by themselves instead of reconnecting:\n${exitTails}`).toBe(0);
    return figures;
  } finally {
    await run.close();
  }
}

const PRODUCER = join(ROOT, "test/chaos/fixtures/bulk-producer.mjs");

/** Runs the producer; SIGKILLs it `killAfterMs` after it starts its addBulk (never, if undefined). */
async function produce(
  url: string,
  queue: string,
  count: number,
  killAfterMs?: number,
): Promise<{ addedMs?: number; killed: boolean; output: string }> {
  const child = spawn(process.execPath, [PRODUCER, JSON.stringify({ url, queue, count })], {
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let addedMs: number | undefined;
  let killed = false;
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    output += d;
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    output += `${line}\n`;
    if (line === "adding" && killAfterMs !== undefined) {
      setTimeout(() => {
        killed = child.kill("SIGKILL");
      }, killAfterMs);
    }
    const m = /^added (\d+)$/.exec(line);
    if (m) addedMs = Number(m[1]);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  if (killAfterMs === undefined && code !== 0) throw new Error(`producer failed (${code}):\n${output}`);
  return { ...(addedMs === undefined ? {} : { addedMs }), killed: killed && addedMs === undefined, output };
}

/**
 * A producer process SIGKILLed at a random moment of one addBulk call: the queue then holds all of
 * that bulk or none of it. The kill moments spread over the call's measured duration.
 */
export async function bulkKills(engine: ChaosEngine): Promise<Figures> {
  const started = Date.now();
  const { url, backend } = engine.store("bulk");
  const size = SIZES.bulkSize;
  const stored = async (name: string) => {
    const q = new Queue(name, { backend });
    const c = await q.getJobCounts();
    await q.close();
    return Object.values(c).reduce((a, b) => a + b, 0);
  };
  try {
    const calibration = await produce(url, "bulk-calibrate", size);
    expect(await stored("bulk-calibrate")).toBe(size);
    const took = calibration.addedMs ?? 100;
    const outcomes: Array<{ killAfterMs: number; stored: number; killedMidCall: boolean }> = [];
    for (let i = 0; i < SIZES.bulkTrials; i++) {
      // The first at once, the others at random over twice the calibrated call (a killed run may
      // start slower than the calibration did).
      const killAfterMs = i === 0 ? 0 : Math.round(Math.random() * took * 2);
      const r = await produce(url, `bulk-${i}`, size, killAfterMs);
      outcomes.push({ killAfterMs, stored: await stored(`bulk-${i}`), killedMidCall: r.killed });
    }
    const partial = outcomes.filter((o) => o.stored !== 0 && o.stored !== size);
    const figures: Figures = {
      backend: engine.name,
      scenario: "SIGKILL during addBulk",
      jobs: size * SIZES.bulkTrials,
      faults: outcomes.filter((o) => o.killedMidCall).length,
      lost: partial.reduce((a, o) => a + (size - o.stored), 0),
      deadLettered: 0,
      duplicateRuns: 0,
      duplicateCompletions: 0,
      recoveryP50Ms: 0,
      recoveryMaxMs: 0,
      recovery: "n/a",
      longestStallMs: 0,
      wallMs: Date.now() - started,
      bulkMs: took,
      none: outcomes.filter((o) => o.stored === 0).length,
      all: outcomes.filter((o) => o.stored === size).length,
      partial: partial.length,
    };
    report(figures);
    expect(partial, `${engine.name}: a killed addBulk left part of its bulk`).toEqual([]);
    return figures;
  } finally {
    await backend.close();
  }
}
