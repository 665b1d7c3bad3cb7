/**
 * The entry of a sandbox (a worker thread or a child process): loads the task's handler module,
 * then runs one job at a time for the pool. The handler's ctx calls back to the main thread, which
 * owns the backend and the lease; only `ctx.signal` stays local and never aborts, since a timeout,
 * a cancel or a forced shutdown ends this thread or process instead.
 */
import { parentPort } from "node:worker_threads";
import { type DependencyRef, encodeJson } from "../job.js";
import { RateLimitError } from "../rate-limit-error.js";
import { delayedWithData } from "../step-errors.js";
import type { JobContext, TaskHandler } from "../task.js";
import { registerTypeScript, TYPESCRIPT, TYPESCRIPT_HINT } from "../typescript-loader.js";
import { type FromSandbox, fromWire, type RemoteMethod, type ToSandbox, toWire } from "./wire.js";

const send: (message: FromSandbox) => void = parentPort
  ? (m) => parentPort?.postMessage(m)
  : (m) => {
      process.send?.(m);
    };
const listen = (fn: (message: ToSandbox) => void) =>
  parentPort ? parentPort.on("message", fn) : process.on("message", fn);
if (!parentPort) {
  // A child process whose worker went away (killed, crashed) must not linger.
  process.on("disconnect", () => process.exit(0));
  // Ctrl-C reaches the whole process group: the worker, shutting down gracefully, decides when this
  // sandbox ends (its job finished, or killed past the grace), not the terminal.
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => {});
}

let handler: TaskHandler<unknown, unknown> | undefined;
let maxPayloadBytes: number | null = null;
let calls = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
const never = new AbortController().signal;

listen((message) => {
  switch (message.t) {
    case "load":
      maxPayloadBytes = message.maxPayloadBytes;
      load(message.module).then(
        () => send({ t: "ready" }),
        (err: unknown) => send({ t: "load-failed", error: toWire(err) }),
      );
      break;
    case "run":
      void runJob(message.run, message.data, message.job);
      break;
    case "reply": {
      const call = pending.get(message.call);
      pending.delete(message.call);
      if (message.ok) call?.resolve(message.value);
      else call?.reject(fromWire(message.error));
      break;
    }
  }
});

async function load(module: string): Promise<void> {
  if (TYPESCRIPT.test(module) && !(await registerTypeScript())) {
    throw new Error(`handler module ${module} is TypeScript, which ${TYPESCRIPT_HINT}`);
  }
  const exports = (await import(module)) as { default?: unknown; handler?: unknown };
  const found = typeof exports.default === "function" ? exports.default : exports.handler;
  if (typeof found !== "function") {
    throw new TypeError(
      `handler module ${module} exports no handler: export default async function (data, ctx) { ... } (or export a function named "handler")`,
    );
  }
  handler = found as TaskHandler<unknown, unknown>;
}

async function runJob(id: number, data: unknown, job: unknown): Promise<void> {
  let done: FromSandbox;
  try {
    done = {
      t: "done",
      ok: true,
      value: await (handler as TaskHandler<unknown, unknown>)(data, context(id, job)),
    };
  } catch (err) {
    done = { t: "done", ok: false, error: toWire(err) };
  }
  try {
    send(done);
  } catch (err) {
    // A result that cannot be cloned (a function, a class instance with private state).
    const error = new TypeError(
      `the handler's result cannot leave the sandbox (${(err as Error).message}); return JSON-serialisable values`,
    );
    send({ t: "done", ok: false, error: toWire(error) });
  }
}

function remote<T>(run: number, method: RemoteMethod, ...args: unknown[]): Promise<T> {
  const call = ++calls;
  return new Promise<T>((resolve, reject) => {
    pending.set(call, { resolve: resolve as (v: unknown) => void, reject });
    send({ t: "call", run, call, method, args });
  });
}

function context(run: number, job: unknown): JobContext {
  return {
    job: job as JobContext["job"],
    signal: never,
    progress: (value) => remote(run, "progress", value),
    log: (message) => remote(run, "log", String(message)),
    rateLimit: (delay) => {
      throw new RateLimitError(delay);
    },
    updateData: (data) => remote(run, "updateData", data),
    moveToDelayed: (runAt, data) => {
      throw delayedWithData(
        runAt,
        data === undefined ? undefined : encodeJson(data, "data", maxPayloadBytes),
      );
    },
    moveToWaitingChildren: (childIds: readonly DependencyRef[]) =>
      remote(run, "moveToWaitingChildren", childIds),
    childrenValues: () => remote(run, "childrenValues"),
    childrenFailures: () => remote(run, "childrenFailures"),
  };
}
