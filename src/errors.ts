/**
 * Every error asyncmq throws is an {@link AsyncMQError}. Messages say what was wrong and what to do.
 */
export class AsyncMQError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid input: a bad option, duration, payload, id, cron expression, ... Nothing was written. */
export class ValidationError extends AsyncMQError {}

/** The JSON-encoded payload is larger than `maxPayloadBytes`. Nothing was written. */
export class PayloadTooLargeError extends ValidationError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `payload is ${size} bytes, above the ${limit}-byte limit (maxPayloadBytes); store large data elsewhere and pass a reference, or raise maxPayloadBytes`,
    );
  }
}

/** A job ran longer than its `timeout`; its `ctx.signal` was aborted with this reason. */
export class JobTimeoutError extends AsyncMQError {}

/** A job was cancelled (or its lease lost) while it ran; its `ctx.signal` was aborted with this reason. */
export class JobCancelledError extends AsyncMQError {}

/**
 * Stored on a job (as `error.name`) that stalled more than `maxStalledCount` times: its worker kept
 * dying or blocking its event loop while running it (a poison job).
 */
export class JobStalledError extends AsyncMQError {}

/**
 * Stored on a job (as `error.name`) whose parent failed, expired, was cancelled or was removed, under
 * `onParentFailure: "fail"`.
 */
export class ParentFailedError extends AsyncMQError {}

/**
 * Thrown by a handler: the job fails at once, whatever retries it has left (no backoff, no
 * `job:retrying`); it goes to the dead-letter list like any final failure. Subclass it for your own
 * errors that retrying cannot mend (bad input, a missing record).
 */
export class UnrecoverableError extends AsyncMQError {}

// A brand, not `instanceof`: a global CLI running a project's tasks has two copies of this module
// (see the task registry), and the handler throws the project's class.
const UNRECOVERABLE = Symbol.for("asyncmq.UnrecoverableError");
Object.defineProperty(UnrecoverableError.prototype, UNRECOVERABLE, { value: true });

/** Whether `err` is an {@link UnrecoverableError} (or a subclass), from any copy of asyncmq. */
export function isUnrecoverable(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[UNRECOVERABLE] === true;
}

/**
 * Stored on a job (as `error.name`) whose sandboxed handler's thread or process ended before the job
 * did (`process.exit`, out of memory, killed from outside); the job's retries apply.
 */
export class SandboxCrashError extends AsyncMQError {}

/** No task with the job's name is registered in the worker's process. */
export class UnknownTaskError extends AsyncMQError {}

/** The storage engine failed or is unreachable. */
export class BackendError extends AsyncMQError {
  /**
   * True when the backend cannot be used any more and retrying cannot help (a corrupt SQLite file):
   * the backend refuses every later call with this same error, and workers stop instead of retrying.
   * False (the default) for what may pass: an unreachable server, a lock held too long.
   */
  readonly fatal: boolean;

  constructor(message: string, options?: { cause?: unknown; fatal?: boolean }) {
    super(message, options);
    this.fatal = options?.fatal ?? false;
  }
}

/** Whether `err` is a fatal BackendError: the backend is unusable, so retrying cannot help. */
export function isFatal(err: unknown): boolean {
  return err instanceof BackendError && err.fatal;
}

/** A JSON-friendly copy of an error, as stored on a job. */
export function serializeError(err: unknown): { name: string; message: string; stack?: string } {
  if (err instanceof Error) {
    return { name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { name: "Error", message: typeof err === "string" ? err : safeString(err) };
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** No job with that id is in the queue (never added, or removed). */
export class JobNotFoundError extends AsyncMQError {}

/**
 * `queue.waitFor` (or `task.enqueueAndWait`): the job ended without a result. `message` is its
 * error's message (as BullMQ's `waitUntilFinished` rejects), `jobError` the stored error.
 */
export class JobFailedError extends AsyncMQError {
  constructor(
    readonly jobId: string,
    /** How it ended. */
    readonly state: "failed" | "expired" | "cancelled",
    /** The error stored on the job (name, message, stack); for an expired or cancelled job, made up. */
    readonly jobError: { name: string; message: string; stack?: string },
  ) {
    super(jobError.message);
  }
}

/** `queue.waitFor` gave up after its `timeout`; the job itself goes on. */
export class WaitTimeoutError extends AsyncMQError {
  constructor(
    readonly jobId: string,
    message: string,
  ) {
    super(message);
  }
}
