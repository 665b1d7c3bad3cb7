/**
 * One job's lifecycle: ttl check, handler lookup, execution with a signal that aborts on timeout,
 * cancel, lease loss or forced shutdown, then exactly one fenced write: completed, retry, failed,
 * expired, released (handed back at shutdown, or rate limited by its handler under its worker's
 * hold), delayed (rate limited under a queue-wide hold, until it ends), or, for a step job whose
 * handler moved it on, delayed (ctx.moveToDelayed) or waiting-children (ctx.moveToWaitingChildren).
 */
import { hostname } from "node:os";
import type { Backend, Finish } from "../backends/backend.js";
import { resolveBackend } from "../backends/registry.js";
import { dependencyRef, missingChildError } from "../backends/shared/rules.js";
import { isFatal, JobTimeoutError, UnknownTaskError } from "../errors.js";
import {
  type ClaimedJob,
  checkChildIds,
  type DependencyRef,
  encodeJson,
  type JobRecord,
  storableText,
} from "../job.js";
import { withInherited } from "../job-options.js";
import { errorLine, jobLogFields, log } from "../logger.js";
import { RateLimitError, rateLimitDelay } from "../rate-limit-error.js";
import { getSettings } from "../settings.js";
import { delayedMove, delayedWithData, WaitingChildrenError, waitingChildrenOf } from "../step-errors.js";
import { getTask, type JobContext, type Task } from "../task.js";
import { traceAttempt } from "../telemetry/attempt.js";
import { loadOtelApi, otelApi } from "../telemetry/otel-api.js";
import { ActiveJob } from "./active-job.js";
import { Finisher } from "./finisher.js";
import { reportGivenUp } from "./given-up.js";
import { LeaseKeeper } from "./lease-keeper.js";
import { MetricsRecorder } from "./metrics-recorder.js";
import { failedAttemptEnd } from "./retry-policy.js";
import { unknownTaskHint } from "./tasks-source.js";
import { type LongTimer, setLongTimeout } from "./timer.js";

/** What a runtime hands to each job it runs: its own batcher of finishes and its lease keeper. */
export interface RunContext {
  finisher: Finisher;
  keeper: LeaseKeeper;
  /** Every attempt, for shutdown to hand back (the keeper's are by id: a re-claimed job hides a hung attempt). */
  inflight?: Set<ActiveJob>;
  /**
   * Holds claims for `ms` after a handler's RateLimitError (the queue's or this worker's); true when
   * every worker of the queue is held. Default: no hold.
   */
  rateLimited?: (ms: number) => Promise<boolean>;
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

/**
 * Runs a claimed job; see the file header. `held`: the job's lease as kept while it waited for a
 * slot (a worker's prefetch), which this run takes over. `ended`: called once the handler is done,
 * before the end is written (a worker's prefetch frees the slot then).
 */
export async function runClaimedJob(
  backend: Backend,
  queue: string,
  job: ClaimedJob,
  rt: RunContext,
  held?: ActiveJob,
  ended?: () => void,
): Promise<void> {
  const found = getTask(job.task);
  const effective = withInherited(job, found?.options);
  const { token } = job;

  if (effective.ttl !== undefined && Date.now() >= job.createdAt + effective.ttl) {
    ended?.();
    await write(rt.finisher, queue, { kind: "expired", jobId: job.id, token });
    return;
  }

  const active = held ?? ActiveJob.of(queue, job, rt.keeper.leaseMs);
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

  // The optional OpenTelemetry API is loaded once, by the first job; no span when it is absent.
  if (otelApi() === undefined) await loadOtelApi();
  const span = traceAttempt(queue, job);
  let outcome: Outcome;
  try {
    outcome = found
      ? await (span
          ? span.run(() => execute(found, job, active, backend))
          : execute(found, job, active, backend))
      : {
          ok: false,
          error: new UnknownTaskError(
            `no task named "${job.task}" is registered in this worker; ${unknownTaskHint()}`,
          ),
        };
  } finally {
    timer?.clear();
    active.ended = true;
    ended?.();
  }
  if (active.cause !== undefined && active.cause !== "timeout") {
    reportGivenUp({
      queue,
      jobId: job.id,
      task: job.task,
      cause: active.cause,
      reason: active.reason?.message ?? active.cause,
    });
  }

  // The job stays with the lease keeper (renewed) and in flight (shutdown waits for it) until its
  // end is written, which may take retries while the backend is briefly down.
  try {
    const limited = active.cause === undefined && !outcome.ok ? rateLimitDelay(outcome.error) : null;
    // Rate limited: the hold first, since the hand-back wakes the queue's workers, which must find it.
    // A queue-wide hold keeps the job delayed until it ends: a claim that took its token before the
    // hold was written (another worker's, already on its way) must not take the job back early.
    const queueHeld = limited !== null && (await rt.rateLimited?.(limited)) === true;
    const item: Finish | null =
      limited === null
        ? await endOf(job, effective.maxRetries, effective.backoff, active, outcome)
        : queueHeld
          ? { kind: "delayed", jobId: job.id, token, runAt: Date.now() + limited }
          : { kind: "released", jobId: job.id, token };
    span?.end(item, active.cause);
    // A hand-back at shutdown is not retried: the shutdown would wait for it; the lease expiring does as well.
    if (item && active.cause === "shutdown") await write(rt.finisher, queue, item);
    else if (item) await write(rt.finisher, queue, item, job, active);
  } finally {
    rt.keeper.remove(active);
    rt.inflight?.delete(active);
  }
}

/**
 * The write that ends the attempt, from how the handler ended; null when there is none to make.
 * A promise only for a failure (its backoff may be a custom strategy's, which is async): not one
 * more promise per completed job.
 */
function endOf(
  job: ClaimedJob,
  maxRetries: number,
  backoff: JobRecord["backoff"],
  active: ActiveJob,
  outcome: Outcome,
): Finish | null | Promise<Finish> {
  const { id: jobId, token } = job;
  switch (active.cause) {
    case "cancelled":
    case "lost":
      return null; // the backend already moved the job; any write would be fenced out anyway
    case "shutdown":
      return { kind: "released", jobId, token };
    case "timeout":
      outcome = { ok: false, error: active.reason };
      break;
  }
  if (outcome.ok) {
    try {
      const resultJson = outcome.value === undefined ? "null" : encodeJson(outcome.value, "result", null);
      return { kind: "completed", jobId, token, resultJson };
    } catch (err) {
      outcome = { ok: false, error: err };
    }
  }
  const { error } = outcome as { error: unknown };
  // A step job moving on (ctx.moveToDelayed) is no failure: the attempt does not count.
  const move = delayedMove(error);
  if (move !== null) return { kind: "delayed", jobId, token, ...move };
  const childIds = waitingChildrenOf(error);
  if (childIds !== null) return { kind: "waiting-children", jobId, token, childIds };
  return failedAttemptEnd(job, maxRetries, backoff, error);
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
    await this.backend.addLog(this.job.queue, this.job.id, storableText(String(message)));
  }

  rateLimit(delay?: number | string): never {
    throw new RateLimitError(delay);
  }

  async updateData(data: unknown): Promise<void> {
    const dataJson = encodeJson(data, "data", getSettings().maxPayloadBytes);
    await this.backend.updateData(this.job.queue, this.job.id, dataJson);
  }

  async moveToWaitingChildren(childIds: readonly DependencyRef[]): Promise<never> {
    const { queue, id } = this.job;
    const entries = checkChildIds(childIds, id, queue);
    const found = await Promise.all(
      entries.map((entry) => {
        const ref = dependencyRef(queue, entry);
        return this.backend.getJob(ref.queue, ref.id);
      }),
    );
    const missing = entries.find((_, i) => found[i] === null);
    if (missing !== undefined) throw missingChildError(queue, missing);
    throw new WaitingChildrenError(entries);
  }

  async childrenValues(): Promise<Record<string, unknown>> {
    return (await this.backend.getDependencyResults(this.job.queue, this.job.id)).values;
  }

  async childrenFailures(): Promise<Record<string, string>> {
    return (await this.backend.getDependencyResults(this.job.queue, this.job.id)).failures;
  }

  moveToDelayed(runAt: number | Date, data?: unknown): never {
    const dataJson = data === undefined ? undefined : encodeJson(data, "data", getSettings().maxPayloadBytes);
    throw delayedWithData(runAt, dataJson);
  }
}

/**
 * Runs the handler. A handler that returns (or throws) without a promise has its outcome at once, with
 * no promise to wait on: the wait and its abort hook are made only for a thenable.
 */
function execute(
  found: Task,
  job: ClaimedJob,
  active: ActiveJob,
  backend: Backend,
): Outcome | Promise<Outcome> {
  // Aborted while its synchronous part ran (before a hook could exist): the abort wins over what
  // it returned or threw, as it would over a promise, and a pending promise is not waited for.
  let value: unknown;
  try {
    value = found.handler(job.data as never, new Context(job, active, backend));
  } catch (error) {
    return { ok: false, error: active.reason ?? error };
  }
  if (active.reason !== undefined) return { ok: false, error: active.reason };
  if (!isThenable(value)) return { ok: true, value };
  const pending = value;
  return new Promise<Outcome>((resolve) => {
    // A handler that ignores its signal must not hold the job: the abort ends the wait.
    active.onAbort = (reason) => resolve({ ok: false, error: reason });
    pending.then(
      (v) => resolve({ ok: true, value: v }),
      (error) => resolve({ ok: false, error }),
    );
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/**
 * Finishes the attempt through the runtime's batcher; `job` gives the metrics its times. With
 * `active`, a failed write is retried while the lease holds (see Finisher).
 */
function write(
  finisher: Finisher,
  queue: string,
  item: Finish,
  job?: ClaimedJob,
  active?: ActiveJob,
): Promise<unknown> {
  // A handler on the finisher's promise rather than an async function: one promise less per job.
  return finisher.finish(queue, item, job, active).catch((err: unknown) => {
    // A fatal backend error (a corrupt SQLite file) stops the runtime, which reports it once.
    if (isFatal(err)) return;
    // The lease will expire and the stall sweeper hands the job back: nothing is lost.
    log().warn(
      `could not record the end of job ${item.jobId} of "${queue}" (${item.kind}): ${errorLine(err)}; the job goes back to its queue once its lease expires`,
      { ...(job ? jobLogFields(job) : { queue, jobId: item.jobId }), error: errorLine(err) },
    );
  });
}
