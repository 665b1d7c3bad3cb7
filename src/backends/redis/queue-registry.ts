/**
 * The set of queue names "<G>queues" (listQueues). On one server, and on a cluster whose prefix has
 * a hash tag, the queue scripts keep it (listQueue in lua/includes/base.lua) and list-queues.lua
 * reads and prunes it in one step. On a cluster with a hash tag per queue ("spread") it is in
 * another slot than every queue, so plain commands keep it, and in this order, so a queue with a
 * job is never left out for good: `noteQueue` runs after the script that gave the queue a job (a
 * repeatable, a pause flag), and `listQueues` removes a queue it found empty, then checks again and
 * puts it back if it got something meanwhile (whichever of the two ran last sees the job).
 * Flows across queues are refused there (`requireOneSlot`): a script reaches one slot only.
 */
import { ValidationError } from "../../errors.js";
import { dependencyRef } from "../shared/rules.js";
import type { RedisConnection } from "./connection.js";

/**
 * The indexes that together hold every job of a queue once: one per state by creation sequence,
 * and `active` by lease expiry (JOB_SETS of lua/includes/base.lua is the same list).
 */
export const JOB_SETS = [
  "s:waiting",
  "s:delayed",
  "s:waiting-children",
  "active",
  "s:completed",
  "s:failed",
  "s:expired",
  "s:cancelled",
] as const;

/** A queue is in use while one of these keys exists: a job index, its repeatables, its pause flag. */
const IN_USE_KEYS = [...JOB_SETS, "repeat", "paused"];

/** After a script that may have put the queue in use: adds it to the set when spread (else the script did). */
export async function noteQueue(io: RedisConnection, queue: string): Promise<void> {
  if (io.spread) await io.call((r) => r.sadd(`${io.global}queues`, queue));
}

/** After obliterate deleted the queue's last keys: removes it from the set when spread. */
export async function forgetQueue(io: RedisConnection, queue: string): Promise<void> {
  if (io.spread) await io.call((r) => r.srem(`${io.global}queues`, queue));
}

/** The queues that have a job, a repeatable or a pause flag, sorted; drops the others from the set. */
export async function listQueues(io: RedisConnection): Promise<string[]> {
  const set = `${io.global}queues`;
  if (!io.spread) {
    return (await io.runGlobal<string[]>("list-queues", [`${io.prefix}:`, set], IN_USE_KEYS)).sort();
  }
  const names = await io.call((r) => r.smembers(set));
  const kept = await Promise.all(
    names.map(async (name) => {
      if (await inUse(io, name)) return name;
      await io.call((r) => r.srem(set, name));
      if (!(await inUse(io, name))) return undefined;
      await io.call((r) => r.sadd(set, name));
      return name;
    }),
  );
  return kept.filter((name): name is string => name !== undefined).sort();
}

/** Whether the queue has a job, a repeatable or a pause flag (list-queues.lua's test). */
async function inUse(io: RedisConnection, queue: string): Promise<boolean> {
  const q = io.keyOf(queue);
  const found = await io.call((r) => r.exists(...IN_USE_KEYS.map((suffix) => `${q}${suffix}`)));
  return found > 0;
}

/**
 * @throws ValidationError when spread and a dependsOn entry names a job of another queue: its
 *   keys are in another slot, which no script of this queue can reach.
 */
export function requireOneSlot(io: RedisConnection, queue: string, parents: readonly string[]): void {
  if (!io.spread) return;
  for (const entry of parents) {
    const ref = dependencyRef(queue, entry);
    if (ref.queue === queue) continue;
    throw new ValidationError(
      `dependsOn: job "${ref.id}" is in queue "${ref.queue}", not "${queue}"; on a Redis Cluster a flow across queues needs every queue in one slot: give the backend a prefix with a hash tag, such as "{${io.prefix}}" (docs/scaling.md)`,
    );
  }
}
