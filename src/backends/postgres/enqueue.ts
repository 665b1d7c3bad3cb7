/**
 * Enqueue on PostgreSQL. Jobs without dedup, parents or lifo (what producers add in bulk) go in ONE
 * statement per chunk (enqueuePlain, or enqueueWithIds when some carry a custom id), which also
 * publishes; a batch with any other job goes one job at a time in one transaction (`Tx.insert`).
 * Either way the whole call is all or nothing. With the caller's client, both run inside the
 * caller's transaction (caller-tx.ts).
 */
import type { JobState } from "../../job.js";
import type { EnqueueCallOptions, EnqueueResult, NewJob } from "../backend.js";
import type { Applied } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { announceFree, duplicateResult } from "../shared/rules.js";
import { sameButData } from "../shared/same-but-data.js";
import { newJobRow } from "../shared/sql-rows.js";
import { arrayLiteral, columnLiteral, repeatedLiteral } from "./array-literal.js";
import { CALLER_ORIGIN, callerTransaction } from "./caller-tx.js";
import type { Query } from "./connection.js";
import { PLAIN_COLUMNS } from "./rows.js";
import { inTransaction, type TxRunner } from "./tx.js";

/**
 * Plain jobs per bulk-insert statement: large enough to amortise the round trip, small enough that
 * building the next chunk overlaps most of this one's run (2,000: ~20% more jobs/s than 5,000 for
 * an addBulk of 10,000, docs/performance.md).
 */
const ENQUEUE_CHUNK = 2000;

/** Jobs the single-statement inserts (bulk enqueue, repeatable fire) can take: no dedup, parents or lifo. */
export function isSimple(job: NewJob): boolean {
  return (
    job.dedup === undefined &&
    job.lifo === undefined &&
    (job.dependsOn === undefined || job.dependsOn.length === 0)
  );
}

/** Inserts `jobs` into `queue` (see the file header). */
export async function enqueue(
  on: TxRunner,
  queue: string,
  jobs: NewJob[],
  options?: EnqueueCallOptions,
): Promise<Applied<EnqueueResult[]>> {
  const caller = options?.client === undefined ? undefined : callerTransaction(on.db, options.client);
  await on.db.open();
  if (jobs.length === 0) return { value: [] };
  if (!jobs.every(isSimple)) {
    return inTransaction(
      on,
      queue,
      async (tx) => {
        await tx.requireParents(jobs);
        const results = new Array<EnqueueResult>(jobs.length);
        for (let i = 0; i < jobs.length; i++) results[i] = await tx.insert(jobs[i] as NewJob);
        return results;
      },
      caller,
    );
  }
  const origin = caller === undefined ? on.origin : CALLER_ORIGIN;
  const insert = async (exec: Exec) => {
    // Made afresh for each try: a transaction retried after a deadlock starts over.
    const bulk = new BulkInsert(on, queue, jobs.length, origin);
    // Each chunk is built while the one before runs: Node and the server work at once.
    let running: Promise<void> | undefined;
    for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK) {
      const next = bulk.prepare(jobs.slice(start, start + ENQUEUE_CHUNK), start);
      await running;
      running = bulk.run(exec, next);
    }
    await running;
    return bulk;
  };
  const inOne = (q: Query) => insert((name, values) => q(on.db.s[name], values));
  if (caller !== undefined) return { value: (await caller(inOne)).results };
  // A larger batch goes one statement per chunk, all in one transaction.
  const bulk =
    jobs.length <= ENQUEUE_CHUNK
      ? await insert((name, values) => on.db.one(name, values))
      : await on.db.transaction(inOne);
  return { value: bulk.results, effects: bulk.signals.take() };
}

type Exec = <R>(name: "enqueuePlain" | "enqueueWithIds", values: unknown[]) => Promise<R[]>;
/** One chunk ready to send: its jobs, where their results go, and the statement's parameters. */
interface Chunk {
  jobs: NewJob[];
  offset: number;
  /** How many of them get a generated id (the rest carry their own). */
  generated: number;
  values: unknown[];
}
type WithIdsRow = { ord: number; id: string; inserted: boolean; state: JobState | null; task: string | null };

/** One bulk enqueue call: its results and signals (events built only when wanted in this process). */
class BulkInsert {
  readonly results: EnqueueResult[];
  readonly signals: EffectsCollector;

  constructor(
    on: TxRunner,
    private readonly queue: string,
    count: number,
    /** The origin its NOTIFYs carry. */
    private readonly origin: string,
  ) {
    this.results = new Array<EnqueueResult>(count);
    this.signals = new EffectsCollector(on.ctx.wantsEvents(queue));
  }

  /** The parameters of one chunk of plain jobs, whose results go from `offset`. */
  prepare(jobs: NewJob[], offset: number): Chunk {
    const { queue } = this;
    const first = jobs[0] as NewJob;
    if (first.id === undefined && jobs.every((job) => sameButData(first, job))) {
      // One row's columns, repeated: only the data differs (addBulk's jobs of one task without
      // options), which saves building and escaping every column of every job.
      const row = newJobRow(queue, "", first, "waiting");
      const n = jobs.length;
      const cols = PLAIN_COLUMNS.map((column) =>
        column === "data" ? arrayLiteral(jobs.map((job) => job.dataJson)) : repeatedLiteral(row[column], n),
      );
      return {
        jobs,
        offset,
        generated: n,
        values: [queue, n, ...cols, this.origin, repeatedLiteral(row.trace_context, n)],
      };
    }
    // The statement derives each job's state and id: the rows' plain columns are all it takes.
    const newRows = jobs.map((job) => newJobRow(queue, "", job, "waiting"));
    const cols = PLAIN_COLUMNS.map((column) => columnLiteral(newRows.map((row) => row[column])));
    const traces = columnLiteral(newRows.map((row) => row.trace_context));
    const customIds = jobs.map((job) => job.id ?? null);
    const generated = customIds.filter((id) => id === null).length;
    const values =
      generated === jobs.length
        ? [queue, generated, ...cols, this.origin, traces]
        : [queue, generated, ...cols, this.origin, arrayLiteral(customIds), traces];
    return { jobs, offset, generated, values };
  }

  /** Inserts one prepared chunk in one statement. */
  async run(exec: Exec, { jobs, offset, generated, values }: Chunk): Promise<void> {
    const { queue } = this;
    const n = jobs.length;
    if (generated === n) {
      const [row] = await exec<{ base: number }>("enqueuePlain", values);
      const base = row?.base ?? 0;
      for (let i = 0; i < n; i++) {
        const job = jobs[i] as NewJob;
        const delayed = job.runAt !== undefined && job.runAt > job.createdAt;
        this.#added(offset + i, String(base + i + 1), delayed ? "delayed" : "waiting", job);
      }
      return;
    }
    const rows = await exec<WithIdsRow>("enqueueWithIds", values);
    for (const row of rows) {
      const i = Number(row.ord) - 1;
      const job = jobs[i] as NewJob;
      // A duplicate inserted by a transaction that committed after this statement began has no
      // state to report here; it is there, so "waiting" is the honest guess.
      const state = row.state ?? "waiting";
      if (row.inserted) this.#added(offset + i, row.id, state, job);
      else
        this.results[offset + i] = duplicateResult(this.signals, queue, row.id, state, row.task ?? job.task);
    }
  }

  /** Records one inserted job's result, wake-up and (when wanted) event. */
  #added(at: number, id: string, state: JobState, job: NewJob): void {
    this.results[at] = { id, state, duplicate: false };
    const delayed = state === "delayed";
    if (this.signals.wantEvents) announceFree(this.signals, this.queue, id, job.task, delayed, job.runAt);
    else this.signals.wake(delayed ? "delayed" : "job");
  }
}
