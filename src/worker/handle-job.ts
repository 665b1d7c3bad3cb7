/**
 * One job's lifecycle: ttl check, handler lookup, execution with a signal that aborts on timeout,
 * cancel, lease loss or forced shutdown, then exactly one fenced write: completed, retry, failed,
 * expired, or released (handed back at shutdown).
 */
import { hostname } from "node:os";
import type { Backend, Finish } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { JobTimeoutError, serializeError, UnknownTaskError } from "../errors.js";
import { backoffDelay, type ClaimedJob, encodeJson, type JobRecord } from "../job.js";
import { withInherited } from "../job-options.js";
import { log } from "../logger.js";
import { getSettings } from "../settings.js";
import { getTask, type JobContext, type Task } from "../task.js";
import { ActiveJob } from "./active-job.js";
import { Finisher } from "./finisher.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { MetricsRecorder } from "./metrics-recorder.js";
import { type LongTimer, setLongTimeout } from "./timer.js";

/** What a runtime hands to each job it runs: its own batcher of finishes and its lease keeper. */
export interface RunContext {
  finisher: Finisher;
  keeper: LeaseKeeper;
  /** Every attempt, for shutdown to hand back (the keeper's are by id: a re-claimed job hides a hung attempt). */
  inflight?: Set<ActiveJob>;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs one job to its end. A job record that was not claimed (no lease token) is claimed first by
 * id, with a lease of settings.leaseDuration; if it is no longer waiting, nothing happens. Never
 * throws for a job's failure. `backend` defaults to the configured default backend.
 */
export async function handleJob(queueName: string, job: JobRecord, backend?: Backend): Promise<void> {
  const b = resolveBackend(backend);
  const leaseMs = getSettings().leaseDuration;
  const workerId = `${hostname()}:${process.pid}:handleJob`;
  const claimed =
    "token" in job && typeof job.token === "string"
      ? (job as ClaimedJob)
      : (await b.claim(queueName, { workerId, leaseMs, now: Date.now(), limit: 1, jobId: job.id }))[0];
  if (!claimed) return;
  const keeper = new LeaseKeeper(b, leaseMs);
  const recorder = MetricsRecorder.for(b);
  try {
    await runClaimedJob(b, queueName, claimed, { finisher: new Finisher(b, recorder), keeper });
  } finally {
    keeper.close();
    await recorder?.flush();
  }
}

/** Runs a claimed job; see the file header. */
export async function runClaimedJob(
  backend: Backend,
  queue: string,
  job: ClaimedJob,
  rt: RunContext,
): Promise<void> {
  const found = getTask(job.task);
  const effective = withInherited(job, found?.options);
  const { token } = job;

  if (effective.ttl !== undefined && Date.now() >= job.createdAt + effective.ttl) {
    await write(rt.finisher, queue, { kind: "expired", jobId: job.id, token });
    return;
  }

  const active = new ActiveJob(queue, job.id, token);
  rt.keeper.add(active);
  rt.inflight?.add(active);
  let timer: LongTimer | undefined;
  if (effective.timeout !== undefined) {
    const ms = effective.timeout;
    timer = setLongTimeout(
      () =>
        active.abort("timeout", new JobTimeoutError(`job ${job.id} (${job.task}) timed out after ${ms} ms`)),
      ms,
    );
  }

  let outcome: Outcome;
  try {
    outcome = found
      ? await execute(found, job, active, backend)
      : {
          ok: false,
          error: new UnknownTaskError(
            `no task named "${job.task}" is registered in this worker; import the module that defines it (e.g. --tasks ./tasks.js)`,
          ),
        };
  } finally {
    timer?.clear();
    rt.keeper.remove(active);
    rt.inflight?.delete(active);
  }

  switch (active.cause) {
    case "cancelled":
    case "lost":
      return; // the backend already moved the job; any write would be fenced out anyway
    case "shutdown":
      await write(rt.finisher, queue, { kind: "released", jobId: job.id, token });
      return;
    case "timeout":
      outcome = { ok: false, error: active.reason };
      break;
  }

  if (outcome.ok) {
    let resultJson: string | undefined;
    try {
      resultJson = outcome.value === undefined ? "null" : encodeJson(outcome.value, "result", null);
    } catch (err) {
      outcome = { ok: false, error: err };
    }
    if (resultJson !== undefined) {
      await write(rt.finisher, queue, { kind: "completed", jobId: job.id, token, resultJson }, job);
      return;
    }
  }
  const error = serializeError((outcome as { error: unknown }).error);
  if (job.attempts <= effective.maxRetries) {
    const runAt = Date.now() + backoffDelay(effective.backoff, job.attempts);
    await write(rt.finisher, queue, { kind: "retry", jobId: job.id, token, error, runAt }, job);
  } else {
    await write(rt.finisher, queue, { kind: "failed", jobId: job.id, token, error }, job);
  }
}

/** The handler's `ctx`: a class rather than closures, since one is made per job. */
class Context implements JobContext {
  constructor(
    // The claimed record itself (no copy per job); it also carries the lease token.
    readonly job: Readonly<ClaimedJob>,
    private readonly active: ActiveJob,
    private readonly backend: Backend,
  ) {}

  get signal(): AbortSignal {
    return this.active.signal;
  }

  async progress(value: number | Record<string, unknown>): Promise<void> {
    encodeJson(value, "progress", getSettings().maxPayloadBytes);
    await this.backend.updateProgress(this.job.queue, this.job.id, this.active.token, value);
  }

  async log(message: string): Promise<void> {
    await this.backend.addLog(this.job.queue, this.job.id, String(message));
  }
}

function execute(found: Task, job: ClaimedJob, active: ActiveJob, backend: Backend): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    // A handler that ignores its signal must not hold the job: the abort ends the wait.
    active.onAbort = (reason) => resolve({ ok: false, error: reason });
    try {
      const value = found.handler(job.data as never, new Context(job, active, backend));
      if (isThenable(value)) {
        value.then(
          (v) => resolve({ ok: true, value: v }),
          (error) => resolve({ ok: false, error }),
        );
      } else {
        resolve({ ok: true, value });
      }
    } catch (error) {
      resolve({ ok: false, error });
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** Finishes the attempt through the runtime's batcher; `job` gives the metrics its times. */
async function write(finisher: Finisher, queue: string, item: Finish, job?: ClaimedJob): Promise<void> {
  try {
    await finisher.finish(queue, item, job);
  } catch (err) {
    // The lease will expire and the stall sweeper hands the job back: nothing is lost.
    log().error(
      `could not record the end of job ${item.jobId} (${item.kind}); it will be recovered when its lease expires`,
      err,
    );
  }
}
