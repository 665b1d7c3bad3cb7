/**
 * The PostgreSQL backend: durable, shared by any number of processes.
 *
 * - The hot paths are ONE statement each: claim (`FOR UPDATE SKIP LOCKED` over a partial index),
 *   finish of a whole batch (unnest arrays), plain bulk enqueue, promote, extend, progress. The
 *   rarer transitions that fan out (dependants, retention, ttl expiry, recovery, admin) run as one
 *   transaction of several statements (`tx.ts`). SQL lives in `./sql/*.sql`, one file per transition.
 * - Every transition calls `publish()` inside its transaction: one `pg_notify` on the schema's
 *   channel carrying wake-up reasons and, while another backend subscribes to the queue, the events
 *   (inline, or by id through the `events` table when large). One LISTEN connection per backend,
 *   opened when the first onWake/subscribe listener arrives, delivers them; this backend's own
 *   notifications are skipped because it delivers its events and wake-ups locally after commit.
 * - Times come from the caller (`now`), never from the database clock.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
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
import { rateWaitMs } from "../shared/rate-bucket.js";
import { copyRepeatable } from "../shared/repeatable-copy.js";
import { safeCall } from "../shared/safe-call.js";
import { jsonOrNull, toRecord } from "../shared/sql-job-row.js";
import { run } from "./conn.js";
import { Listener } from "./listener.js";
import { migrate } from "./migrate.js";
import { type JobRow, toClaimed } from "./rows.js";
import { channelOf, loadStatements, type Statements } from "./statements.js";
import { Tx } from "./tx.js";

/** Options of {@link PostgresBackend}. */
export interface PostgresBackendOptions {
  /** Connection URL. Default `postgres://postgres@127.0.0.1:5432/postgres`. */
  url?: string;
  /** A pool to use instead of `url`; it stays the caller's (close leaves it open). */
  pool?: pg.Pool;
  /** Schema holding asyncmq's tables (created when absent). Lowercase letters, digits, `_`. Default `asyncmq`. */
  schema?: string;
  /** Pool size when the backend makes its own pool. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection before failing with BackendError (ms). Default 3000. */
  connectTimeout?: number;
}

const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;
/** Plain jobs per bulk-insert statement: large enough to amortise the round trip, small enough for memory. */
const ENQUEUE_CHUNK = 5000;
/** How long a subscriber registration lives without renewal (s), and how often it is renewed (ms). */
const SUBSCRIBER_TTL_S = 30;
const SUBSCRIBER_HEARTBEAT_MS = 10_000;
/** How long large event batches stay in the events table for readers (s). */
const EVENT_KEEP_S = 300;
/** SQLSTATEs worth one more try of a whole transaction: deadlock, serialization failure. */
const RETRYABLE = new Set(["40P01", "40001"]);
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ECONNRESET",
]);

interface Notification {
  /** origin backend instance */
  o: string;
  q: string;
  w: WakeReason[];
  e?: QueueEvent[];
  id?: number;
}

/** A job queue backend stored in PostgreSQL, safe to share between processes. */
export class PostgresBackend implements Backend {
  readonly capabilities: BackendCapabilities = { durable: true, multiProcess: true };
  /** The schema holding the tables. */
  readonly schema: string;

  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  /** Where the database is, for messages (never with a password). */
  readonly #where: string;
  readonly #s: Statements;
  /** Tells this backend's notifications from other processes'. */
  readonly #origin = randomUUID();
  #closed = false;
  #ready = false;
  #migrating: Promise<void> | undefined;

  readonly #wakeListeners = new QueueListeners<WakeReason>();
  readonly #subscribers = new QueueListeners<QueueEvent>();
  readonly #listener: Listener;
  #listening: Promise<void> | undefined;
  /** The latest subscriber registration in flight (a queue subscribed after listening began). */
  #registering: Promise<void> = Promise.resolve();
  /** Keeps foreign notifications in arrival order while some need a read (large batches). */
  #inbox: Promise<void> = Promise.resolve();
  #heartbeat: NodeJS.Timeout | undefined;

  /**
   * Connects lazily: nothing touches the database until the first call, which also applies pending
   * migrations. Given a Pool (or `{ pool, schema }`), the backend uses it and leaves it open on close;
   * it returns the LISTEN connection it took from it.
   */
  constructor(options: PostgresBackendOptions | pg.Pool = {}) {
    const opts: PostgresBackendOptions = isPool(options) ? { pool: options } : options;
    this.schema = opts.schema ?? "asyncmq";
    if (!SCHEMA_NAME.test(this.schema)) {
      throw new ValidationError(
        `schema must be lowercase letters, digits and "_" (at most 48, not starting with a digit), got ${JSON.stringify(this.schema)}`,
      );
    }
    if (opts.pool) {
      this.#pool = opts.pool;
      this.#ownPool = false;
      const o = opts.pool.options;
      if (o.max !== undefined && o.max < 2) {
        // The LISTEN connection stays checked out; with one connection nothing else could run.
        throw new ValidationError(
          `the pool given to PostgresBackend needs max >= 2 connections, it has ${o.max}`,
        );
      }
      this.#where = o.connectionString
        ? redact(o.connectionString)
        : `postgres://${o.user ?? "postgres"}@${o.host ?? "localhost"}:${o.port ?? 5432}/${o.database ?? ""}`;
    } else {
      const url = opts.url ?? DEFAULT_URL;
      this.#where = redact(url);
      const poolSize = opts.poolSize ?? 10;
      if (!Number.isInteger(poolSize) || poolSize < 2) {
        throw new ValidationError(`poolSize must be an integer >= 2, got ${String(poolSize)}`);
      }
      this.#pool = new pg.Pool({
        connectionString: url,
        max: poolSize,
        connectionTimeoutMillis: opts.connectTimeout ?? 3000,
      });
      // Idle connections that die (server restart) report here; the next query reconnects.
      this.#pool.on("error", (err) =>
        log().warn(`asyncmq: an idle PostgreSQL connection to ${this.#where} failed`, err),
      );
      this.#ownPool = true;
    }
    this.#s = loadStatements(this.schema);
    this.#listener = new Listener(
      this.#pool,
      channelOf(this.schema),
      (payload) => this.#onNotification(payload),
      () => this.#onReconnect(),
    );
  }

  // -- plumbing -------------------------------------------------------------------------------

  /** Resolves once the schema is migrated; the first call migrates. */
  async #open(): Promise<void> {
    if (this.#closed) {
      throw new BackendError(
        `the PostgreSQL backend for ${this.#where} is closed; create a new PostgresBackend`,
      );
    }
    if (this.#ready) return;
    this.#migrating ??= (async () => {
      const client = await this.#pool.connect();
      try {
        await migrate(client, this.#s, this.schema, this.#where);
      } finally {
        client.release();
      }
      this.#ready = true;
    })().catch((err) => {
      // A later call tries again (the server may come up).
      this.#migrating = undefined;
      throw this.#wrap(err);
    });
    await this.#migrating;
  }

  /** One statement outside any explicit transaction. */
  async #one<R>(name: keyof Statements, values: unknown[]): Promise<R[]> {
    await this.#open();
    try {
      return await run<R>(this.#pool, this.#s[name], values);
    } catch (err) {
      throw this.#wrap(err);
    }
  }

  /** Runs `fn` in one transaction on `queue`; publishes its events before commit, delivers them after. */
  async #tx<T>(queue: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    await this.#open();
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw this.#wrap(err);
      }
      const tx = new Tx(client, this.#s, queue);
      let value: T;
      try {
        await client.query("BEGIN");
        value = await fn(tx);
        if (tx.events.length > 0 || tx.wakes.size > 0) {
          await tx.q(this.#s.publish, [
            queue,
            this.#origin,
            [...tx.wakes],
            tx.events.length > 0 ? JSON.stringify(tx.events) : null,
          ]);
        }
        await client.query("COMMIT");
        client.release();
      } catch (err) {
        let broken = false;
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        client.release(broken);
        const code = (err as { code?: string }).code;
        if (code !== undefined && RETRYABLE.has(code) && attempt < 3) continue;
        throw this.#wrap(err);
      }
      this.#deliver(queue, tx.events, tx.wakes);
      return value;
    }
  }

  #wrap(err: unknown): Error {
    if (err instanceof AsyncMQError) return err;
    const e = err as { code?: string; message?: string };
    const message = e.message ?? String(err);
    if (
      (e.code !== undefined && CONNECTION_CODES.has(e.code)) ||
      /timeout exceeded when trying to connect|Connection terminated|connect ECONN|getaddrinfo/i.test(message)
    ) {
      return new BackendError(
        `cannot reach PostgreSQL at ${this.#where} (${message}); check that the server is running and accepts connections there, or pass another url (new PostgresBackend({ url }) or ASYNCMQ_BACKEND=postgres://user@host:port/db)`,
        { cause: err },
      );
    }
    if (e.code === "28P01" || e.code === "28000" || e.code === "3D000") {
      return new BackendError(
        `PostgreSQL at ${this.#where} refused the connection: ${message}; fix the user, password or database in the url`,
        { cause: err },
      );
    }
    return new BackendError(`PostgreSQL error on ${this.#where}: ${message}`, { cause: err });
  }

  /** Whether a transition on `queue` must build its events for this process. */
  #wantLocal(queue: string): boolean {
    return events.hasListeners() || this.#subscribers.has(queue);
  }

  /** After commit: local events, local subscribers, local wake listeners. */
  #deliver(queue: string, list: QueueEvent[] | null, wakes: Iterable<WakeReason>): void {
    if (list && list.length > 0) {
      const subs = this.#subscribers.get(queue);
      for (const event of list) {
        emitLocal(event.name, event.payload);
        if (subs) for (const listener of subs) safeCall(listener, event);
      }
    }
    const listeners = this.#wakeListeners.get(queue);
    if (!listeners) return;
    for (const reason of wakes) for (const listener of listeners) safeCall(listener, reason);
  }

  #onNotification(payload: string): void {
    let note: Notification;
    try {
      note = JSON.parse(payload) as Notification;
    } catch {
      return;
    }
    if (note.o === this.#origin) return;
    const wakes = this.#wakeListeners.get(note.q);
    if (wakes) for (const reason of note.w) for (const listener of wakes) safeCall(listener, reason);
    if (!this.#subscribers.has(note.q) || (note.e === undefined && note.id === undefined)) return;
    this.#inbox = this.#inbox.then(async () => {
      let list = note.e;
      if (list === undefined) {
        try {
          const [row] = await run<{ batch: string }>(this.#pool, this.#s.eventGet, [note.id]);
          list = row ? (JSON.parse(row.batch) as QueueEvent[]) : [];
        } catch (err) {
          log().warn(`asyncmq: could not read an event batch from ${this.#where}`, err);
          return;
        }
      }
      const subs = this.#subscribers.get(note.q);
      if (subs) for (const event of list) for (const listener of subs) safeCall(listener, event);
    });
  }

  /** Notifications sent while the LISTEN connection was down are lost: wake everyone to look. */
  #onReconnect(): void {
    for (const listeners of this.#wakeListeners.values()) {
      for (const listener of listeners) safeCall(listener, "job");
    }
    this.#renewSubscriptions();
  }

  /** Starts the LISTEN connection (once) and registers the current subscriptions. */
  #listen(): void {
    this.#listening ??= (async () => {
      await this.#open();
      await this.#listener.start();
      await this.#renewSubscriptions();
    })().catch((err) => {
      this.#listening = undefined;
      if (!this.#closed) log().warn(`asyncmq: cannot listen for notifications on ${this.#where}`, err);
    });
  }

  /**
   * Resolves once this backend's LISTEN connection is up and its subscriptions are registered, so
   * that other processes' wake-ups and events from then on reach its listeners. Listening starts
   * with the first `onWake`/`subscribe` call; this only lets a caller wait for it.
   */
  async listening(): Promise<void> {
    await this.#listening;
    await this.#registering;
  }

  async #renewSubscriptions(): Promise<void> {
    if (this.#closed || this.#subscribers.size === 0) return;
    try {
      await run(this.#pool, this.#s.subscriberUpsert, [
        [...this.#subscribers.keys()],
        this.#origin,
        SUBSCRIBER_TTL_S,
      ]);
      await run(this.#pool, this.#s.housekeeping, [EVENT_KEEP_S]);
    } catch (err) {
      if (!this.#closed) log().warn(`asyncmq: cannot renew event subscriptions on ${this.#where}`, err);
    }
  }

  // -- producer -------------------------------------------------------------------------------

  /** @inheritDoc */
  async enqueue(queue: string, jobs: NewJob[]): Promise<EnqueueResult[]> {
    await this.#open();
    if (jobs.length === 0) return [];
    if (!jobs.every(isSimple)) {
      return this.#tx(queue, async (tx) => {
        const results = new Array<EnqueueResult>(jobs.length);
        for (let i = 0; i < jobs.length; i++) results[i] = await tx.insert(jobs[i] as NewJob);
        return results;
      });
    }
    const results = new Array<EnqueueResult>(jobs.length);
    const list: QueueEvent[] = [];
    const wakes = new Set<WakeReason>();
    if (jobs.length <= ENQUEUE_CHUNK) {
      await this.#insertChunk(
        (name, values) => this.#one(name, values),
        queue,
        jobs,
        0,
        results,
        list,
        wakes,
      );
    } else {
      // Larger batches: one statement per chunk, all in one transaction (all or nothing).
      await this.#tx(queue, async (tx) => {
        for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK) {
          const chunk = jobs.slice(start, start + ENQUEUE_CHUNK);
          await this.#insertChunk(
            (name, values) => tx.q(this.#s[name], values),
            queue,
            chunk,
            start,
            results,
            list,
            wakes,
          );
        }
      });
    }
    this.#deliver(queue, list, wakes);
    return results;
  }

  /**
   * Inserts one chunk of jobs without dedup or parents in one statement (enqueuePlain, or
   * enqueueWithIds when some carry a custom id); fills `results` from `offset`, and `list` with the
   * chunk's events when someone listens in this process.
   */
  async #insertChunk(
    exec: <R>(name: keyof Statements, values: unknown[]) => Promise<R[]>,
    queue: string,
    jobs: NewJob[],
    offset: number,
    results: EnqueueResult[],
    list: QueueEvent[],
    wakes: Set<WakeReason>,
  ): Promise<void> {
    const want = this.#wantLocal(queue);
    const n = jobs.length;
    const cols = Array.from({ length: 13 }, () => new Array<unknown>(n));
    const customIds = new Array<string | null>(n);
    let generated = 0;
    for (let i = 0; i < n; i++) {
      const j = jobs[i] as NewJob;
      (cols[0] as unknown[])[i] = j.task;
      (cols[1] as unknown[])[i] = j.dataJson;
      (cols[2] as unknown[])[i] = j.priority;
      (cols[3] as unknown[])[i] = j.maxRetries;
      (cols[4] as unknown[])[i] = j.createdAt;
      (cols[5] as unknown[])[i] = j.runAt ?? null;
      (cols[6] as unknown[])[i] = j.ttl ?? null;
      (cols[7] as unknown[])[i] = j.timeout ?? null;
      (cols[8] as unknown[])[i] = jsonOrNull(j.backoff);
      (cols[9] as unknown[])[i] = j.onParentFailure ?? null;
      (cols[10] as unknown[])[i] = jsonOrNull(j.removeOnComplete);
      (cols[11] as unknown[])[i] = jsonOrNull(j.removeOnFail);
      (cols[12] as unknown[])[i] = jsonOrNull(j.inherit);
      customIds[i] = j.id ?? null;
      if (j.id === undefined) generated++;
    }
    if (generated === n) {
      const [row] = await exec<{ base: number }>("enqueuePlain", [queue, n, ...cols, this.#origin]);
      const base = row?.base ?? 0;
      for (let i = 0; i < n; i++) {
        const job = jobs[i] as NewJob;
        const delayed = job.runAt !== undefined && job.runAt > job.createdAt;
        this.#added(
          queue,
          results,
          offset + i,
          String(base + i + 1),
          delayed ? "delayed" : "waiting",
          job,
          want,
          list,
          wakes,
        );
      }
      return;
    }
    const rows = await exec<{
      ord: number;
      id: string;
      inserted: boolean;
      state: JobState | null;
      task: string | null;
    }>("enqueueWithIds", [queue, generated, ...cols, this.#origin, customIds]);
    for (const row of rows) {
      const i = Number(row.ord) - 1;
      const job = jobs[i] as NewJob;
      // A duplicate inserted by a transaction that committed after this statement began has no
      // state to report here; it is there, so "waiting" is the honest guess.
      const state = row.state ?? "waiting";
      if (row.inserted) this.#added(queue, results, offset + i, row.id, state, job, want, list, wakes);
      else {
        results[offset + i] = { id: row.id, state, duplicate: true };
        if (want)
          list.push({
            name: "job:duplicated",
            payload: { queue, jobId: row.id, task: row.task ?? job.task },
          });
      }
    }
  }

  /** Records one inserted job's result, wake-up and (when wanted) event. */
  #added(
    queue: string,
    results: EnqueueResult[],
    at: number,
    id: string,
    state: JobState,
    job: NewJob,
    want: boolean,
    list: QueueEvent[],
    wakes: Set<WakeReason>,
  ): void {
    results[at] = { id, state, duplicate: false };
    const delayed = state === "delayed";
    wakes.add(delayed ? "delayed" : "job");
    if (!want) return;
    list.push(
      delayed
        ? { name: "job:delayed", payload: { queue, jobId: id, task: job.task, runAt: job.runAt } }
        : { name: "job:waiting", payload: { queue, jobId: id, task: job.task } },
    );
  }

  // -- worker ---------------------------------------------------------------------------------

  /** @inheritDoc */
  async claim(queue: string, options: ClaimOptions): Promise<ClaimedJob[]> {
    await this.#open();
    if (options.limit < 1) return [];
    const claimed: ClaimedJob[] = [];
    for (;;) {
      const rows = await this.#one<ClaimRow>("claim", [
        queue,
        options.limit - claimed.length,
        options.now,
        options.workerId,
        options.now + options.leaseMs,
        this.#origin,
      ]);
      this.#claimed(queue, rows, claimed);
      const expired = rows[0]?.expired;
      if (!expired || expired.length === 0) return claimed;
      // Candidates whose ttl passed: expire them (dependants, retention), then look further.
      await this.#expireCandidates(queue, expired, options.now);
      if (claimed.length >= options.limit) return claimed;
    }
  }

  /** @inheritDoc */
  async claimJob(
    queue: string,
    jobId: string,
    options: Omit<ClaimOptions, "limit">,
  ): Promise<ClaimedJob | null> {
    const rows = await this.#one<ClaimRow>("claimOne", [
      queue,
      jobId,
      options.now,
      options.workerId,
      options.now + options.leaseMs,
      this.#origin,
    ]);
    const claimed = this.#claimed(queue, rows, []);
    const expired = rows[0]?.expired;
    if (expired && expired.length > 0) await this.#expireCandidates(queue, expired, options.now);
    return claimed[0] ?? null;
  }

  #claimed(queue: string, rows: ClaimRow[], into: ClaimedJob[]): ClaimedJob[] {
    const want = this.#wantLocal(queue);
    const list: QueueEvent[] = [];
    for (const row of rows) {
      if (row.seq === null) continue;
      const job = toClaimed(row as JobRow);
      into.push(job);
      if (want) {
        list.push({
          name: "job:started",
          payload: { queue, jobId: job.id, task: job.task, attempts: job.attempts, workerId: job.workerId },
        });
      }
    }
    if (list.length > 0) this.#deliver(queue, list, []);
    return into;
  }

  async #expireCandidates(queue: string, seqs: Array<number | string>, now: number): Promise<void> {
    await this.#tx(queue, async (tx) => {
      for (const row of await tx.q<JobRow>(this.#s.expirable, [queue, seqs.map(Number), now])) {
        await tx.expireUnstarted(row, now);
      }
    });
  }

  /** @inheritDoc */
  async finish(queue: string, items: Finish[], now: number): Promise<boolean[]> {
    await this.#open();
    if (items.length === 0) return [];
    const n = items.length;
    const kinds = new Array<string>(n);
    const ids = new Array<string>(n);
    const tokens = new Array<string>(n);
    const payloads = new Array<string | null>(n);
    const runAts = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const item = items[i] as Finish;
      kinds[i] = item.kind;
      ids[i] = item.jobId;
      tokens[i] = item.token;
      payloads[i] =
        item.kind === "completed"
          ? item.resultJson
          : item.kind === "retry" || item.kind === "failed"
            ? JSON.stringify(item.error)
            : null;
      runAts[i] = item.kind === "retry" ? item.runAt : null;
    }
    const rows = await this.#one<FinishRow>("finishFast", [
      queue,
      now,
      kinds,
      ids,
      tokens,
      payloads,
      runAts,
      this.#origin,
    ]);
    const results = new Array<boolean>(n).fill(false);
    const applied: FinishRow[] = [];
    const pending: number[] = [];
    for (const row of rows) {
      if (row.outcome === "applied") applied.push(row);
      else if (row.outcome === "pending") pending.push(Number(row.ord) - 1);
    }
    applied.sort((a, b) => Number(a.ord) - Number(b.ord));
    const want = this.#wantLocal(queue);
    const list: QueueEvent[] = [];
    const wakes = new Set<WakeReason>();
    for (const row of applied) {
      const i = Number(row.ord) - 1;
      results[i] = true;
      const item = items[i] as Finish;
      if (item.kind === "released") wakes.add("job");
      else if (item.kind === "retry") wakes.add(item.runAt > now ? "delayed" : "job");
      if (want) {
        const event = finishEvent(queue, item, row.task as string, row.attempts as number);
        if (event) list.push(event);
      }
    }
    this.#deliver(queue, list, wakes);
    if (pending.length > 0) {
      pending.sort((a, b) => a - b);
      await this.#tx(queue, async (tx) => {
        for (const i of pending) results[i] = await tx.finish(items[i] as Finish, now);
      });
    }
    return results;
  }

  /** @inheritDoc */
  async extendLeases(
    queue: string,
    leases: Array<{ jobId: string; token: string }>,
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    await this.#open();
    if (leases.length === 0) return [];
    const rows = await this.#one<{ id: string }>("extendLeases", [
      queue,
      now + leaseMs,
      leases.map((l) => l.jobId),
      leases.map((l) => l.token),
    ]);
    const held = new Set(rows.map((r) => r.id));
    return leases.filter((l) => !held.has(l.jobId)).map((l) => l.jobId);
  }

  /** @inheritDoc */
  async updateProgress(
    queue: string,
    jobId: string,
    token: string,
    progress: number | Record<string, unknown>,
  ): Promise<boolean> {
    const json = JSON.stringify(progress);
    const [row] = await this.#one<{ task: string }>("progress", [queue, jobId, token, json, this.#origin]);
    if (!row) return false;
    if (this.#wantLocal(queue)) {
      // The event carries a copy: the caller may mutate its object afterwards.
      const event: QueueEvent = {
        name: "job:progress",
        payload: { queue, jobId, task: row.task, progress: JSON.parse(json) },
      };
      this.#deliver(queue, [event], []);
    }
    return true;
  }

  /** @inheritDoc */
  async addLog(queue: string, jobId: string, message: string): Promise<void> {
    await this.#one("addLog", [queue, jobId, message]);
  }

  /** @inheritDoc */
  async getLogs(queue: string, jobId: string): Promise<string[]> {
    return (await this.#one<{ message: string }>("getLogs", [queue, jobId])).map((r) => r.message);
  }

  // -- maintenance ----------------------------------------------------------------------------

  /** @inheritDoc */
  async promoteDelayed(
    queue: string,
    now: number,
    limit: number,
  ): Promise<{ promoted: number; nextDueAt: number | null }> {
    const rows = await this.#one<{ next_due: number | null; id: string | null; task: string }>(
      "promoteDelayed",
      [queue, now, sqlLimit(limit), this.#origin],
    );
    const moved = rows.filter((r) => r.id !== null);
    if (moved.length > 0) {
      const list = this.#wantLocal(queue)
        ? moved.map(
            (r): QueueEvent => ({
              name: "job:waiting",
              payload: { queue, jobId: r.id as string, task: r.task },
            }),
          )
        : [];
      this.#deliver(queue, list, ["job"]);
    }
    return { promoted: moved.length, nextDueAt: rows[0]?.next_due ?? null };
  }

  /** @inheritDoc */
  async recoverStalled(
    queue: string,
    now: number,
    maxStalledCount: number,
  ): Promise<{ stalled: string[]; failed: string[] }> {
    return this.#tx(queue, (tx) => tx.recoverStalled(now, maxStalledCount));
  }

  /** @inheritDoc */
  async removeExpiredFinished(queue: string, now: number, limit: number): Promise<number> {
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<{ seq: number }>(this.#s.dueRemovals, [queue, now, sqlLimit(limit)]);
      await tx.deleteSeqs(rows.map((r) => r.seq));
      return rows.length;
    });
  }

  /** @inheritDoc */
  async nextRetentionAt(queue: string): Promise<number | null> {
    const [row] = await this.#one<{ remove_at: number }>("nextRemoval", [queue]);
    return row?.remove_at ?? null;
  }

  /** @inheritDoc */
  async expireDue(queue: string, now: number, limit: number): Promise<number> {
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<JobRow>(this.#s.dueExpiries, [queue, now, sqlLimit(limit)]);
      for (const row of rows) await tx.expireUnstarted(row, now);
      return rows.length;
    });
  }

  // -- repeatables ----------------------------------------------------------------------------

  /** @inheritDoc */
  async upsertRepeatable(queue: string, info: RepeatableInfoRecord): Promise<RepeatableInfoRecord> {
    await this.#one("repeatableUpsert", [
      queue,
      info.id,
      JSON.stringify(info.def),
      info.nextRun,
      info.paused,
    ]);
    return copyRepeatable(info);
  }

  /** @inheritDoc */
  async listRepeatables(queue: string): Promise<RepeatableInfoRecord[]> {
    const rows = await this.#one<{ id: string; def: string; next_run: number; paused: boolean }>(
      "repeatableList",
      [queue],
    );
    return rows.map((r) => ({ id: r.id, def: JSON.parse(r.def), nextRun: r.next_run, paused: r.paused }));
  }

  /** @inheritDoc */
  async removeRepeatable(queue: string, id: string): Promise<boolean> {
    return (await this.#one("repeatableDelete", [queue, id])).length > 0;
  }

  /** @inheritDoc */
  async setRepeatablePaused(queue: string, id: string, paused: boolean, nextRun?: number): Promise<boolean> {
    return (await this.#one("repeatableSetPaused", [paused, nextRun ?? null, queue, id])).length > 0;
  }

  /** @inheritDoc */
  async fireRepeatable(queue: string, fire: RepeatableFire): Promise<string | null> {
    const job = fire.job;
    if (job.dedup === undefined && (job.dependsOn === undefined || job.dependsOn.length === 0)) {
      const [row] = await this.#one<{
        fired: boolean;
        id: string;
        inserted: boolean;
        state: JobState | null;
      }>("fire", [
        queue,
        fire.repeatId,
        fire.slot,
        fire.nextRun,
        job.id ?? null,
        job.task,
        job.dataJson,
        job.priority,
        job.maxRetries,
        job.createdAt,
        job.runAt ?? null,
        job.ttl ?? null,
        job.timeout ?? null,
        jsonOrNull(job.backoff),
        job.onParentFailure ?? null,
        jsonOrNull(job.removeOnComplete),
        jsonOrNull(job.removeOnFail),
        jsonOrNull(job.inherit),
        this.#origin,
      ]);
      if (!row?.fired) return null;
      const payload = { queue, jobId: row.id, task: job.task };
      if (!row.inserted) this.#deliver(queue, [{ name: "job:duplicated", payload }], []);
      else if (row.state === "delayed") {
        this.#deliver(
          queue,
          [{ name: "job:delayed", payload: { ...payload, runAt: job.runAt } }],
          ["delayed"],
        );
      } else this.#deliver(queue, [{ name: "job:waiting", payload }], ["job"]);
      return row.id;
    }
    return this.#tx(queue, async (tx) => {
      const [def] = await tx.q<{ paused: boolean }>(this.#s.repeatableLock, [queue, fire.repeatId]);
      if (def?.paused) return null;
      const [won] = await tx.q(this.#s.slotClaim, [queue, fire.repeatId, fire.slot]);
      if (!won) return null;
      const { id } = await tx.insert(job);
      if (def) await tx.q(this.#s.repeatableSetNextRun, [fire.nextRun, queue, fire.repeatId]);
      return id;
    });
  }

  /** @inheritDoc */
  async lastRepeatableSlot(queue: string, repeatId: string): Promise<number | null> {
    const [row] = await this.#one<{ last_slot: number }>("slotGet", [queue, repeatId]);
    return row?.last_slot ?? null;
  }

  // -- rate limit -----------------------------------------------------------------------------

  /** @inheritDoc */
  async takeRateToken(queue: string, rate: number, intervalMs: number, now: number): Promise<number> {
    await this.#open();
    if (rate <= 0) return intervalMs;
    const [row] = await this.#one<{ available: number }>("takeRateToken", [queue, rate, intervalMs, now]);
    const available = row?.available ?? 0;
    if (available >= 1 - 1e-9) return 0;
    return rateWaitMs(available, rate, intervalMs);
  }

  // -- admin ----------------------------------------------------------------------------------

  /** @inheritDoc */
  async getJob(queue: string, jobId: string): Promise<JobRecord | null> {
    const [row] = await this.#one<JobRow>("jobGet", [queue, jobId]);
    return row ? toRecord(row) : null;
  }

  /** @inheritDoc */
  async getJobs(
    queue: string,
    states: JobState[],
    range: { start: number; end: number; asc: boolean },
  ): Promise<JobRecord[]> {
    await this.#open();
    const page = pageOf(range);
    if (page === null) return [];
    const { offset, limit } = page;
    const flags = JOB_STATES.map((state) => states.length === 0 || states.includes(state));
    const rows = await this.#one<JobRow>(range.asc ? "jobsAsc" : "jobsDesc", [
      queue,
      ...flags,
      limit === null ? null : offset + limit,
      limit,
      offset,
    ]);
    return rows.map(toRecord);
  }

  /** @inheritDoc */
  async getJobCounts(queue: string): Promise<Record<JobState, number>> {
    const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for (const row of await this.#one<{ state: JobState; n: number }>("countByState", [queue])) {
      counts[row.state] = row.n;
    }
    return counts;
  }

  /** @inheritDoc */
  async cancelJob(queue: string, jobId: string, now: number): Promise<boolean> {
    return this.#tx(queue, (tx) => tx.cancel(jobId, now));
  }

  /** @inheritDoc */
  async retryJob(queue: string, jobId: string, _now: number): Promise<boolean> {
    return this.#tx(queue, async (tx) => {
      const [row] = await tx.q<{ task: string }>(this.#s.retryJob, [queue, jobId]);
      if (!row) return false;
      tx.emit("job:waiting", { queue, jobId, task: row.task });
      tx.wake("job");
      return true;
    });
  }

  /** @inheritDoc */
  async removeJob(queue: string, jobId: string): Promise<boolean> {
    return this.#tx(queue, async (tx) => {
      const [row] = await tx.q<JobRow>(this.#s.jobLock, [queue, jobId]);
      if (!row) return false;
      await tx.removeJobs([row]);
      return true;
    });
  }

  /** @inheritDoc */
  async drain(queue: string, includeDelayed: boolean): Promise<number> {
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<Removable>(this.#s.drainable, [queue, includeDelayed]);
      await tx.removeJobs(rows);
      return rows.length;
    });
  }

  /** @inheritDoc */
  async clean(queue: string, state: JobState, olderThan: number, limit: number): Promise<string[]> {
    await this.#open();
    if (state === "active") return [];
    const finished =
      state === "completed" || state === "failed" || state === "expired" || state === "cancelled";
    return this.#tx(queue, async (tx) => {
      const rows = await tx.q<Removable>(finished ? this.#s.cleanFinished : this.#s.cleanUnfinished, [
        queue,
        state,
        olderThan,
        sqlLimit(limit),
      ]);
      await tx.removeJobs(rows);
      return rows.map((r) => r.id);
    });
  }

  /** @inheritDoc */
  async obliterate(queue: string, force: boolean): Promise<void> {
    await this.#tx(queue, async (tx) => {
      const [row] = await tx.q<{ n: number }>(this.#s.activeCount, [queue]);
      const active = row?.n ?? 0;
      if (!force && active > 0) {
        throw activeJobsBlockObliterate(queue, active);
      }
      await tx.q(this.#s.wipe, [queue]);
    });
  }

  /** @inheritDoc */
  async setPaused(queue: string, paused: boolean): Promise<void> {
    await this.#one("setPaused", [queue, paused, this.#origin]);
    const event: QueueEvent = { name: paused ? "queue:paused" : "queue:resumed", payload: { queue } };
    this.#deliver(queue, [event], paused ? [] : ["resume"]);
  }

  /** @inheritDoc */
  async isPaused(queue: string): Promise<boolean> {
    const [row] = await this.#one<{ paused: boolean }>("isPaused", [queue]);
    return row?.paused === true;
  }

  /** @inheritDoc */
  async listQueues(): Promise<string[]> {
    return (await this.#one<{ name: string }>("listQueues", [])).map((r) => r.name);
  }

  // -- workers --------------------------------------------------------------------------------

  /** @inheritDoc */
  async heartbeatWorker(info: WorkerInfo, ttlMs: number): Promise<void> {
    // Registrations of workers that died long ago go; recent ones stay visible to listWorkers(now).
    await this.#one("workerUpsert", [
      info.id,
      JSON.stringify(info),
      info.heartbeatAt + ttlMs,
      info.heartbeatAt - Math.max(ttlMs, 60_000),
    ]);
  }

  /** @inheritDoc */
  async removeWorker(id: string): Promise<void> {
    await this.#one("workerDelete", [id]);
  }

  /** @inheritDoc */
  async listWorkers(now: number): Promise<WorkerInfo[]> {
    return (await this.#one<{ info: string }>("workerList", [now])).map((r) => JSON.parse(r.info));
  }

  // -- notifications --------------------------------------------------------------------------

  /** @inheritDoc */
  onWake(queue: string, listener: (reason: WakeReason) => void): () => void {
    this.#assertOpen();
    const unsubscribe = this.#wakeListeners.add(queue, listener);
    this.#listen();
    return unsubscribe;
  }

  /** @inheritDoc */
  subscribe(queue: string, listener: (event: QueueEvent) => void): () => void {
    this.#assertOpen();
    if (!this.#subscribers.has(queue)) {
      // Registered once listening (then by the heartbeat); a later first subscriber registers now.
      if (this.#listening) this.#registering = this.#listening.then(() => this.#renewSubscriptions());
      if (!this.#heartbeat) {
        this.#heartbeat = setInterval(() => void this.#renewSubscriptions(), SUBSCRIBER_HEARTBEAT_MS);
        this.#heartbeat.unref();
      }
    }
    const unsubscribe = this.#subscribers.add(queue, listener, () => {
      if (this.#subscribers.size === 0 && this.#heartbeat) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
      if (!this.#closed && this.#ready) {
        run(this.#pool, this.#s.subscriberDelete, [[queue], this.#origin]).catch(() => {
          // The registration expires on its own.
        });
      }
    });
    this.#listen();
    return unsubscribe;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new BackendError(
        `the PostgreSQL backend for ${this.#where} is closed; create a new PostgresBackend`,
      );
    }
  }

  /** @inheritDoc */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.#listener.stop();
    const queues = [...this.#subscribers.keys()];
    this.#wakeListeners.clear();
    this.#subscribers.clear();
    await this.#migrating?.catch(() => {});
    if (queues.length > 0 && this.#ready) {
      await run(this.#pool, this.#s.subscriberDelete, [queues, this.#origin]).catch(() => {
        // The registrations expire on their own.
      });
    }
    await this.#inbox;
    if (this.#ownPool) await this.#pool.end();
  }
}

/** A claim statement row: the job columns (NULL when nothing was claimed) and the ttl-expired seqs. */
type ClaimRow = { [K in keyof JobRow]: JobRow[K] | null } & { expired: Array<number | string> | null };

/** What removing a job needs to know about it. */
interface Removable {
  seq: number;
  id: string;
  state: JobState;
  has_dependants: boolean;
}

interface FinishRow {
  outcome: "applied" | "pending" | "published";
  ord: number | string | null;
  task: string | null;
  attempts: number | null;
}

/** Jobs the single-statement bulk insert can take: no dedup or parents. */
function isSimple(job: NewJob): boolean {
  return job.dedup === undefined && (job.dependsOn === undefined || job.dependsOn.length === 0);
}

/** The event a fast-path finish item emits (none for a release). */
function finishEvent(queue: string, item: Finish, task: string, attempts: number): QueueEvent | null {
  const base = { queue, jobId: item.jobId, task };
  switch (item.kind) {
    case "completed":
      return { name: "job:completed", payload: { ...base, attempts, result: JSON.parse(item.resultJson) } };
    case "retry":
      return {
        name: "job:retrying",
        payload: { ...base, error: structuredClone(item.error), attempts, runAt: item.runAt },
      };
    case "failed":
      return { name: "job:failed", payload: { ...base, error: structuredClone(item.error), attempts } };
    case "expired":
      return { name: "job:expired", payload: { ...base, attempts } };
    case "released":
      return null;
  }
}

/** A `limit` argument for SQL: NULL means no limit. */
function sqlLimit(n: number): number | null {
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

function isPool(value: unknown): value is pg.Pool {
  return (
    value instanceof pg.Pool ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as pg.Pool).connect === "function" &&
      typeof (value as pg.Pool).query === "function")
  );
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "";
    return u.toString().replace(/^(\w+:\/\/[^:@/]*):?@/, "$1@");
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1@");
  }
}
