/**
 * Finishing a batch of attempts on PostgreSQL: ONE statement (finishFast) applies and publishes
 * every item whose job has no dependants and no retention rule for its new state; the rest, rarer,
 * go through one transaction, one statement each (finishOne, which re-checks the fence), followed
 * by their dependants and retention.
 */
import type { Finish } from "../backend.js";
import type { Applied } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { type Ended, inTransaction, type TxRunner } from "./tx.js";

interface FinishRow {
  outcome: "applied" | "pending" | "published";
  ord: number | string | null;
  task: string | null;
  attempts: number | null;
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
  const rows = await on.db.one<FinishRow>("finishFast", [
    queue,
    now,
    kinds,
    ids,
    tokens,
    payloads,
    runAts,
    on.origin,
  ]);
  const results = new Array<boolean>(n).fill(false);
  const applied: FinishRow[] = [];
  const pending: number[] = [];
  for (const row of rows) {
    if (row.outcome === "applied") applied.push(row);
    else if (row.outcome === "pending") pending.push(Number(row.ord) - 1);
  }
  applied.sort((a, b) => Number(a.ord) - Number(b.ord));
  const signals = new EffectsCollector(on.ctx.wantsEvents(queue));
  for (const row of applied) {
    const i = Number(row.ord) - 1;
    results[i] = true;
    report(signals, queue, items[i] as Finish, row.task as string, row.attempts as number, now);
  }
  if (pending.length > 0) {
    pending.sort((a, b) => a - b);
    const rest = await inTransaction(on, queue, async (tx) => {
      for (const i of pending) {
        const item = items[i] as Finish;
        const values = [item.kind, payloads[i], runAts[i], now, queue, item.jobId, item.token];
        const [r] = await tx.q<Ended>(tx.s.finishOne, values);
        results[i] = r !== undefined;
        if (!r) continue;
        report(tx, queue, item, r.task, r.attempts, now);
        if (item.kind !== "retry" && item.kind !== "released") await tx.afterEnd(r, item.kind, now);
      }
    });
    signals.add(rest.effects);
  }
  return { value: results, effects: signals.take() };
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
  if (item.kind === "retry") into.wake(item.runAt > now ? "delayed" : "job");
  if (!into.wantEvents) return;
  const base = { queue, jobId: item.jobId, task, attempts };
  if (item.kind === "completed") into.emit("job:completed", { ...base, result: JSON.parse(item.resultJson) });
  else if (item.kind === "expired") into.emit("job:expired", base);
  else {
    const error = structuredClone(item.error);
    if (item.kind === "failed") into.emit("job:failed", { ...base, error });
    else into.emit("job:retrying", { ...base, error, runAt: item.runAt });
  }
}
