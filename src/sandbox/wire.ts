/**
 * The messages between a worker's main thread and a sandbox (thread or child process), and errors
 * in transit: structured cloning keeps only an Error's message and stack, so an error crosses as
 * its name, message, stack, own data properties and the markers the runtime acts on, and is rebuilt
 * on the other side with that side's asyncmq classes (an UnrecoverableError stays unrecoverable).
 */
import { isUnrecoverable, serializeError, UnrecoverableError } from "../errors.js";
import { RateLimitError, rateLimitDelay } from "../rate-limit-error.js";
import { delayedMove, delayedWithData, WaitingChildrenError, waitingChildrenOf } from "../step-errors.js";

/** The ctx methods a sandboxed handler calls in the main thread. */
export const REMOTE_METHODS = [
  "progress",
  "log",
  "updateData",
  "moveToWaitingChildren",
  "childrenValues",
  "childrenFailures",
] as const;
export type RemoteMethod = (typeof REMOTE_METHODS)[number];

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable properties that clone (`code`, `status`, ...). */
  props?: Record<string, unknown>;
  unrecoverable?: true;
  rateLimit?: number;
  delayed?: { runAt: number; dataJson?: string };
  waitingChildren?: string[];
}

/** Main thread to sandbox. */
export type ToSandbox =
  | { t: "load"; module: string; maxPayloadBytes: number | null }
  /** `run` numbers the sandbox's jobs, so that a call a finished job's handler makes late is not taken for the next job's. */
  | { t: "run"; run: number; data: unknown; job: unknown }
  | { t: "reply"; call: number; ok: true; value: unknown }
  | { t: "reply"; call: number; ok: false; error: WireError };

/** Sandbox to main thread. */
export type FromSandbox =
  | { t: "ready" }
  | { t: "load-failed"; error: WireError }
  | { t: "call"; run: number; call: number; method: RemoteMethod; args: unknown[] }
  | { t: "done"; ok: true; value: unknown }
  | { t: "done"; ok: false; error: WireError };

/** `err` as it crosses. */
export function toWire(err: unknown): WireError {
  const wire: WireError = serializeError(err);
  if (!(err instanceof Error)) return wire;
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) {
    if (isPlain(value)) props[key] = value;
  }
  if (Object.keys(props).length > 0) wire.props = props;
  if (isUnrecoverable(err)) wire.unrecoverable = true;
  const delay = rateLimitDelay(err);
  if (delay !== null) wire.rateLimit = delay;
  const move = delayedMove(err);
  if (move !== null) wire.delayed = move;
  const children = waitingChildrenOf(err);
  if (children !== null) wire.waitingChildren = children;
  return wire;
}

/** The error `wire` describes, of this side's classes where it carries a marker. */
export function fromWire(wire: WireError): Error {
  let err: Error;
  if (wire.rateLimit !== undefined) err = new RateLimitError(wire.rateLimit, wire.message);
  else if (wire.delayed !== undefined) err = delayedWithData(wire.delayed.runAt, wire.delayed.dataJson);
  else if (wire.waitingChildren !== undefined) err = new WaitingChildrenError(wire.waitingChildren);
  else if (wire.unrecoverable) err = new UnrecoverableError(wire.message);
  else err = new Error(wire.message);
  if (wire.props !== undefined) Object.assign(err, wire.props);
  // Own properties: the rebuilt error reads as the thrown one (UnrecoverableError sets name on the instance).
  Object.defineProperty(err, "name", { value: wire.name, writable: true, configurable: true });
  Object.defineProperty(err, "message", { value: wire.message, writable: true, configurable: true });
  if (wire.stack !== undefined) err.stack = wire.stack;
  else delete err.stack;
  return err;
}

/** Values that survive structured cloning as they are (no functions, no class instances). */
function isPlain(value: unknown): boolean {
  if (value === null || ["string", "number", "boolean"].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isPlain);
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value as object).every(isPlain);
}
