/**
 * Enqueue on Redis, all or nothing however large the batch. Up to ENQUEUE_CHUNK jobs go in one
 * script; a larger batch is one MULTI of a script per chunk, tied by a gate key (lua/enqueue.lua).
 * Scripts do not roll back, so nothing a script could refuse may reach a chunk after the first:
 * every job is checked here, before anything is sent, for what insert.lua cannot read or compute
 * with, and the one check only Redis can make (do the parents exist?) is the first chunk's.
 * Checking in Node costs about 1% of a bulk insert (0.3-0.5 µs a job); checking in Lua instead (a
 * second decode of every chunk) took 15-25% of Redis's time per chunk.
 */
import { randomUUID } from "node:crypto";
import { BackendError, ValidationError } from "../../errors.js";
import type { JobState } from "../../job.js";
import { isWellFormed, LONE_SURROGATE } from "../../json-value.js";
import type { ClaimOptions, EnqueueResult, NewJob } from "../backend.js";
import type { Applied, EnqueueAndClaim } from "../engine.js";
import { EffectsCollector } from "../shared/effects.js";
import { claimPeers, externalParents, missingParentError } from "../shared/rules.js";
import { sameButData } from "../shared/same-but-data.js";
import type { RedisConnection } from "./connection.js";
import { noteQueue, requireOneSlot } from "./queue-registry.js";
import { type EffectsReply, effectsOf, jobArgs, toClaimed } from "./records.js";
import type { ScriptArg } from "./scripts.js";

/**
 * Jobs per script. Each chunk is a script of its own inside the MULTI, so no one script runs long
 * enough for Redis to answer other clients BUSY, and no one argument grows with the batch.
 */
const ENQUEUE_CHUNK = 2000;

/** The fields of jobArgs, by position (the 23 strings insert.lua reads). */
const FIELDS = [
  "id",
  "task",
  "data",
  "priority",
  "maxRetries",
  "backoff",
  "ttl",
  "timeout",
  "createdAt",
  "runAt",
  "dependsOn",
  "onParentFailure",
  "removeOnComplete",
  "removeOnFail",
  "removeOnComplete code",
  "removeOnFail code",
  "inherit",
  "deduplication id",
  "deduplication ttl",
  "deduplication extend",
  "deduplication replace",
  "lifo",
  "trace context",
];

/** What enqueue.lua returns (with a claim, its records come last, as one list). */
type EnqueueReply =
  | ["ok", EffectsReply, ...Array<string | number | string[]>]
  | ["invalid", string]
  | ["aborted"];

/**
 * Stores `jobs` (at least one) in `queue`, all or none; with `claim`, a batch of one script then
 * claims for it in the same script (`claimed`; null for a larger batch: no claim made).
 * @throws ValidationError for a job Redis could not store, and for a missing parent; nothing is stored.
 */
export async function enqueueBatch(
  io: RedisConnection,
  queue: string,
  jobs: NewJob[],
  claim?: ClaimOptions,
): Promise<Applied<EnqueueAndClaim>> {
  const entries = jobEntries(queue, jobs);
  const external = externalParents(jobs);
  requireOneSlot(io, queue, external);
  const parents = JSON.stringify(external);
  if (jobs.length <= ENQUEUE_CHUNK) {
    const call: ScriptArg[] = ["only", "", parents, JSON.stringify(entries)];
    if (claim !== undefined) {
      const { workerId, now, limit, leaseMs } = claim;
      call.push(workerId, now, limit, leaseMs, randomUUID(), claimPeers(claim));
    }
    const reply = await io.run<EnqueueReply>(queue, "enqueue", call);
    await noteQueue(io, queue);
    // The claim's records: the last item of an "ok" reply, after the results' triples.
    const records = claim !== undefined && reply[0] === "ok" ? (reply.pop() as string[]) : [];
    const done = applied(queue, jobs.length, [reply]);
    const claimed = claim === undefined ? null : records.map((record) => toClaimed(queue, record));
    return { value: { results: done.value, claimed }, effects: done.effects };
  }
  // One MULTI: nothing interleaves, and a first chunk that rejects the batch (a missing parent)
  // leaves the gate unset, so every later chunk writes nothing either.
  const gate = randomUUID();
  const chunks = Math.ceil(jobs.length / ENQUEUE_CHUNK);
  const argLists: ScriptArg[][] = [];
  for (let c = 0; c < chunks; c++) {
    const role = c === 0 ? "first" : c === chunks - 1 ? "last" : "next";
    const chunk = JSON.stringify(entries.slice(c * ENQUEUE_CHUNK, (c + 1) * ENQUEUE_CHUNK));
    argLists.push([role, gate, c === 0 ? parents : "[]", chunk]);
  }
  const replies = await io.runAll<EnqueueReply>(queue, "enqueue", argLists);
  await noteQueue(io, queue);
  const done = applied(queue, jobs.length, replies);
  return { value: { results: done.value, claimed: null }, effects: done.effects };
}

/**
 * The jobs as enqueue.lua takes them, each checked (see unstorable): its jobArgs, or only its data
 * when it is the job before but for its data (as addBulk builds the jobs of one task without
 * options), which saves encoding, decoding and, in insert.lua, building its fields again. The
 * first job of each chunk is given whole.
 * @throws ValidationError for a job Redis could not store.
 */
export function jobEntries(queue: string, jobs: NewJob[]): Array<string[] | string> {
  const entries: Array<string[] | string> = [];
  let before: NewJob | undefined;
  for (let i = 0; i < jobs.length; i++) {
    const job = jobs[i] as NewJob;
    if (i % ENQUEUE_CHUNK !== 0 && before !== undefined && sameButData(before, job)) {
      // The rest was checked with the job before.
      if (!isWellFormed(job.dataJson)) throw unstorableError(queue, i, `its data ${LONE_SURROGATE}`);
      entries.push(job.dataJson);
      continue;
    }
    const args = jobArgs(job);
    const why = unstorable(job, args);
    if (why !== undefined) throw unstorableError(queue, i, why);
    entries.push(args);
    before = job;
  }
  return entries;
}

function unstorableError(queue: string, index: number, why: string): ValidationError {
  return new ValidationError(
    `Redis cannot store job ${index + 1} of this batch for queue "${queue}": ${why}; nothing was stored`,
  );
}

/**
 * Why insert.lua could not store a job, or undefined: Redis's cjson refuses a lone surrogate in
 * any field (and in the parent ids it decodes again), and the numbers it computes with must be
 * numbers. Jobs built by Queue.add/addBulk always pass (src/job.ts refuses such input first).
 */
function unstorable(job: NewJob, args: string[]): string | undefined {
  for (let f = 0; f < args.length; f++) {
    if (!isWellFormed(args[f] as string)) return `its ${FIELDS[f]} ${LONE_SURROGATE}`;
  }
  for (const parent of job.dependsOn ?? []) {
    if (typeof parent !== "string" || !isWellFormed(parent))
      return `its dependsOn ids must be well-formed strings`;
  }
  // Number.isFinite is false for anything but a finite number; absent options count as 0.
  if (!Number.isFinite(job.priority)) return "its priority is not a finite number";
  if (!Number.isFinite(job.maxRetries)) return "its maxRetries is not a finite number";
  if (!Number.isFinite(job.createdAt)) return "its createdAt is not a finite number";
  if (!Number.isFinite(job.ttl ?? 0)) return "its ttl is not a finite number";
  if (!Number.isFinite(job.timeout ?? 0)) return "its timeout is not a finite number";
  if (!Number.isFinite(job.runAt ?? 0)) return "its runAt is not a finite number";
  if (!Number.isFinite(job.dedup?.ttl ?? 0)) return "its deduplication ttl is not a finite number";
  return undefined;
}

/** The results of the replies (one per chunk), in order, with their effects. */
function applied(queue: string, expected: number, replies: EnqueueReply[]): Applied<EnqueueResult[]> {
  const results: EnqueueResult[] = [];
  const effects = new EffectsCollector(true);
  for (const reply of replies) {
    if (reply[0] === "invalid") throw missingParentError(queue, reply[1]);
    if (reply[0] === "aborted") continue;
    effects.add(effectsOf(reply[1]));
    for (let i = 2; i < reply.length; i += 3) {
      results.push({
        id: reply[i] as string,
        state: reply[i + 1] as JobState,
        duplicate: reply[i + 2] === 1,
      });
    }
  }
  if (results.length !== expected) {
    // Cannot happen: the first chunk set the gate, so every chunk ran.
    throw new BackendError(`Redis stored ${results.length} of ${expected} jobs of a batch for "${queue}"`);
  }
  return { value: results, effects: effects.take() };
}
