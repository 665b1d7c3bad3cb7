/**
 * The job transitions on Redis: each is ONE Lua script (`lua/<transition>.lua`), so it is atomic,
 * and every worker write is fenced by the lease token. Each returns what the script reported
 * (events, wake-ups) for the deliverer; the scripts publish them for other processes themselves.
 */
import { randomUUID } from "node:crypto";
import { type ClaimedJob, JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import type {
  ClaimOptions,
  DependencyResults,
  EnqueueCallOptions,
  EnqueueResult,
  Finish,
  FinishAndClaim,
  NewJob,
  StallSweep,
} from "../backend.js";
import type { Applied, EnqueueAndClaim, JobStore } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { finishWhileClaiming } from "../shared/finish-and-claim.js";
import {
  activeJobsBlockObliterate,
  checkGlobalConcurrency,
  claimPeers,
  FINISHED,
  keptOutcomes,
  pageOf,
  refuseCallerTransaction,
  STALL_ERROR_NAME,
  stallLimitText,
} from "../shared/rules.js";
import type { RedisConnection } from "./connection.js";
import { enqueueBatch } from "./enqueue.js";
import { forgetQueue, listQueues, noteQueue, requireOneSlot } from "./queue-registry.js";
import {
  type EffectsReply,
  effectsOf,
  type RawRecord,
  RECORD_FIELDS,
  toClaimed,
  toRecord,
} from "./records.js";
import type { ScriptArg } from "./scripts.js";

/** Jobs deleted per script by drain and obliterate, so Redis is never blocked long. */
const DELETE_CHUNK = 1000;

/** What fire-repeatable.lua returns when a parent is missing. */
export type InvalidReply = ["invalid", string];

export class RedisJobs implements JobStore {
  constructor(private readonly io: RedisConnection) {}

  // -- producer and worker ----------------------------------------------------------------------

  async enqueue(
    queue: string,
    jobs: NewJob[],
    options?: EnqueueCallOptions,
  ): Promise<Applied<EnqueueResult[]>> {
    refuseCallerTransaction("Redis", options);
    this.io.assertOpen();
    if (jobs.length === 0) return { value: [] };
    const { value, effects } = await enqueueBatch(this.io, queue, jobs);
    return { value: value.results, effects };
  }

  async enqueueAndClaim(
    queue: string,
    jobs: NewJob[],
    options: EnqueueCallOptions | undefined,
    claim: ClaimOptions,
  ): Promise<Applied<EnqueueAndClaim>> {
    refuseCallerTransaction("Redis", options);
    this.io.assertOpen();
    if (jobs.length === 0) return { value: { results: [], claimed: null } };
    return enqueueBatch(this.io, queue, jobs, claim.limit < 1 ? undefined : claim);
  }

  async claim(queue: string, options: ClaimOptions): Promise<Applied<ClaimedJob[]>> {
    this.io.assertOpen();
    if (options.limit < 1) return { value: [] };
    const { now, workerId, leaseMs, jobId } = options;
    const limit = jobId === undefined ? options.limit : 1;
    const args = [now, workerId, limit, leaseMs, randomUUID(), jobId ?? "", claimPeers(options)];
    const reply = await this.io.run<[EffectsReply, ...string[]]>(queue, "claim", args);
    const jobs = new Array<ClaimedJob>(reply.length - 1);
    for (let i = 1; i < reply.length; i++) jobs[i - 1] = toClaimed(queue, reply[i] as string);
    return { value: jobs, effects: effectsOf(reply[0]) };
  }

  async finish(queue: string, items: Finish[], now: number): Promise<Applied<boolean[]>> {
    this.io.assertOpen();
    if (items.length === 0) return { value: [] };
    const args: ScriptArg[] = [now];
    for (const item of items) {
      if (item.kind === "waiting-children") requireOneSlot(this.io, queue, item.childIds);
      const payload =
        item.kind === "completed"
          ? item.resultJson
          : "error" in item
            ? JSON.stringify(item.error)
            : item.kind === "delayed"
              ? (item.dataJson ?? "")
              : item.kind === "waiting-children"
                ? JSON.stringify([...new Set(item.childIds)])
                : "";
      args.push(item.kind, item.jobId, item.token, payload, "runAt" in item ? item.runAt : "");
    }
    const reply = await this.io.run<[EffectsReply, ...number[]]>(queue, "finish", args);
    const ok = new Array<boolean>(items.length);
    for (let i = 0; i < items.length; i++) ok[i] = reply[i + 1] === 1;
    return { value: ok, effects: effectsOf(reply[0]) };
  }

  /** The two scripts pipelined on the queue's connection: run in that order, answered in one round trip. */
  finishAndClaim(
    queue: string,
    items: Finish[],
    now: number,
    claim: ClaimOptions,
  ): Promise<Applied<FinishAndClaim>> {
    return finishWhileClaiming(this, queue, items, now, claim);
  }

  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    this.io.assertOpen();
    if (leases.length === 0) return [];
    const args: ScriptArg[] = [now, leaseMs];
    for (const lease of leases) args.push(lease.jobId, lease.token);
    return this.io.run<string[]>(queue, "extend-leases", args);
  }

  updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<Applied<boolean>> {
    return this.#flag(queue, "update-progress", [jobId, token, JSON.stringify(progress)]);
  }

  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    await this.io.run(queue, "add-log", [jobId, message]);
  }

  async getLogs(queue: string, jobId: string, range = { start: 0, end: -1 }): Promise<string[]> {
    const page = pageOf(range);
    if (page === null) return [];
    const end = page.limit === null ? -1 : page.offset + page.limit - 1;
    return this.io.call((r) => r.lrange(`${this.io.keyOf(queue)}logs:${jobId}`, page.offset, end));
  }

  // -- maintenance ------------------------------------------------------------------------------

  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<Applied<{ promoted: number; nextDueAt: number | null }>> {
    const args = [now, limit, now];
    const { value, effects } = await this.#apply<[number, string?]>(queue, "promote-delayed", args);
    const [promoted, nextDue] = value;
    return { value: { promoted, nextDueAt: nextDue === undefined ? null : Number(nextDue) }, effects };
  }

  async recoverStalled(queue: string, now: number, maxStalledCount: number): Promise<Applied<StallSweep>> {
    const args = [now, maxStalledCount, ...stallErrorTemplate(maxStalledCount)];
    const { value, effects } = await this.#apply<[string[], string[], string]>(
      queue,
      "recover-stalled",
      args,
    );
    const nextLeaseExpiry = value[2] === "" ? null : Number(value[2]);
    return { value: { stalled: value[0], failed: value[1], nextLeaseExpiry }, effects };
  }

  removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.io.run<number>(queue, "remove-expired-finished", [now, limit]);
  }

  expireDue(queue: string, now: number, limit: number): Promise<Applied<number>> {
    return this.#apply(queue, "expire-due", [now, limit]);
  }

  // -- admin ------------------------------------------------------------------------------------

  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const key = `${this.io.keyOf(queue)}job:${jobId}`;
    const v = await this.io.call((r) => r.hmget(key, ...RECORD_FIELDS));
    return v[0] === null ? null : toRecord(queue, v);
  }

  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const wanted = states.length === 0 || states.length === JOB_STATES.length ? [] : [...new Set(states)];
    const end = limit === null ? -1 : offset + limit - 1;
    const args = [offset, end, range.asc ? "1" : "0", ...wanted];
    const rows = await this.io.run<RawRecord[]>(queue, "get-jobs", args);
    return rows.filter((v) => v[0] !== null).map((v) => toRecord(queue, v));
  }

  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const q = this.io.keyOf(queue);
    // Active jobs have no creation index (lua/includes/moves.lua): their lease index counts them.
    const counts = await this.io.call((r) =>
      Promise.all(JOB_STATES.map((s) => r.zcard(s === "active" ? `${q}active` : `${q}s:${s}`))),
    );
    return Object.fromEntries(JOB_STATES.map((s, i) => [s, counts[i]])) as Record<JobState, number>;
  }

  cancelJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#flag(queue, "cancel", [now, jobId]);
  }

  retryJob(queue: string, jobId: string): Promise<Applied<boolean>> {
    return this.#flag(queue, "retry-job", [jobId]);
  }

  async retryJobs(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
  ): Promise<Applied<number>> {
    this.io.assertOpen();
    if (!FINISHED.has(state) || limit <= 0) return { value: 0 };
    return this.#apply(queue, "retry-jobs", [state, olderThan, limit]);
  }

  promoteJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#flag(queue, "promote-job", [now, jobId]);
  }

  async promoteJobs(queue: string, limit: number, now: number): Promise<Applied<number>> {
    const { value, effects } = await this.#apply<[number]>(queue, "promote-delayed", [now, limit, "+inf"]);
    return { value: value[0], effects };
  }

  async updateData(queue: string, jobId: string, dataJson: string): Promise<boolean> {
    return (await this.io.run<number>(queue, "update-data", [jobId, dataJson])) === 1;
  }

  async changePriority(queue: string, jobId: string, priority: number): Promise<boolean> {
    return (await this.io.run<number>(queue, "change-priority", [jobId, priority])) === 1;
  }

  changeDelay(queue: string, jobId: string, runAt: number): Promise<Applied<boolean>> {
    return this.#flag(queue, "change-delay", [jobId, runAt]);
  }

  getDependants(queue: string, jobId: string): Promise<string[]> {
    return this.io.run<string[]>(queue, "get-dependants", [jobId]);
  }

  /** One HGETALL of the job's "kept:<id>" hash: "r<result JSON>" or "f<failure>" per dependency. */
  async getDependencyResults(queue: string, jobId: string): Promise<DependencyResults> {
    const kept = await this.io.call((r) => r.hgetall(`${this.io.keyOf(queue)}kept:${jobId}`));
    return keptOutcomes(
      Object.entries(kept).map(([dep, value]) =>
        value.startsWith("r")
          ? { dep, result: value.slice(1), failure: null }
          : { dep, result: null, failure: value.slice(1) },
      ),
    );
  }

  removeJob(queue: string, jobId: string, now: number): Promise<Applied<boolean>> {
    return this.#flag(queue, "remove-job", [now, jobId]);
  }

  async drain(queue: string, includeDelayed: boolean, now: number): Promise<Applied<number>> {
    // Names the set of children this drain released, which its later chunks leave alone.
    const args = [now, includeDelayed ? 1 : 0, DELETE_CHUNK, randomUUID()];
    const effects = new EffectsCollector(true);
    let total = 0;
    for (;;) {
      const chunk = await this.#apply<number>(queue, "drain", args);
      effects.add(chunk.effects);
      total += chunk.value;
      if (chunk.value < DELETE_CHUNK) return { value: total, effects: effects.take() };
    }
  }

  async clean(
    queue: string,
    state: JobState,
    olderThan: number,
    limit: number,
    now: number,
  ): Promise<Applied<string[]>> {
    this.io.assertOpen();
    if (state === "active" || limit <= 0) return { value: [] };
    return this.#apply(queue, "clean", [now, state, olderThan, Math.min(limit, 1_000_000)]);
  }

  async obliterate(queue: string, force: boolean, now = Date.now()): Promise<Applied<void>> {
    type Reply = [EffectsReply, string, number?];
    const effects = new EffectsCollector(true);
    let reply = await this.io.run<Reply>(queue, "obliterate", [force ? 1 : 0, DELETE_CHUNK, now]);
    if (reply[1] === "active") throw activeJobsBlockObliterate(queue, reply[2]);
    effects.add(effectsOf(reply[0]));
    while (reply[1] === "more") {
      reply = await this.io.run<Reply>(queue, "obliterate", [1, DELETE_CHUNK, now]);
      effects.add(effectsOf(reply[0]));
    }
    await forgetQueue(this.io, queue);
    return { value: undefined, effects: effects.take() };
  }

  async setPaused(queue: string, paused: boolean): Promise<Applied<void>> {
    const applied = await this.#apply<void>(queue, "set-paused", [paused ? 1 : 0]);
    if (paused) await noteQueue(this.io, queue);
    return applied;
  }

  async isPaused(queue: string): Promise<boolean> {
    return (await this.io.call((r) => r.exists(`${this.io.keyOf(queue)}paused`))) === 1;
  }

  async setGlobalConcurrency(queue: string, limit: number | null): Promise<Applied<void>> {
    const checked = checkGlobalConcurrency(limit);
    return this.#apply(queue, "set-global-concurrency", [checked ?? ""]);
  }

  async getGlobalConcurrency(queue: string): Promise<number | null> {
    const value = await this.io.call((r) => r.get(`${this.io.keyOf(queue)}global-concurrency`));
    return value === null ? null : Number(value);
  }

  async removeDeduplicationKey(queue: string, key: string): Promise<boolean> {
    return (await this.io.run<number>(queue, "remove-deduplication-key", [key])) === 1;
  }

  /** One HGET: the key's value is the holder's id (deleting the holder deletes the key). */
  getDeduplicationJobId(queue: string, key: string): Promise<string | null> {
    return this.io.call((r) => r.hget(`${this.io.keyOf(queue)}dedup`, key));
  }

  listQueues(): Promise<string[]> {
    return listQueues(this.io);
  }

  /** Runs a script that replies `{ effects, value }`. */
  async #apply<T>(queue: string, script: string, args: ScriptArg[]): Promise<Applied<T>> {
    const [effects, value] = await this.io.run<[EffectsReply, T]>(queue, script, args);
    return { value, effects: effectsOf(effects) };
  }

  /** Runs a script that replies `{ effects, 1 }` when it did its job, else `{ effects, 0 }`. */
  async #flag(queue: string, script: string, args: ScriptArg[]): Promise<Applied<boolean>> {
    const { value, effects } = await this.#apply<number>(queue, script, args);
    return { value: value === 1, effects };
  }
}

/** Stand-ins for the parts of the stall error that recover-stalled.lua fills in per job (the wording has no braces). */
const STALL_MARK = /\{\{(id|count|charge)\}\}/;

/**
 * `stallLimitError` of rules.ts for `maxStalledCount`, as recover-stalled.lua fills it in per job:
 * its name, and its message as JSON, an array alternating literal text and part names.
 */
function stallErrorTemplate(maxStalledCount: number): [name: string, parts: string] {
  const mark = (part: string) => `{{${part}}}`;
  const text = stallLimitText(mark("id"), mark("count"), mark("charge"), maxStalledCount);
  return [STALL_ERROR_NAME, JSON.stringify(text.split(STALL_MARK))];
}
