/**
 * The Redis backend: every transition is ONE Lua script (`./lua/<transition>.lua`, each with
 * `lua/lib.lua` in front), so it is atomic, and every worker write is fenced by the lease token.
 *
 * Data layout, with `Q = "<prefix>:<queue>:"` and `G = "<prefix>::"` (queue names and custom ids
 * never contain ":", so no key of one queue can collide with another's or with G's):
 * - `Q job:<id>`        hash: the job's fields (JSON text for data/result/error/progress/specs), its
 *                       state, creation sequence `seq`, waiting member `wm`, lease `token`, pending
 *                       parent count `pending`, compact retention codes `rc`/`rf`.
 * - `Q jobs`            ZSET id -> creation sequence: every job (getJobs over all states, obliterate).
 * - `Q s:<state>`       ZSET id -> creation sequence per state: counts (ZCARD) and getJobs paging.
 * - `Q waiting`         ZSET score priority, member "<15-digit sequence><id>": lowest priority first,
 *                       FIFO within a priority through the lexicographic order of equal scores (exact
 *                       for any safe-integer priority; the sequence never wraps in practice).
 * - `Q delayed`         ZSET id -> runAt.            `Q active`   ZSET id -> leaseExpiresAt.
 * - `Q done:<state>`    ZSET id -> finishedAt for completed/failed/expired/cancelled (count retention, clean).
 * - `Q retention`       ZSET id -> removal time.     `Q ttl`      ZSET id -> createdAt + ttl (unstarted jobs).
 * - `Q id`, `Q seq`     counters: generated ids, and the sequence for creation and FIFO order.
 * - `Q dedup`           hash dedup key -> job id.    `Q deps:<id>` list of dependants of a parent.
 * - `Q logs:<id>`       list of log lines.
 * - `Q repeat`          hash id -> definition JSON;  `Q repeat-meta` hash id -> "<nextRun>|<paused 0/1>";
 *                       `Q slots` hash repeat id -> last slot fired.
 * - `Q rate`            hash tokens, at (the queue-wide token bucket).   `Q paused` flag.
 * - `Q batch:<id>`      short-lived gate that ties the chunks of one large enqueue together.
 * - `Q drain:<token>`   short-lived set of the children one chunked drain released (kept from its later chunks).
 * - `G queues`          set of queue names (pruned by listQueues).
 * - `G workers`         hash worker id -> info JSON;  `G worker-expiry` ZSET id -> heartbeatAt + ttl.
 * Nothing on the hot path scans: every lookup is by key or by ZSET range.
 *
 * Notifications: scripts PUBLISH wake-ups (just the reason) on `Q wake` and, when anyone listens,
 * their events as one JSON array per transition on `Q events`. One subscriber connection per backend
 * (a `duplicate()`) subscribes to a queue's channels when its first listener arrives and feeds
 * `onWake` and `subscribe` listeners, this process's own transitions included, so subscribers get
 * every event once. `emitLocal` runs right after each script, from the events the script returned.
 *
 * Not for Redis Cluster: scripts derive job keys from the queue prefix instead of declaring them.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { AsyncMQError, BackendError, ValidationError } from "../../errors.js";
import { emitLocal, events } from "../../events.js";
import { type ClaimedJob, JOB_STATES, type JobRecord, type JobState } from "../../job.js";
import { log } from "../../logger.js";
import type {
  Backend,
  BackendCapabilities,
  ClaimOptions,
  EnqueueResult,
  Finish,
  NewJob,
  QueueEvent,
  RepeatableFire,
  RepeatableInfoRecord,
  WakeReason,
  WorkerInfo,
} from "../backend.js";
import { activeJobsBlockObliterate } from "../shared/obliterate-guard.js";
import { pageOf } from "../shared/paging.js";
import { QueueListeners } from "../shared/queue-listeners.js";
import { copyRepeatable } from "../shared/repeatable-copy.js";
import { safeCall } from "../shared/safe-call.js";
import { externalParents, jobArgs, type RawRecord, RECORD_FIELDS, toClaimed, toRecord } from "./records.js";
import { defineScripts, runScript, type ScriptArg, type ScriptName } from "./scripts.js";

/** Options of {@link RedisBackend}. */
export interface RedisBackendOptions {
  /** Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Prefix of every key and channel. Default `asyncmq`. */
  prefix?: string;
}

/** Jobs per script when a large enqueue is split (all chunks still run in one MULTI). */
const ENQUEUE_CHUNK = 2000;
/** Jobs deleted per script by drain and obliterate, so Redis is never blocked long. */
const DELETE_CHUNK = 1000;
/** How long close() waits for QUIT before dropping the connection (ms). */
const QUIT_WAIT_MS = 1000;
const NO_OP = (): void => {};

type Listener<T> = (value: T) => void;

/** A job queue backend on Redis, shared by any number of processes. */
export class RedisBackend implements Backend {
  /** Durable (as durable as the Redis server is configured to be) and multi-process. */
  readonly capabilities: BackendCapabilities = { durable: true, multiProcess: true };
  /** The server, for messages (password hidden). */
  readonly url: string;
  /** Prefix of every key and channel. */
  readonly prefix: string;

  readonly #redis: Redis;
  readonly #ownsConnection: boolean;
  readonly #global: string;
  #subscriber: Redis | undefined;
  #closed = false;
  /** Set while the connection is failing, so the outage is logged once. */
  #warned = false;

  readonly #wakeListeners = new QueueListeners<WakeReason>();
  readonly #eventListeners = new QueueListeners<QueueEvent>();
  /** Channel -> queue, for the channels the subscriber connection listens to. */
  readonly #channelQueue = new Map<string, string>();
  /** Per queue: a SUBSCRIBE in flight; writes to that queue wait for it so no wake-up or event is missed. */
  readonly #pending = new Map<string, Promise<void>>();

  /**
   * Connects to Redis (lazily: the first command waits for the connection).
   * @param options a URL and key prefix, or an ioredis connection to use (it stays the caller's:
   *   close() leaves it open, but closes the subscriber connection duplicated from it).
   */
  constructor(options: RedisBackendOptions | Redis = {}) {
    if (options instanceof Redis) {
      this.#redis = options;
      this.#ownsConnection = false;
      this.url = `redis://${options.options.host ?? "127.0.0.1"}:${options.options.port ?? 6379}`;
      this.prefix = "asyncmq";
    } else {
      const url = options.url ?? "redis://127.0.0.1:6379";
      this.url = url.replace(/\/\/[^@/]*@/, "//***@");
      this.prefix = options.prefix ?? "asyncmq";
      this.#redis = new Redis(url, {
        // Fail a command after a few reconnect attempts (well under a second when nothing
        // listens) instead of queueing it forever.
        maxRetriesPerRequest: 2,
        connectTimeout: 2000,
        retryStrategy: (times) => Math.min(times * 100, 2000),
      });
      this.#ownsConnection = true;
      this.#watchErrors(this.#redis);
    }
    if (this.prefix === "" || this.prefix.includes(":")) {
      throw new ValidationError(`Redis key prefix must be non-empty and without ":", got "${this.prefix}"`);
    }
    this.#global = `${this.prefix}::`;
    defineScripts(this.#redis);
  }

  // -- plumbing -------------------------------------------------------------------------------

  #keyOf(queue: string): string {
    return `${this.prefix}:${queue}:`;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(`the Redis backend for ${this.url} is closed; create a new RedisBackend`);
    }
  }

  /** Runs a script on `queue` (ARGV[1] queue name, ARGV[2] whether local listeners want events). */
  async #run<R>(queue: string, name: ScriptName, args: ScriptArg[]): Promise<R> {
    this.#assertOpen();
    const pending = this.#pending.get(queue);
    if (pending !== undefined) await pending;
    try {
      return await runScript<Promise<R>>(this.#redis, name, [
        this.#keyOf(queue),
        this.#global,
        queue,
        events.hasListeners() ? "1" : "0",
        ...args,
      ]);
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  /** Runs plain commands, wrapping failures. */
  async #read<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      return await fn(this.#redis);
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  #wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    if (this.#closed) {
      return new BackendError(`the Redis backend for ${this.url} was closed during the call`, { cause: err });
    }
    return new BackendError(
      `Redis at ${this.url} failed: ${(err as Error).message}. Is Redis running and reachable there? Fix the URL, start Redis, or pick another backend (ASYNCMQ_BACKEND / --backend)`,
      { cause: err },
    );
  }

  #watchErrors(connection: Redis): void {
    connection.on("error", (err: Error) => {
      if (this.#warned || this.#closed) return;
      this.#warned = true;
      log().warn(`Redis at ${this.url} is unreachable (${err.message}); retrying`);
    });
    connection.on("ready", () => {
      this.#warned = false;
    });
  }

  /** Emits, in this process, the events a script returned (a JSON array, '' when none). */
  #deliver(batch: string): void {
    if (batch === "") return;
    for (const event of JSON.parse(batch) as QueueEvent[]) emitLocal(event.name, event.payload);
  }

  // -- producer -------------------------------------------------------------------------------

  /** @inheritDoc */
  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    this.#assertOpen();
    if (jobs.length === 0) return [];
    const parents = JSON.stringify(externalParents(jobs));
    if (jobs.length <= ENQUEUE_CHUNK) {
      const args = ["only", "", parents, JSON.stringify(jobs.map(jobArgs))];
      return this.#enqueueReply(queue, await this.#run(queue, "enqueue", args));
    }
    // One MULTI of chunk scripts: nothing interleaves, and a first chunk that rejects the batch
    // leaves the gate unset, so every later chunk writes nothing either.
    this.#assertOpen();
    const pending = this.#pending.get(queue);
    if (pending !== undefined) await pending;
    const gate = randomUUID();
    const want = events.hasListeners() ? "1" : "0";
    const multi = this.#redis.multi();
    const chunks = Math.ceil(jobs.length / ENQUEUE_CHUNK);
    for (let c = 0; c < chunks; c++) {
      const role = c === 0 ? "first" : c === chunks - 1 ? "last" : "next";
      const chunk = jobs.slice(c * ENQUEUE_CHUNK, (c + 1) * ENQUEUE_CHUNK);
      runScript(multi, "enqueue", [
        this.#keyOf(queue),
        this.#global,
        queue,
        want,
        role,
        gate,
        c === 0 ? parents : "[]",
        JSON.stringify(chunk.map(jobArgs)),
      ]);
    }
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await multi.exec();
    } catch (err) {
      throw this.#wrap(err);
    }
    if (replies === null) throw new BackendError(`Redis at ${this.url} discarded the enqueue transaction`);
    const results: EnqueueResult[] = [];
    for (const [err, reply] of replies) {
      if (err) throw this.#wrap(err);
      results.push(...this.#enqueueReply(queue, reply as EnqueueReply));
    }
    return results;
  }

  #enqueueReply(queue: string, reply: EnqueueReply): EnqueueResult[] {
    if (reply[0] === "invalid") {
      throw new ValidationError(
        `dependsOn names job "${reply[1]}", which does not exist in queue "${queue}"; add the parent first (or in the same batch, before its dependant)`,
      );
    }
    if (reply[0] === "aborted") return [];
    this.#deliver(reply[1] as string);
    const results: EnqueueResult[] = [];
    for (let i = 2; i < reply.length; i += 3) {
      results.push({
        id: reply[i] as string,
        state: reply[i + 1] as JobState,
        duplicate: reply[i + 2] === 1,
      });
    }
    return results;
  }

  // -- worker ---------------------------------------------------------------------------------

  /** @inheritDoc */
  async claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    this.#assertOpen();
    if (options.limit < 1) return [];
    return this.#claim(queue, options, options.limit, "");
  }

  /** @inheritDoc */
  async claimJob(
    queue: string,
    jobId: string,
    options: Omit<ClaimOptions, "limit">,
  ): Promise<ClaimedJob | null> {
    return (await this.#claim(queue, options, 1, jobId))[0] ?? null;
  }

  async #claim(
    queue: string,
    options: Omit<ClaimOptions, "limit">,
    limit: number,
    jobId: string,
  ): Promise<ClaimedJob[]> {
    const reply = await this.#run<[string, ...RawRecord[]]>(queue, "claim", [
      options.now,
      options.workerId,
      limit,
      options.leaseMs,
      randomUUID(),
      jobId,
    ]);
    this.#deliver(reply[0]);
    const jobs = new Array<ClaimedJob>(reply.length - 1);
    for (let i = 1; i < reply.length; i++) jobs[i - 1] = toClaimed(queue, reply[i] as RawRecord);
    return jobs;
  }

  /** @inheritDoc */
  async finish(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    this.#assertOpen();
    if (items.length === 0) return [];
    const args: ScriptArg[] = [now];
    for (const item of items) {
      switch (item.kind) {
        case "completed":
          args.push(item.kind, item.jobId, item.token, item.resultJson, "");
          break;
        case "retry":
          args.push(item.kind, item.jobId, item.token, JSON.stringify(item.error), item.runAt);
          break;
        case "failed":
          args.push(item.kind, item.jobId, item.token, JSON.stringify(item.error), "");
          break;
        default:
          args.push(item.kind, item.jobId, item.token, "", "");
      }
    }
    const reply = await this.#run<[string, ...number[]]>(queue, "finish", args);
    this.#deliver(reply[0]);
    const ok = new Array<boolean>(items.length);
    for (let i = 0; i < items.length; i++) ok[i] = reply[i + 1] === 1;
    return ok;
  }

  /** @inheritDoc */
  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    this.#assertOpen();
    if (leases.length === 0) return [];
    const args: ScriptArg[] = [now, leaseMs];
    for (const lease of leases) args.push(lease.jobId, lease.token);
    return this.#run<string[]>(queue, "extend-leases", args);
  }

  /** @inheritDoc */
  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<boolean> {
    const reply = await this.#run<[string, number]>(queue, "update-progress", [
      jobId,
      token,
      JSON.stringify(progress),
    ]);
    this.#deliver(reply[0]);
    return reply[1] === 1;
  }

  /** @inheritDoc */
  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    await this.#run(queue, "add-log", [jobId, message]);
  }

  /** @inheritDoc */
  async getLogs(queue: string, jobId: string): Promise<string[]> {
    return this.#read((r) => r.lrange(`${this.#keyOf(queue)}logs:${jobId}`, 0, -1));
  }

  // -- maintenance ----------------------------------------------------------------------------

  /** @inheritDoc */
  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }> {
    const reply = await this.#run<[string, number, string | null]>(queue, "promote-delayed", [now, limit]);
    this.#deliver(reply[0]);
    return { promoted: reply[1], nextDueAt: reply[2] == null ? null : Number(reply[2]) };
  }

  /** @inheritDoc */
  async recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<{ stalled: string[]; failed: string[] }> {
    const reply = await this.#run<[string, string[], string[]]>(queue, "recover-stalled", [
      now,
      maxStalledCount,
    ]);
    this.#deliver(reply[0]);
    return { stalled: reply[1], failed: reply[2] };
  }

  /** @inheritDoc */
  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.#run<number>(queue, "remove-expired-finished", [now, limit]);
  }

  /** @inheritDoc */
  async nextRetentionAt(queue: string): Promise<number | null> {
    const first = await this.#read((r) => r.zrange(`${this.#keyOf(queue)}retention`, 0, 0, "WITHSCORES"));
    return first[1] === undefined ? null : Number(first[1]);
  }

  /** @inheritDoc */
  async expireDue(queue: string, now: number, limit: number): Promise<number> {
    const reply = await this.#run<[string, number]>(queue, "expire-due", [now, limit]);
    this.#deliver(reply[0]);
    return reply[1];
  }

  // -- repeatables ----------------------------------------------------------------------------

  /** @inheritDoc */
  async upsertRepeatable(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord> {
    await this.#run(queue, "upsert-repeatable", [
      info.id,
      JSON.stringify(info.def),
      info.nextRun,
      info.paused ? 1 : 0,
    ]);
    return copyRepeatable(info);
  }

  /** @inheritDoc */
  async listRepeatables(queue: string): Promise<RepeatableInfoRecord[]> {
    const q = this.#keyOf(queue);
    const [defs, metas] = await this.#read((r) =>
      Promise.all([r.hgetall(`${q}repeat`), r.hgetall(`${q}repeat-meta`)]),
    );
    return Object.keys(defs)
      .sort()
      .map((id) => {
        const [nextRun, paused] = (metas[id] ?? "0|0").split("|");
        return { id, def: JSON.parse(defs[id] as string), nextRun: Number(nextRun), paused: paused === "1" };
      });
  }

  /** @inheritDoc */
  async removeRepeatable(queue: string, id: string): Promise<boolean> {
    return (await this.#run<number>(queue, "remove-repeatable", [id])) === 1;
  }

  /** @inheritDoc */
  async setRepeatablePaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean> {
    const reply = await this.#run<number>(queue, "set-repeatable-paused", [
      id,
      paused ? 1 : 0,
      nextRun ?? "",
    ]);
    return reply === 1;
  }

  /** @inheritDoc */
  async fireRepeatable(queue: string, fire: RepeatableFire): Promise<string | null> {
    const args = [
      fire.repeatId,
      fire.slot,
      fire.nextRun,
      JSON.stringify(externalParents([fire.job])),
      JSON.stringify(jobArgs(fire.job)),
    ];
    const reply = await this.#run<[string, string?]>(queue, "fire-repeatable", args);
    if (reply[0] === "invalid") this.#enqueueReply(queue, reply as EnqueueReply);
    this.#deliver(reply[0]);
    return reply[1] ?? null;
  }

  /** @inheritDoc */
  async lastRepeatableSlot(queue: string, repeatId: string): Promise<number | null> {
    const slot = await this.#read((r) => r.hget(`${this.#keyOf(queue)}slots`, repeatId));
    return slot === null ? null : Number(slot);
  }

  // -- rate limit -----------------------------------------------------------------------------

  /** @inheritDoc */
  async takeRateToken(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    this.#assertOpen();
    if (rate <= 0) return intervalMs;
    return this.#run<number>(queue, "take-rate-token", [now, rate, intervalMs]);
  }

  // -- admin ----------------------------------------------------------------------------------

  /** @inheritDoc */
  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const v = await this.#read((r) => r.hmget(`${this.#keyOf(queue)}job:${jobId}`, ...RECORD_FIELDS));
    return v[0] === null ? null : toRecord(queue, v);
  }

  /** @inheritDoc */
  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const wanted = states.length === 0 || states.length === JOB_STATES.length ? [] : [...new Set(states)];
    const rows = await this.#run<RawRecord[]>(queue, "get-jobs", [
      offset,
      limit === null ? -1 : offset + limit - 1,
      range.asc ? "1" : "0",
      ...wanted,
    ]);
    return rows.filter((v) => v[0] !== null).map((v) => toRecord(queue, v));
  }

  /** @inheritDoc */
  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const q = this.#keyOf(queue);
    const counts = await this.#read((r) => Promise.all(JOB_STATES.map((s) => r.zcard(`${q}s:${s}`))));
    return Object.fromEntries(JOB_STATES.map((s, i) => [s, counts[i]])) as Record<JobState, number>;
  }

  /** @inheritDoc */
  async cancelJob(queue: string, jobId: string, now: number): Promise<boolean> {
    const reply = await this.#run<[string, number]>(queue, "cancel", [now, jobId]);
    this.#deliver(reply[0]);
    return reply[1] === 1;
  }

  /** @inheritDoc */
  async retryJob(queue: string, jobId: string, _now: number): Promise<boolean> {
    const reply = await this.#run<[string, number]>(queue, "retry-job", [jobId]);
    this.#deliver(reply[0]);
    return reply[1] === 1;
  }

  /** @inheritDoc */
  async removeJob(queue: string, jobId: string): Promise<boolean> {
    const reply = await this.#run<[string, number]>(queue, "remove-job", [Date.now(), jobId]);
    this.#deliver(reply[0]);
    return reply[1] === 1;
  }

  /** @inheritDoc */
  async drain(queue: string, includeDelayed: boolean): Promise<number> {
    // Names the set of children this drain released, which its later chunks leave alone.
    const token = randomUUID();
    let total = 0;
    for (;;) {
      const [batch, n] = await this.#run<[string, number]>(queue, "drain", [
        Date.now(),
        includeDelayed ? 1 : 0,
        DELETE_CHUNK,
        token,
      ]);
      this.#deliver(batch);
      total += n;
      if (n < DELETE_CHUNK) return total;
    }
  }

  /** @inheritDoc */
  async clean(queue: string, state: JobState, olderThan: number, limit: number): Promise<string[]> {
    this.#assertOpen();
    if (state === "active" || limit <= 0) return [];
    const [batch, ids] = await this.#run<[string, string[]]>(queue, "clean", [
      Date.now(),
      state,
      olderThan,
      Math.min(limit, 1_000_000),
    ]);
    this.#deliver(batch);
    return ids;
  }

  /** @inheritDoc */
  async obliterate(queue: string, force: boolean): Promise<void> {
    let reply = await this.#run<[string, number?]>(queue, "obliterate", [force ? 1 : 0, DELETE_CHUNK]);
    if (reply[0] === "active") {
      throw activeJobsBlockObliterate(queue, reply[1]);
    }
    while (reply[0] === "more") reply = await this.#run(queue, "obliterate", [1, DELETE_CHUNK]);
  }

  /** @inheritDoc */
  async setPaused(queue: string, paused: boolean): Promise<void> {
    this.#deliver(await this.#run<string>(queue, "set-paused", [paused ? 1 : 0]));
  }

  /** @inheritDoc */
  async isPaused(queue: string): Promise<boolean> {
    return (await this.#read((r) => r.exists(`${this.#keyOf(queue)}paused`))) === 1;
  }

  /** @inheritDoc */
  async listQueues(): Promise<string[]> {
    const names = await this.#global_<string[]>("list-queues", [`${this.prefix}:`, ""]);
    return names.sort();
  }

  // -- workers --------------------------------------------------------------------------------

  /** @inheritDoc */
  async heartbeatWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    // Registrations of workers that died long ago go; recent ones stay visible to listWorkers(now).
    await this.#global_("heartbeat-worker", [
      "",
      "",
      info.id,
      JSON.stringify(info),
      info.heartbeatAt + ttlMs,
      info.heartbeatAt - Math.max(ttlMs, 60_000),
    ]);
  }

  /** @inheritDoc */
  async removeWorker(id: string): Promise<void> {
    await this.#read((r) =>
      r.multi().hdel(`${this.#global}workers`, id).zrem(`${this.#global}worker-expiry`, id).exec(),
    );
  }

  /** @inheritDoc */
  async listWorkers(now: number): Promise<WorkerInfo[]> {
    const infos = await this.#global_<Array<string | null>>("list-workers", ["", "", now]);
    return infos.filter((info): info is string => info !== null).map((info) => JSON.parse(info));
  }

  /** Runs a script that uses only the global keys (ARGV as given). */
  async #global_<R>(name: ScriptName, args: ScriptArg[]): Promise<R> {
    return this.#read((r) => runScript<Promise<R>>(r, name, [`${this.prefix}:`, this.#global, ...args]));
  }

  // -- notifications --------------------------------------------------------------------------

  /** @inheritDoc */
  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    return this.#addListener(this.#wakeListeners, queue, "wake", listener);
  }

  /** @inheritDoc */
  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    return this.#addListener(this.#eventListeners, queue, "events", listener);
  }

  #addListener<T>(
    map: QueueListeners<T>,
    queue: string,
    kind: "wake" | "events",
    listener: Listener<T>,
  ): () => void {
    if (this.#closed) return NO_OP;
    const channel = `${this.#keyOf(queue)}${kind}`;
    if (!map.has(queue)) this.#listen(queue, channel);
    return map.add(queue, listener, () => {
      this.#channelQueue.delete(channel);
      if (!this.#closed) this.#subscriber?.unsubscribe(channel).catch(NO_OP);
    });
  }

  /** Subscribes to `channel`; writes to `queue` wait until Redis confirmed it. */
  #listen(queue: string, channel: string): void {
    this.#channelQueue.set(channel, queue);
    const subscriber = this.#subscriberConnection();
    const subscribed = subscriber.subscribe(channel).then(NO_OP, (err: Error) => {
      if (!this.#closed) log().warn(`could not subscribe to ${channel} on ${this.url}: ${err.message}`);
    });
    const before = this.#pending.get(queue);
    const all = before === undefined ? subscribed : Promise.all([before, subscribed]).then(NO_OP);
    this.#pending.set(queue, all);
    void all.then(() => {
      if (this.#pending.get(queue) === all) this.#pending.delete(queue);
    });
  }

  #subscriberConnection(): Redis {
    if (this.#subscriber !== undefined) return this.#subscriber;
    const subscriber = this.#redis.duplicate({ maxRetriesPerRequest: 2, connectTimeout: 2000 });
    this.#watchErrors(subscriber);
    subscriber.on("message", (channel: string, message: string) => this.#dispatch(channel, message));
    this.#subscriber = subscriber;
    return subscriber;
  }

  #dispatch(channel: string, message: string): void {
    const queue = this.#channelQueue.get(channel);
    if (queue === undefined) return;
    if (channel.endsWith(":wake")) {
      const listeners = this.#wakeListeners.get(queue);
      if (listeners) for (const listener of listeners) safeCall(listener, message as WakeReason);
      return;
    }
    const listeners = this.#eventListeners.get(queue);
    if (!listeners) return;
    let batch: QueueEvent[];
    try {
      batch = JSON.parse(message) as QueueEvent[];
    } catch {
      return;
    }
    for (const event of batch) for (const listener of listeners) safeCall(listener, event);
  }

  /** @inheritDoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeListeners.clear();
    this.#eventListeners.clear();
    this.#channelQueue.clear();
    this.#pending.clear();
    this.#subscriber?.disconnect();
    this.#subscriber = undefined;
    if (!this.#ownsConnection) return;
    const redis = this.#redis;
    if (redis.status === "ready") {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        redis.quit().catch(NO_OP),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, QUIT_WAIT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    redis.disconnect();
  }
}

/** What enqueue.lua returns. */
type EnqueueReply = Array<string | number>;
