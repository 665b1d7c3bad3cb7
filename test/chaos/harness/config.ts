/**
 * The chaos suite's sizes: a short form for every `npm test` (CI), a long form for `npm run chaos`
 * (ASYNCMQ_CHAOS_LONG=1). Only the counts and durations differ; the assertions are the same.
 */
export const LONG = process.env.ASYNCMQ_CHAOS_LONG === "1";

export interface ChaosSizes {
  /** Jobs in the SIGKILL storm, per backend. */
  stormJobs: number;
  /** Worker processes kept running during the storm (one is killed every 1-2 s, then replaced). */
  stormWorkers: number;
  /** Jobs in the engine-restart and connection-kill runs. */
  faultJobs: number;
  /** Outages of the engine, in ms, one restart each. */
  outagesMs: number[];
  /** Connection kills per run. */
  connectionKills: number;
  /** SIGKILLed addBulk calls per backend, and the jobs in each. */
  bulkTrials: number;
  bulkSize: number;
}

export const SIZES: ChaosSizes = LONG
  ? {
      stormJobs: 20_000,
      stormWorkers: 4,
      faultJobs: 8000,
      outagesMs: [5000, 40_000],
      connectionKills: 10,
      bulkTrials: 12,
      bulkSize: 5000,
    }
  : {
      stormJobs: 3000,
      stormWorkers: 3,
      faultJobs: 2000,
      outagesMs: [2000],
      connectionKills: 3,
      bulkTrials: 4,
      bulkSize: 5000,
    };

/** Per worker process. */
export const CONCURRENCY = 5;

/** Handler run time: 20-60 ms, so that every kill catches jobs in flight. */
export function jobMs(i: number): number {
  return 20 + ((i * 7919) % 41);
}

/**
 * The workers' lease: how long a dead worker's job waits before it is recovered. Shorter than the
 * 30 s default so the suite measures the recovery path, not a timer; ASYNCMQ_CHAOS_LEASE overrides.
 */
export const LEASE = process.env.ASYNCMQ_CHAOS_LEASE ?? "5s";

/** Minutes of steady load in the soak (long form only). */
export const SOAK_MINUTES = Number(process.env.ASYNCMQ_CHAOS_SOAK_MINUTES ?? 30);
