/**
 * Enqueues repeatable jobs on their slots: the runner's in-process definitions and the queue's durable
 * ones (reloaded every round, so changes by other processes apply). Every scheduler in every process
 * computes the same slot times and fires through `backend.repeatables.fire`, which enqueues a slot at
 * most once, so any number of schedulers produce exactly one job per slot.
 *
 * Missed slots (downtime: behind by more than two slots and more than a second) run once on
 * catch-up, never as a burst.
 * A new definition's first slot is the first one after it is first seen.
 */
import type { Backend, RepeatableStore } from "../backends/backend.js";
import { log, OutageLog } from "../logger.js";
import {
  type PreparedRepeatable,
  prepareRepeatable,
  type RepeatableDef,
  repeatableJob,
} from "../schedule/repeatable-def.js";
import type { Scanner } from "./scanners.js";
import { sleep } from "./wait.js";

/** Behind by more than two slots AND this long counts as downtime: only the latest slot fires. */
const CATCH_UP_AFTER_MS = 1000;

interface Due {
  prepared: PreparedRepeatable;
  /** The next slot to fire. */
  due: number;
  durable: boolean;
}

/** The scheduler loop; `defs` are in-process definitions (validated before the runner starts). */
export function repeatableScheduler(defs: RepeatableDef[], scanInterval: number): Scanner {
  const local = defs.map(prepareRepeatable);
  return async ({ queue, backend, signal }) => {
    // Without a repeatable store there is nothing durable to schedule (the runner refused local ones).
    if (backend.repeatables === undefined) return;
    const localDue = new Map<string, number>();
    const outage = new OutageLog(`the repeatable scheduler of queue "${queue}"`);
    while (!signal.aborted) {
      let wait = scanInterval;
      try {
        // Read in the round, so that a failed read (the backend briefly down) is retried next round.
        for (const p of local) {
          if (!localDue.has(p.id)) localDue.set(p.id, await firstDue(backend, queue, p));
        }
        const now = Date.now();
        for (const item of await collect(backend, queue, local, localDue)) {
          if (item.due <= now) {
            const next = await fire(backend, queue, item, now);
            if (!item.durable) localDue.set(item.prepared.id, next);
            wait = Math.min(wait, Math.max(0, next - Date.now()));
          } else {
            wait = Math.min(wait, item.due - now);
          }
        }
        outage.succeeded();
      } catch (err) {
        outage.failed(err, `every ${scanInterval} ms`);
      }
      await sleep(wait, signal);
    }
  };
}

/** In-process definitions start at their next slot, unless slots were missed since the last one fired. */
async function firstDue(backend: Backend, queue: string, p: PreparedRepeatable): Promise<number> {
  const now = Date.now();
  const last = await store(backend).lastSlot(queue, p.id);
  const latest = p.schedule.latestAtOrBefore(now);
  if (last !== null && latest !== null && latest > last) return latest;
  return p.schedule.nextAfter(now);
}

async function collect(
  backend: Backend,
  queue: string,
  local: PreparedRepeatable[],
  localDue: Map<string, number>,
): Promise<Due[]> {
  const items: Due[] = local.map((prepared) => ({
    prepared,
    due: localDue.get(prepared.id) as number,
    durable: false,
  }));
  for (const info of await store(backend).list(queue)) {
    if (info.paused || localDue.has(info.id)) continue;
    try {
      const prepared = prepareRepeatable({ ...(info.def as unknown as RepeatableDef), id: info.id });
      items.push({ prepared, due: info.nextRun, durable: true });
    } catch (err) {
      log().warn(`stored repeatable "${info.id}" of "${queue}" is invalid; skipping it`, err);
    }
  }
  return items;
}

/**
 * Fires `item`'s due slot; returns the next due time. A scheduler that is late (a busy event loop,
 * a slow engine) fires each slot in turn; one behind by more than two slots and more than a second
 * (downtime) fires only the latest slot: catch-up runs once.
 */
async function fire(backend: Backend, queue: string, item: Due, now: number): Promise<number> {
  const { schedule, def, id } = item.prepared;
  let slot = item.due;
  const latest = schedule.latestAtOrBefore(now);
  if (latest !== null && latest > schedule.nextAfter(slot) && now - slot > CATCH_UP_AFTER_MS) slot = latest;
  const nextRun = schedule.nextAfter(slot);
  await store(backend).fire(queue, {
    repeatId: id,
    slot,
    job: repeatableJob(def, id, slot, now),
    nextRun,
  });
  return nextRun;
}

/** The repeatable store; the runner refuses repeatables on a backend without one before it starts. */
function store(backend: Backend): RepeatableStore {
  if (backend.repeatables === undefined) throw new Error("this backend has no repeatable store");
  return backend.repeatables;
}
