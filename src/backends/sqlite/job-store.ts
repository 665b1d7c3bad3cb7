/**
 * The job store of the SQLite engine: each changing method is one write transaction (connection.ts)
 * over the transitions of tx.ts, and returns what it did; reads are single statements. Methods are
 * async so that a failure (a closed backend, a busy file) is a rejection, never a throw.
 */
import { type ClaimedJob, JOB_STATES, type JobState } from "../../job.js";
import type { ClaimOptions } from "../backend.js";
import type { JobStore } from "../engine.js";
import {
  activeJobsBlockObliterate,
  checkGlobalConcurrency,
  claimRoom,
  dependencyEntry,
  dependencyRef,
  externalParents,
  FINISHED,
  keptOutcomes,
  limitOrNull,
  pageOf,
  requireParents,
  zeroCounts,
} from "../shared/rules.js";
import { toRecord } from "../shared/sql-rows.js";
import { callerDatabase } from "./caller-tx.js";
import type { SqliteConnection } from "./connection.js";
import { queueFlags } from "./rows.js";
import type { Tx } from "./tx.js";

/** The job store over `conn`. */
export function sqliteJobStore(conn: SqliteConnection): JobStore {
  const { s } = conn;
  const isPaused = (queue: string) => (s.isPaused.get(queue) as { paused: number } | undefined)?.paused === 1;
  /** How many jobs a claim for `limit` may take: none while paused, else the room under the global concurrency. */
  const claimable = (queue: string, limit: number): number => {
    const gate = queueFlags(s, queue);
    if (gate === undefined) return limit;
    if (gate.paused === 1) return 0;
    const cap = gate.global_concurrency;
    // Inside the write transaction: no other claimer commits between this count and the claim.
    return cap === null ? limit : claimRoom(limit, cap, (s.activeCount.get(queue) as { n: number }).n);
  };
  const claimIn = (tx: Tx, queue: string, options: ClaimOptions): ClaimedJob[] => {
    const limit = claimable(queue, options.limit);
    return limit < 1 ? [] : tx.claim(options, limit);
  };
  return {
    // -- producer and worker --------------------------------------------------------------------

    enqueue: async (queue, jobs, options) => {
      const caller = options?.client === undefined ? undefined : callerDatabase(conn.path, options.client);
      if (jobs.length === 0) return { value: [] };
      // Inside the caller's transaction its uncommitted jobs count: parents are looked up there.
      const on = caller?.s ?? s;
      const insertAll = (tx: Tx) => {
        requireParents(queue, externalParents(jobs), (entry) => {
          const ref = dependencyRef(queue, entry);
          return on.jobGet.get(ref.queue, ref.id) !== undefined;
        });
        return tx.insertMany(jobs);
      };
      return caller === undefined
        ? conn.write(queue, insertAll)
        : { value: conn.writeOn(caller, queue, insertAll) };
    },

    claim: async (queue, options) => {
      if (options.limit < 1) return { value: [] };
      return conn.write(queue, (tx) => claimIn(tx, queue, options));
    },

    finish: async (queue, items, now) => {
      if (items.length === 0) return { value: [] };
      return conn.write(queue, (tx) => items.map((item) => tx.finish(item, now)));
    },

    // One transaction: the claim counts the slots the finish freed.
    finishAndClaim: async (queue, items, now, claim) =>
      conn.write(queue, (tx) => ({
        held: items.map((item) => tx.finish(item, now)),
        claimed: claimIn(tx, queue, claim),
      })),

    extendLeases: async (queue, leases, leaseMs, now) => {
      if (leases.length === 0) return [];
      return conn.transaction(() => {
        const lost: string[] = [];
        for (const { jobId, token } of leases) {
          if (s.extendLease.run(now + leaseMs, queue, jobId, token).changes === 0) lost.push(jobId);
        }
        return lost;
      });
    },

    updateProgress: async (queue, jobId, token, progress) =>
      conn.write(queue, (tx) => {
        const json = JSON.stringify(progress);
        const r = s.progress.get(json, queue, jobId, token) as { task: string } | undefined;
        if (!r) return false;
        // The event carries a copy: the caller may mutate its object afterwards.
        if (tx.wantEvents)
          tx.emit("job:progress", { queue, jobId, task: r.task, progress: JSON.parse(json) });
        return true;
      }),

    addLog: async (queue, jobId, message) => {
      conn.read(() => s.addLog.run(queue, jobId, message, queue, jobId));
    },

    getLogs: async (queue, jobId, range) =>
      conn.read(() => {
        const page = range === undefined ? { offset: 0, limit: null } : pageOf(range);
        if (page === null) return [];
        return s.getLogs.pluck().all(queue, jobId, page.limit ?? -1, page.offset) as string[];
      }),

    // -- maintenance ----------------------------------------------------------------------------

    promoteDelayed: async (queue, now, limit) => conn.write(queue, (tx) => tx.promote(now, now, limit)),

    recoverStalled: async (queue, now, maxStalledCount) =>
      conn.write(queue, (tx) => tx.recoverStalled(now, maxStalledCount)),

    removeExpiredFinished: async (queue, now, limit) =>
      conn.write(queue, (tx) => tx.removeExpiredFinished(now, limit)).value,

    expireDue: async (queue, now, limit) => conn.write(queue, (tx) => tx.expireDue(now, limit)),

    // -- admin ----------------------------------------------------------------------------------

    getJob: async (queue, jobId) =>
      conn.read(() => {
        const row = s.jobGet.get(queue, jobId);
        return row ? toRecord(row) : null;
      }),

    getJobs: async (queue, states, range) => {
      const page = pageOf(range);
      if (page === null) return [];
      const { offset, limit } = page;
      const wanted = states.length === 0 ? JOB_STATES : JOB_STATES.filter((state) => states.includes(state));
      const head = limit === null ? -1 : offset + limit;
      const list = range.asc ? s.jobsAsc : s.jobsDesc;
      const indexed = JSON.stringify(wanted.filter((state) => state !== "active"));
      if (!wanted.includes("active")) {
        return conn.read(() =>
          list.all({ queue, states: indexed, head, limit: limit ?? -1, offset }).map(toRecord),
        );
      }
      // Active jobs are not in jobs_by_state (get-jobs.sql): the few there are join the other
      // states' first `head` rows, and the page is cut from the merge.
      return conn.read(() => {
        const rows = [
          ...list.all({ queue, states: indexed, head, limit: head, offset: 0 }),
          ...s.activeJobs.all(queue),
        ];
        rows.sort(range.asc ? (a, b) => a.seq - b.seq : (a, b) => b.seq - a.seq);
        return rows.slice(offset, limit === null ? undefined : offset + limit).map(toRecord);
      });
    },

    getJobCounts: async (queue) =>
      conn.read(() => {
        const counts = zeroCounts();
        const rows = [...s.countUnfinished.all({ queue }), ...s.countFinished.all(queue)];
        for (const row of rows as Array<{ state: JobState; n: number }>) counts[row.state] = row.n;
        return counts;
      }),

    cancelJob: async (queue, jobId, now) => conn.write(queue, (tx) => tx.cancel(jobId, now)),

    retryJob: async (queue, jobId) => conn.write(queue, (tx) => tx.retryOne(jobId)),

    retryJobs: async (queue, state, olderThan, limit) => {
      if (!FINISHED.has(state) || limit <= 0) return { value: 0 };
      return conn.write(queue, (tx) => tx.retryBatch(state, olderThan, limit));
    },

    promoteJob: async (queue, jobId, now) =>
      conn.write(queue, (tx) => {
        const row = s.promoteJob.get(now, tx.nextFifo(), queue, jobId) as { task: string } | undefined;
        if (!row) return false;
        tx.emit("job:waiting", { queue, jobId, task: row.task });
        tx.wake("job");
        return true;
      }),

    promoteJobs: async (queue, limit, now) =>
      conn.write(queue, (tx) => tx.promote(Number.MAX_SAFE_INTEGER, now, limit).promoted),

    updateData: async (queue, jobId, dataJson) =>
      conn.read(() => s.updateData.run(dataJson, queue, jobId).changes > 0),

    changePriority: async (queue, jobId, priority) =>
      conn.write(queue, (tx) => s.changePriority.run(priority, tx.nextFifo(), queue, jobId).changes > 0)
        .value,

    changeDelay: async (queue, jobId, runAt) => conn.write(queue, (tx) => tx.redelay(jobId, runAt)),

    getDependants: async (queue, jobId) =>
      conn.read(() => s.dependantsOf.all(queue, jobId).map((r) => dependencyEntry(queue, r.queue, r.id))),

    getDependencyResults: async (queue, jobId) =>
      conn.read(() => {
        const rows = s.keptOutcomes.all(queue, jobId) as Array<{
          dep: string;
          result: string | null;
          failure: string | null;
        }>;
        return keptOutcomes(rows);
      }),

    removeJob: async (queue, jobId, now) =>
      conn.write(queue, (tx) => {
        const row = s.jobGet.get(queue, jobId);
        if (row) tx.remove([row], now);
        return row !== undefined;
      }),

    drain: async (queue, includeDelayed, now) =>
      conn.write(queue, (tx) => {
        const rows = s.drainable.all(queue, includeDelayed ? "delayed" : "waiting");
        tx.remove(rows, now);
        return rows.length;
      }),

    clean: async (queue, state, olderThan, limit, now) => {
      if (state === "active") return { value: [] };
      return conn.write(queue, (tx) => {
        const stmt = FINISHED.has(state) ? s.cleanFinished : s.cleanUnfinished;
        const rows = stmt.all(queue, state, olderThan, limitOrNull(limit) ?? -1);
        tx.remove(rows, now);
        return rows.map((r) => r.id);
      });
    },

    obliterate: async (queue, force, now = Date.now()) =>
      conn.write(queue, (tx) => {
        const active = (s.activeCount.get(queue) as { n: number }).n;
        if (!force && active > 0) throw activeJobsBlockObliterate(queue, active);
        const crossParents = (s.crossParents.all(queue, queue) as Array<{ id: string }>).map((r) => r.id);
        for (const wipe of [
          s.wipeLogs,
          s.wipeDepsAsChild,
          s.wipeOutcomes,
          s.wipeDedup,
          s.wipeJobs,
          s.wipeCounts,
          s.wipeRepeatables,
          s.wipeSlots,
          s.wipeBucket,
          s.wipeMetrics,
        ]) {
          wipe.run(queue);
        }
        // Its own jobs are gone: only the jobs of other queues waiting on them are left to settle.
        tx.settleRemoved(crossParents, now);
        s.wipeDeps.run(queue);
        s.resetFlags.run(queue);
      }),

    setPaused: async (queue, paused) =>
      conn.write(queue, (tx) => {
        s.queueEnsure.run(queue);
        s.setPaused.run(paused ? 1 : 0, queue);
        tx.emit(paused ? "queue:paused" : "queue:resumed", { queue });
        if (!paused) tx.wake("resume");
      }),

    isPaused: async (queue) => conn.read(() => isPaused(queue)),

    setGlobalConcurrency: async (queue, limit) => {
      const checked = checkGlobalConcurrency(limit);
      return conn.write(queue, (tx) => {
        s.queueEnsure.run(queue);
        s.setGlobalConcurrency.run(checked, queue);
        tx.wake("resume");
      });
    },

    getGlobalConcurrency: async (queue) => conn.read(() => queueFlags(s, queue)?.global_concurrency ?? null),

    removeDeduplicationKey: async (queue, key) => conn.read(() => s.dedupRemove.run(queue, key).changes > 0),

    getDeduplicationJobId: async (queue, key) =>
      conn.read(() => (s.dedupJobId.pluck().get(queue, key) as string | undefined) ?? null),

    listQueues: async () => conn.read(() => s.listQueues.pluck().all() as string[]),
  };
}
