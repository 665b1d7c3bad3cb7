/**
 * Finishing a batch of attempts on PostgreSQL: ONE statement (finishFast) applies and publishes
 * every item whose job has no dependants and no retention rule for its new state; the rest, rarer,
 * go through one transaction of the per-kind statements (`Tx.finish`), which also re-check the fence.
 */
import type { Finish, QueueEvent } from "../backend.js";
import type { Applied } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { inTransaction, type TxRunner } from "./tx.js";

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
    const item = items[i] as Finish;
    if (item.kind === "released") signals.wake("job");
    else if (item.kind === "retry") signals.wake(item.runAt > now ? "delayed" : "job");
    if (signals.wantEvents) {
      const event = finishEvent(queue, item, row.task as string, row.attempts as number);
      if (event) signals.emit(event.name, event.payload);
    }
  }
  if (pending.length > 0) {
    pending.sort((a, b) => a - b);
    const rest = await inTransaction(on, queue, async (tx) => {
      for (const i of pending) results[i] = await tx.finish(items[i] as Finish, now);
    });
    signals.add(rest.effects);
  }
  return { value: results, effects: signals.take() };
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
