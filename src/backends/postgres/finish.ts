/**
 * Finishing a batch of attempts on PostgreSQL: ONE statement (finishBatch) applies and publishes
 * every item whose job has no dependants, removing or dating the jobs its retention says to. When
 * some are left (`pending`), one transaction runs the statement again for them and then settles
 * their dependants and retention. A count retention ("keep the newest N") of the items applied by
 * the statement is then trimmed once per state in one transaction, not once per job.
 */
import type { JobState, RetentionSpec } from "../../job.js";
import { errorLine, log } from "../../logger.js";
import type { Finish } from "../backend.js";
import type { Applied } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { readRetention } from "../shared/rules.js";
import { type Ended, inTransaction, type TxRunner } from "./tx.js";

/**
 * A finishBatch row. On the `applied` ones, `retention` always; task and attempts when asked for
 * (events, or all); the other `Ended` columns only from a run with all (the transaction's).
 */
interface FinishRow extends Ended {
  outcome: "applied" | "pending" | "published" | "limited";
  ord: number | string;
}

/** Ends the attempts of `items` at `now`; per item whether its token still held. */
export async function finish(
  on: TxRunner,
  queue: string,
  items: Finish[],
  now: number,
): Promise<Applied<boolean[]>> {
  await on.db.open();
  if (items.length === 0) return { value: [] };
  if (items.some((item) => item.kind === "waiting-children")) return finishWithWaits(on, queue, items, now);
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
          : item.kind === "delayed"
            ? (item.dataJson ?? null)
            : null;
    runAts[i] = item.kind === "retry" || item.kind === "delayed" ? item.runAt : null;
  }
  const values = [queue, now, kinds, ids, tokens, payloads, runAts, on.origin];
  const signals = new EffectsCollector(on.ctx.wantsEvents(queue));
  const rows = await on.db.hot<FinishRow>("finishBatch", [...values, false, signals.wantEvents]);
  const applied = appliedOf(rows);
  const trims = countTrims(applied, items);
  // On a queue with a global concurrency the ended attempts opened slots (the statement woke others).
  let limited = rows.some((row) => row.outcome === "limited");
  let rest: Applied<FinishRow[]> | undefined;
  if (rows.some((row) => row.outcome === "pending")) {
    // The items applied above hold no token any more: running the batch again applies only the rest.
    rest = await inTransaction(on, queue, async (tx) => {
      const all = await tx.q<FinishRow>(tx.s.finishBatch, [...values, true, true]);
      limited ||= all.some((row) => row.outcome === "limited");
      const more = appliedOf(all);
      for (const row of more) {
        const { kind } = items[Number(row.ord) - 1] as Finish;
        if (kind !== "retry" && kind !== "released" && kind !== "delayed") await tx.afterEnd(row, kind, now);
      }
      return more;
    });
    applied.push(...rest.value);
  }
  const trimmed = trims.size === 0 ? undefined : await trim(on, queue, trims);
  const results = new Array<boolean>(n).fill(false);
  for (const row of applied) {
    const i = Number(row.ord) - 1;
    results[i] = true;
    report(signals, queue, items[i] as Finish, row.task, row.attempts, now);
  }
  signals.add(rest?.effects);
  signals.add(trimmed?.effects);
  if (limited) signals.wake("job");
  return { value: results, effects: signals.take() };
}

/**
 * A batch with waiting-children items: those (which read and lock the jobs they wait for) in one
 * transaction of their own, the others as usual.
 */
async function finishWithWaits(
  on: TxRunner,
  queue: string,
  items: Finish[],
  now: number,
): Promise<Applied<boolean[]>> {
  const others: number[] = [];
  const waits: Array<{ at: number; item: Extract<Finish, { kind: "waiting-children" }> }> = [];
  items.forEach((item, at) => {
    if (item.kind === "waiting-children") waits.push({ at, item });
    else others.push(at);
  });
  const plain = await finish(
    on,
    queue,
    others.map((at) => items[at] as Finish),
    now,
  );
  const waited = await inTransaction(on, queue, async (tx) => {
    const held: boolean[] = [];
    for (const { item } of waits)
      held.push(await tx.waitForChildren(item.jobId, item.token, item.childIds, now));
    return held;
  });
  const results = new Array<boolean>(items.length).fill(false);
  others.forEach((at, k) => {
    results[at] = plain.value[k] === true;
  });
  waits.forEach(({ at }, k) => {
    results[at] = waited.value[k] === true;
  });
  const signals = new EffectsCollector(on.ctx.wantsEvents(queue));
  signals.add(plain.effects);
  signals.add(waited.effects);
  return { value: results, effects: signals.take() };
}

/**
 * The count retentions of `applied` rows (from the statement, which trims none), once per state and
 * count, in the order their last item came: trimming after each job would leave the same newest N.
 */
function countTrims(applied: FinishRow[], items: Finish[]): Map<string, [JobState, number]> {
  const trims = new Map<string, [JobState, number]>();
  for (const row of applied) {
    if (row.retention === null) continue;
    const limits = readRetention(JSON.parse(row.retention) as RetentionSpec);
    const count = limits === null || limits === true ? undefined : limits.count;
    if (count === undefined) continue;
    const state = (items[Number(row.ord) - 1] as Finish).kind as JobState;
    const key = `${state}:${count}`;
    trims.delete(key);
    trims.set(key, [state, count]);
  }
  return trims;
}

/**
 * Runs the count trims, after the finish committed. The finish stands whatever happens here: a
 * failure (or a crash before it) leaves the excess jobs to the next finish's trim, and is logged.
 */
async function trim(
  on: TxRunner,
  queue: string,
  trims: Map<string, [JobState, number]>,
): Promise<Applied<void> | undefined> {
  try {
    return await inTransaction(on, queue, async (tx) => {
      for (const [state, count] of trims.values()) await tx.keepNewest(state, count);
    });
  } catch (err) {
    log().warn(
      `could not trim the finished jobs of queue "${queue}" to their removeOnComplete / removeOnFail count (${errorLine(err)}); the next finish of the queue trims them`,
      { queue },
    );
    return undefined;
  }
}

/** The applied rows, in item order. */
function appliedOf(rows: FinishRow[]): FinishRow[] {
  return rows.filter((row) => row.outcome === "applied").sort((a, b) => Number(a.ord) - Number(b.ord));
}

/** The wake-up and (when wanted) the event of one applied item. */
function report(
  into: EffectsCollector,
  queue: string,
  item: Finish,
  task: string,
  attempts: number,
  now: number,
): void {
  if (item.kind === "released") {
    into.wake("job");
    return;
  }
  if (item.kind === "waiting-children") return; // finishWithWaits's, never in this statement's batch
  if (item.kind === "retry" || item.kind === "delayed") into.wake(item.runAt > now ? "delayed" : "job");
  if (!into.wantEvents) return;
  if (item.kind === "delayed") {
    const { jobId, runAt } = item;
    if (runAt > now) into.emit("job:delayed", { queue, jobId, task, runAt });
    else into.emit("job:waiting", { queue, jobId, task });
    return;
  }
  const base = { queue, jobId: item.jobId, task, attempts };
  if (item.kind === "completed") into.emit("job:completed", { ...base, result: JSON.parse(item.resultJson) });
  else if (item.kind === "expired") into.emit("job:expired", base);
  else {
    const error = structuredClone(item.error);
    if (item.kind === "failed") into.emit("job:failed", { ...base, error });
    else into.emit("job:retrying", { ...base, error, runAt: item.runAt });
  }
}
