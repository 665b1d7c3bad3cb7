/**
 * `finishAndClaim` for an engine whose finish and claim are separate transitions that may be sent
 * at once: Redis (two scripts pipelined on one connection, run in that order, so one round trip)
 * and PostgreSQL (two statements on two pooled connections, their round trips and commits
 * overlapping). The claimed jobs start only once both are answered, in the slots the ended
 * attempts free, so a worker never runs more jobs than its concurrency.
 */
import type { ClaimOptions, Finish, FinishAndClaim } from "../backend.js";
import type { Applied, JobStore } from "../engine.js";
import { EffectsCollector } from "./effects.js";

/**
 * Sends `finish(items)` and then `claim(claim)` without waiting between them (`inTurn`: the claim
 * once the finish is answered, for a claim that must see it). A failed claim returns no jobs (the
 * finish stands; the claim loop claims on its own). A failed finish fails the call, after handing
 * back (`released`) what the claim took, which no one would run.
 */
export async function finishWhileClaiming(
  jobs: Pick<JobStore, "finish" | "claim">,
  queue: string,
  items: Finish[],
  now: number,
  claim: ClaimOptions,
  inTurn = false,
): Promise<Applied<FinishAndClaim>> {
  const finishing = jobs.finish(queue, items, now);
  const claiming = inTurn ? finishing.then(() => jobs.claim(queue, claim)) : jobs.claim(queue, claim);
  const [ended, taken] = await Promise.allSettled([finishing, claiming]);
  if (ended.status === "rejected") {
    if (taken.status === "fulfilled" && taken.value.value.length > 0) {
      const back: Finish[] = taken.value.value.map((job) => ({
        kind: "released",
        jobId: job.id,
        token: job.token,
      }));
      // Best effort: if this fails too, the leases lapse and the stall sweeper hands the jobs back.
      await jobs.finish(queue, back, Date.now()).catch(() => undefined);
    }
    throw ended.reason;
  }
  // The steps built their events only where wanted: keep all they have.
  const signals = new EffectsCollector(true);
  signals.add(ended.value.effects);
  let claimed: FinishAndClaim["claimed"] = [];
  if (taken.status === "fulfilled") {
    claimed = taken.value.value;
    signals.add(taken.value.effects);
  }
  return { value: { held: ended.value.value, claimed }, effects: signals.take() };
}
