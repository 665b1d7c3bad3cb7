/**
 * How a failed attempt ends: retried after its backoff, or failed for good. A job fails for good
 * when it has no retries left, its handler threw an UnrecoverableError, or its custom backoff
 * returned -1 or cannot be applied in this worker (not registered, threw, returned no delay).
 */
import type { Finish, JobError } from "../backends/backend.js";
import { getBackoff } from "../backoff-registry.js";
import { isUnrecoverable, serializeError } from "../errors.js";
import { backoffDelay, type ClaimedJob, isBackoffPolicy, type JobRecord, MAX_DURATION_MS } from "../job.js";
import { errorLine, jobLogFields, log } from "../logger.js";

/** The finish of attempt `job.attempts`, which failed with `thrown`. */
export async function failedAttemptEnd(
  job: ClaimedJob,
  maxRetries: number,
  backoff: JobRecord["backoff"],
  thrown: unknown,
): Promise<Finish> {
  const { id: jobId, token } = job;
  const error = serializeError(thrown);
  if (job.attempts > maxRetries || isUnrecoverable(thrown)) return { kind: "failed", jobId, token, error };
  if (backoff === undefined || typeof backoff === "number" || isBackoffPolicy(backoff)) {
    return { kind: "retry", jobId, token, error, runAt: Date.now() + backoffDelay(backoff, job.attempts) };
  }
  const delay = await customDelay(backoff.type, job, thrown);
  if (delay === -1) return { kind: "failed", jobId, token, error };
  if (typeof delay === "number") return { kind: "retry", jobId, token, error, runAt: Date.now() + delay };
  // A backoff this worker cannot apply: failed, the reason beside the handler's error (retryJob puts it back).
  log().warn(
    `job ${jobId} of "${job.queue}" (${job.task}) was not retried: ${delay.problem}`,
    jobLogFields(job),
  );
  return { kind: "failed", jobId, token, error: notRetried(error, delay.problem) };
}

/** The custom strategy's delay (ms, or -1), or why there is none. */
async function customDelay(
  name: string,
  job: ClaimedJob,
  thrown: unknown,
): Promise<number | { problem: string }> {
  const strategy = getBackoff(name);
  if (strategy === undefined) {
    return {
      problem: `no backoff strategy named "${name}" is registered in this worker; call registerBackoff("${name}", fn) in the worker's process, then retry the job`,
    };
  }
  let ms: unknown;
  try {
    ms = await strategy(job.attempts, thrown, job);
  } catch (err) {
    return { problem: `backoff strategy "${name}" threw: ${errorLine(err)}` };
  }
  if (ms === -1) return -1;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    return { problem: `backoff strategy "${name}" returned ${String(ms)}, not a delay in ms (>= 0) or -1` };
  }
  return Math.min(Math.round(ms), MAX_DURATION_MS);
}

function notRetried(error: JobError, problem: string): JobError {
  return { ...error, message: `${error.message} (not retried: ${problem})` };
}
