/**
 * Enqueues repeatable jobs on their slots: the runner's in-process definitions and the queue's durable
 * ones (reloaded every round, so changes by other processes apply). Every scheduler in every process
 * computes the same slot times and fires through `backend.repeatables.fire`, which enqueues a slot at
 * most once, so any number of schedulers produce exactly one job per slot.
 *
 * Missed slots (downtime: behind by more than two slots and more than a second) run once on
 * catch-up, never as a burst.
 * A new definition's first slot is the first one after it is first seen (or the current one, with
 * `immediately`). A definition whose `limit` is used up (runs counted by the backend, which refuses
 * the slot past it) or whose next slot is after its `endDate` is skipped.
 */
import type { Backend, RepeatableStore } from "../backends/backend.js";
import { log, OutageLog } from "../logger.js";
import {
  firstSlot,
  hasEnded,
  latestSlot,
  type PreparedRepeatable,
  prepareRepeatable,
  type RepeatableDef,
  repeatableJob,
} from "../schedule/repeatable-def.js";
import type { Scanner } from "./scanners.js";
import { WakeFlag } from "./wait.js";

/** Behind by more than two slots AND this long counts as downtime: only the latest slot fires. */
const CATCH_UP_AFTER_MS = 1000;

/** Where an in-process definition stands: its next slot and the runs the backend counted. */
interface LocalState {
  due: number;
  runs: number;
}

interface Due extends LocalState {
  prepared: PreparedRepeatable;
  durable: boolean;
}

/**
 * The scheduler loop; `defs` are in-process definitions (validated before the runner starts).
 * `durable`: whether to schedule the durable definitions too (the runtime: while it leads the queue).
 */
export function repeatableScheduler(
  defs: RepeatableDef[],
  scanInterval: number,
  durable: () => boolean = () => true,
  idleMs = scanInterval,
): Scanner {
  const local = defs.map(prepareRepeatable);
  return async ({ queue, backend, signal }) => {
    // Without a repeatable store there is nothing durable to schedule (the runner refused local ones).
    if (backend.repeatables === undefined) return;
    const localState = new Map<string, LocalState>();
    const outage = new OutageLog(`the repeatable scheduler of queue "${queue}"`, { queue });
    // A stored definition changed (upsert and setPaused wake "delayed"): read them again.
    const wake = new WakeFlag(backend, queue, (reason) => reason === "delayed");
    try {
      while (!signal.aborted) await round();
    } finally {
      wake.close();
    }

    /**
     * One look: fires what is due, then sleeps until the next slot. Scheduling the stored
     * definitions, it sleeps at most `idleMs` (a change wakes it, at most once per scanInterval);
     * else `scanInterval`, to take them up soon after this runtime becomes the queue's leader.
     */
    async function round(): Promise<void> {
      wake.arm();
      const started = Date.now();
      let wait = durable() ? Math.max(idleMs, scanInterval) : scanInterval;
      try {
        // Read in the round, so that a failed read (the backend briefly down) is retried next round.
        for (const p of local) {
          if (!localState.has(p.id)) localState.set(p.id, await firstDue(backend, queue, p));
        }
        const now = Date.now();
        for (const item of await collect(backend, queue, local, localState, durable())) {
          if (hasEnded(item.prepared, item.runs, item.due)) continue;
          if (item.due <= now) {
            const next = await fire(backend, queue, item, now);
            if (!item.durable)
              localState.set(item.prepared.id, { due: next, runs: await runsOf(backend, queue, item) });
            wait = Math.min(wait, Math.max(0, next - Date.now()));
          } else {
            wait = Math.min(wait, item.due - now);
          }
        }
        outage.succeeded();
      } catch (err) {
        outage.failed(err, `every ${scanInterval} ms`);
        wait = scanInterval;
      }
      // Woken by a change before the next slot: no more than one look per scanInterval.
      await wake.waitSpaced(wait, started + scanInterval, signal);
    }
  };
}

/**
 * In-process definitions start at their first slot (see firstSlot), unless slots were missed since
 * the last one fired: then at the latest.
 */
async function firstDue(backend: Backend, queue: string, p: PreparedRepeatable): Promise<LocalState> {
  const now = Date.now();
  const last = await store(backend).lastFired(queue, p.id);
  const latest = latestSlot(p, now);
  if (last !== null && latest !== null && latest > last.slot) return { due: latest, runs: last.runs };
  return { due: firstSlot(p, now, last !== null), runs: last?.runs ?? 0 };
}

/** The runs the backend counted after `item` fired; only a limited definition needs them. */
async function runsOf(backend: Backend, queue: string, item: Due): Promise<number> {
  if (item.prepared.limit === undefined) return item.runs;
  return (await store(backend).lastFired(queue, item.prepared.id))?.runs ?? item.runs;
}

async function collect(
  backend: Backend,
  queue: string,
  local: PreparedRepeatable[],
  localState: Map<string, LocalState>,
  durable: boolean,
): Promise<Due[]> {
  const items: Due[] = local.map((prepared) => ({
    prepared,
    ...(localState.get(prepared.id) as LocalState),
    durable: false,
  }));
  if (!durable) return items;
  for (const info of await store(backend).list(queue)) {
    if (info.paused || localState.has(info.id)) continue;
    try {
      const prepared = prepareRepeatable({ ...(info.def as unknown as RepeatableDef), id: info.id });
      items.push({ prepared, due: info.nextRun, runs: info.runs ?? 0, durable: true });
    } catch (err) {
      log().warn(`stored repeatable "${info.id}" of "${queue}" is invalid; skipping it`, {
        queue,
        repeatable: info.id,
        err,
      });
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
  const { schedule, def, id, limit } = item.prepared;
  let slot = item.due;
  const latest = latestSlot(item.prepared, now);
  if (latest !== null && latest > schedule.nextAfter(slot) && now - slot > CATCH_UP_AFTER_MS) slot = latest;
  const nextRun = schedule.nextAfter(slot);
  await store(backend).fire(queue, {
    repeatId: id,
    slot,
    job: repeatableJob(def, id, slot, now),
    nextRun,
    ...(limit !== undefined ? { limit } : {}),
  });
  return nextRun;
}

/** The repeatable store; the runner refuses repeatables on a backend without one before it starts. */
function store(backend: Backend): RepeatableStore {
  if (backend.repeatables === undefined) throw new Error("this backend has no repeatable store");
  return backend.repeatables;
}
