/**
 * DelayedError and WaitingChildrenError: how a step job's handler ends its attempt early
 * (`ctx.moveToDelayed`, `ctx.moveToWaitingChildren`). In their own module, as RateLimitError,
 * because they read times (job.ts), which errors.ts must not import.
 */
import { AsyncMQError } from "./errors.js";
import { toRunAt } from "./job.js";

/**
 * Thrown by `ctx.moveToDelayed(runAt, data)` (a step job, as BullMQ's `DelayedError`): the job goes
 * back to `delayed` until `runAt` (or `waiting` when that has passed) without using an attempt, and
 * its next run starts the handler again with the data given. Let it propagate: a handler that
 * catches errors must rethrow it (`if (err instanceof DelayedError) throw err`).
 */
export class DelayedError extends AsyncMQError {
  /** When the job runs again (epoch ms). */
  readonly runAt: number;

  /**
   * @param runAt When the job runs again: epoch ms or a Date (at most 100 years ahead).
   * @param message Default `"moved to delayed until <ISO time>"`.
   * @throws ValidationError on a bad runAt.
   */
  constructor(runAt: number | Date, message?: string) {
    const at = toRunAt(runAt, Date.now());
    super(message ?? `moved to delayed until ${new Date(at).toISOString()}`);
    this.runAt = at;
  }
}

// Branded, as UnrecoverableError is (see errors.ts); the new data rides under a symbol, not in the API.
const DELAYED = Symbol.for("asyncmq.DelayedError");
const DATA = Symbol.for("asyncmq.DelayedError.data");
Object.defineProperty(DelayedError.prototype, DELAYED, { value: true });

/** A DelayedError that also replaces the job's data with `dataJson` (already validated). */
export function delayedWithData(runAt: number | Date, dataJson: string | undefined): DelayedError {
  const err = new DelayedError(runAt);
  if (dataJson !== undefined) Object.defineProperty(err, DATA, { value: dataJson });
  return err;
}

/** The move a {@link DelayedError} from any copy of asyncmq asks for, or null when `err` is none. */
export function delayedMove(err: unknown): { runAt: number; dataJson?: string } | null {
  if (typeof err !== "object" || err === null) return null;
  const branded = err as Record<symbol, unknown>;
  if (branded[DELAYED] !== true) return null;
  const dataJson = branded[DATA];
  const { runAt } = err as DelayedError;
  return typeof dataJson === "string" ? { runAt, dataJson } : { runAt };
}

/**
 * Thrown by `ctx.moveToWaitingChildren(ids)` (a step job, as BullMQ's `WaitingChildrenError`): the
 * job waits in `waiting-children` until the jobs `childIds` complete (as with `dependsOn`, which
 * becomes `childIds`; a child failing fails it, or not, by its `onParentFailure`), without using an
 * attempt, then runs the handler again. Let it propagate, as a DelayedError.
 */
export class WaitingChildrenError extends AsyncMQError {
  /** The jobs it waits for (ids in its queue). */
  readonly childIds: readonly string[];

  /** @param childIds The jobs to wait for, already checked by `ctx.moveToWaitingChildren`. */
  constructor(childIds: readonly string[]) {
    super(`waiting for children ${childIds.join(", ")}`);
    this.childIds = Object.freeze([...childIds]);
  }
}

const WAITING_CHILDREN = Symbol.for("asyncmq.WaitingChildrenError");
Object.defineProperty(WaitingChildrenError.prototype, WAITING_CHILDREN, { value: true });

/** The child ids of a {@link WaitingChildrenError} from any copy of asyncmq, or null when `err` is none. */
export function waitingChildrenOf(err: unknown): string[] | null {
  if (typeof err !== "object" || err === null) return null;
  if ((err as Record<symbol, unknown>)[WAITING_CHILDREN] !== true) return null;
  return [...(err as WaitingChildrenError).childIds];
}
