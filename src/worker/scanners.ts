/**
 * The built-in maintenance loops a runtime runs beside its claim loop. Each takes the scanner
 * context (`queue`, `backend`, `signal`), runs until the signal aborts, and throws only a fatal
 * backend error (the runtime then stops): a failed round is retried on the next one, and an outage
 * is logged once when it starts and once when it ends.
 */
import { hostname } from "node:os";
import type { Backend, WorkerInfo } from "../backends/backend.js";
import { isFatal } from "../errors.js";
import { OutageLog } from "../logger.js";
import type { MetricsRecorder } from "./metrics-recorder.js";
import { onGrid } from "./timer.js";
import { sleep, WakeFlag } from "./wait.js";

export interface ScannerContext {
  queue: string;
  backend: Backend;
  signal: AbortSignal;
}

/** A long-running loop run beside the workers until `signal` aborts. */
export type Scanner = (ctx: ScannerContext) => Promise<void>;

const BATCH = 1000;

/**
 * Promotes delayed jobs when they are due. Sleeps until the earliest due job (or until a new
 * delayed job is added), so a delayed job starts within a few ms of its time; `safetyPoll` (default
 * `scanInterval`) only bounds the sleep, to notice jobs added by processes that cannot signal. After
 * a failed round it retries every `scanInterval`.
 */
export function delayedScanner(scanInterval: number, safetyPoll = scanInterval): Scanner {
  return async ({ queue, backend, signal }) => {
    const wake = new WakeFlag(backend, queue, (reason) => reason === "delayed");
    const outage = new OutageLog(`the delayed-job scanner of queue "${queue}"`, { queue });
    try {
      while (!signal.aborted) {
        wake.arm();
        let wait = scanInterval;
        try {
          const { promoted, nextDueAt } = await backend.promoteDelayed(queue, Date.now(), BATCH);
          outage.succeeded();
          if (promoted === BATCH) continue;
          wait =
            nextDueAt === null
              ? onGrid(safetyPoll)
              : Math.min(safetyPoll, Math.max(0, nextDueAt - Date.now()));
        } catch (err) {
          if (isFatal(err)) throw err; // the backend is unusable: the runtime stops (runners.ts)
          outage.failed(err, `every ${scanInterval} ms`);
        }
        await wake.wait(wait, signal);
      }
    } finally {
      wake.close();
    }
  };
}

/**
 * Hands back jobs whose lease expired (their worker died or hung), or fails them past
 * maxStalledCount; those failures are counted in the metrics by `recorder` (null: none).
 *
 * Sweeps every `interval` while leases lapse; otherwise it sleeps until the earliest lease of an
 * active job can lapse (the backend says when: `nextLeaseExpiry`), at most `idleMs`. With no job
 * active it sleeps `idleMs`: a job claimed meanwhile, with a lease of at least `idleMs`, is still
 * active at the next sweep, which then waits for its lease. A backend that does not say is swept
 * every `interval`.
 */
export function stallSweeper(
  interval: number,
  maxStalledCount: number,
  recorder: MetricsRecorder | null = null,
  idleMs = interval,
): Scanner {
  return async ({ queue, backend, signal }) => {
    const outage = new OutageLog(`the stall sweeper of queue "${queue}"`, { queue });
    while (!signal.aborted) {
      let wait = interval;
      try {
        const now = Date.now();
        const { stalled, failed, nextLeaseExpiry } = await backend.recoverStalled(
          queue,
          now,
          maxStalledCount,
        );
        recorder?.stallFailed(queue, failed.length, now);
        outage.succeeded();
        if (stalled.length === 0 && failed.length === 0 && nextLeaseExpiry !== undefined) {
          // The sweep takes leases that lapsed strictly before its `now`: one ms past the expiry.
          wait =
            nextLeaseExpiry === null
              ? Math.max(interval, onGrid(idleMs))
              : Math.max(interval, Math.min(nextLeaseExpiry + 1 - Date.now(), idleMs));
        }
      } catch (err) {
        if (isFatal(err)) throw err; // the backend is unusable: the runtime stops (runners.ts)
        outage.failed(err, `every ${interval} ms`);
      }
      await sleep(wait, signal);
    }
  };
}

/**
 * Enforces retention ages and ttl expiry of unstarted jobs, so neither waits for another job to
 * finish. A round that finds nothing doubles the wait, from `interval` up to `idleMs`; a new job
 * (its ttl) starts over from `interval`. Lateness is bounded by about the age or ttl itself, or
 * `idleMs`: a worker refuses to start a job whose ttl passed whatever this loop has done.
 */
export function housekeeper(interval: number, idleMs = interval): Scanner {
  return async ({ queue, backend, signal }) => {
    const outage = new OutageLog(`the housekeeper (retention, ttl) of queue "${queue}"`, { queue });
    const wake = new WakeFlag(backend, queue, (reason) => reason === "job");
    let idle = interval; // the wait after a round that finds nothing
    try {
      while (!signal.aborted) {
        wake.arm();
        const started = Date.now();
        let wait = interval;
        try {
          const removed = await drain((limit) => backend.removeExpiredFinished(queue, started, limit));
          const expired = await drain((limit) => backend.expireDue(queue, started, limit));
          outage.succeeded();
          if (removed + expired === 0) {
            wait = idle;
            idle = Math.min(idle * 2, Math.max(idleMs, interval));
          } else idle = interval;
        } catch (err) {
          if (isFatal(err)) throw err; // the backend is unusable: the runtime stops (runners.ts)
          outage.failed(err, `every ${interval} ms`);
        }
        // A new job (its ttl): back to every `interval`, but never more often.
        if (await wake.waitSpaced(onGrid(wait), started + interval, signal)) idle = interval;
      }
    } finally {
      wake.close();
    }
  };
}

/** Calls `sweep` with BATCH until it does less than a batch; returns how much it did in all. */
async function drain(sweep: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await sweep(BATCH);
    total += n;
    if (n < BATCH) return total;
  }
}

/** Records this worker in the backend's worker list (for `asyncmq worker list`) while it runs. */
export function workerHeartbeat(
  info: () => Omit<WorkerInfo, "heartbeatAt" | "host" | "pid">,
  interval: number,
): Scanner {
  return async (ctx) => {
    const registry = ctx.backend.workers;
    if (registry === undefined) return; // a backend without a worker registry lists no workers
    const beat = async () => {
      await registry.heartbeat(
        { ...info(), host: hostname(), pid: process.pid, heartbeatAt: Date.now() },
        interval * 3,
      );
    };
    try {
      await every(interval, "the worker heartbeat", beat)(ctx);
    } finally {
      await registry.remove(info().id).catch(() => {});
    }
  };
}

/** Runs `round` now and then every `interval` ms until the signal aborts. */
function every(interval: number, name: string, round: (ctx: ScannerContext) => Promise<void>): Scanner {
  return async (ctx) => {
    const outage = new OutageLog(`${name} of queue "${ctx.queue}"`, { queue: ctx.queue });
    while (!ctx.signal.aborted) {
      try {
        await round(ctx);
        outage.succeeded();
      } catch (err) {
        if (isFatal(err)) throw err; // the backend is unusable: the runtime stops (runners.ts)
        outage.failed(err, `every ${interval} ms`);
      }
      await sleep(onGrid(interval), ctx.signal);
    }
  };
}
