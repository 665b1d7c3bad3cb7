import { isFatal } from "./errors.js";
import type { JobRecord } from "./job.js";

/**
 * The logger asyncmq writes to; set one with `configure({ logger })`. Two shapes are recognised:
 * - pino-style (it has a `child` method and no `log` method: pino, or your own object with
 *   `child`): each line is one call `warn(fields, message)`, the fields first as pino expects them
 *   (`queue`, `jobId`, `task`, `workerId`, `attempt`, and `err` for an error);
 * - console-style (anything else: `console`, winston, an object of four functions): `warn(message)`,
 *   or `warn(message, err)` when there is an error; the queue and job are in the message's text.
 */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
  /** pino's: its presence (without a `log` method) makes asyncmq pass structured fields first. */
  child?(bindings: Record<string, unknown>): unknown;
}

/** The structured fields of a log line: what it is about, and the error when there is one. */
export interface LogFields {
  queue?: string;
  jobId?: string;
  task?: string;
  workerId?: string;
  attempt?: number;
  /** The error the line reports (pino serialises `err`). */
  err?: unknown;
  [field: string]: unknown;
}

type Level = "debug" | "info" | "warn" | "error";

/** What asyncmq's code logs through: a message and its fields, whatever the logger's shape. */
export type LogWriter = Record<Level, (message: string, fields?: LogFields) => void>;

const noop = () => {};

/**
 * Default: info, warnings and errors to stderr (stdout stays the program's own), debug nowhere.
 * Info is what asyncmq says when something recovers, e.g. a backend that is reachable again.
 */
export const consoleLogger: Logger = {
  debug: noop,
  info: (message, ...args) => console.error(`[asyncmq] ${message}`, ...args),
  warn: (message, ...args) => console.warn(`[asyncmq] ${message}`, ...args),
  error: (message, ...args) => console.error(`[asyncmq] ${message}`, ...args),
};

const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];

/** Whether `logger` takes fields first (see {@link Logger}). */
export function isPinoStyle(logger: Logger): boolean {
  const l = logger as Logger & { log?: unknown };
  return typeof l.child === "function" && typeof l.log !== "function";
}

/** The writer that hands lines to `logger` in the shape it takes. */
function writerFor(logger: Logger): LogWriter {
  const writer = {} as LogWriter;
  const pino = isPinoStyle(logger);
  for (const level of LEVELS) {
    writer[level] = pino
      ? (message, fields) =>
          (logger[level] as unknown as (f: object, m: string) => void)(fields ?? {}, message)
      : (message, fields) =>
          fields?.err === undefined ? logger[level](message) : logger[level](message, fields.err);
  }
  return writer;
}

let configured: Logger = consoleLogger;
let current: LogWriter = writerFor(consoleLogger);

export function setLogger(logger: Logger | undefined): void {
  configured = logger ?? consoleLogger;
  current = writerFor(configured);
}

/** The logger in force, as given to `configure({ logger })` (the console logger by default). */
export function loggerInForce(): Logger {
  return configured;
}

/** The fields of a line about `job`'s attempt: queue, job id, task, worker id and attempt. */
export function jobLogFields(job: Readonly<JobRecord>): LogFields {
  return { queue: job.queue, jobId: job.id, task: job.task, workerId: job.workerId, attempt: job.attempts };
}

/** Where asyncmq's code logs: `log().warn(message, { queue, jobId, err })`. */
export function log(): LogWriter {
  return current;
}

/**
 * An error as one line for a log message: its message (with its code when the message lacks it),
 * line breaks folded. Operational failures (a backend down) are logged so, without a stack.
 */
export function errorLine(err: unknown): string {
  if (!(err instanceof Error)) return String(err).replace(/\s*\n\s*/g, "; ");
  let message = err.message || err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && !message.includes(code)) message = `${message} (${code})`;
  return message.replace(/\s*\n\s*/g, "; ").trim();
}

/**
 * The log of an operation retried in a loop (a maintenance round, a claim, a lease renewal): its
 * first failure after a success is one warning line, the failures after it are silent, and the
 * first success after them is one info line. An outage of any length logs two lines per loop.
 */
export class OutageLog {
  #failures = 0;
  #since = 0;

  /**
   * @param what names the loop in both lines, e.g. `the stall sweeper of "emails"`.
   * @param fields what both lines are about, e.g. `{ queue, workerId }`.
   */
  constructor(
    private readonly what: string,
    private readonly fields?: LogFields,
  ) {}

  /** Whether the last attempt failed. */
  get failing(): boolean {
    return this.#failures > 0;
  }

  /** Records a failed attempt; `retry` says when it is tried again, e.g. "every 1000 ms". */
  failed(err: unknown, retry: string): void {
    // A fatal backend error (a corrupt SQLite file) is no outage: the runtime stops on it and
    // reports it once, so the loops that meet it on the way say nothing.
    if (isFatal(err)) return;
    if (this.#failures++ > 0) return;
    this.#since = Date.now();
    log().warn(
      `${this.what} failed: ${errorLine(err)}; retrying ${retry}, and saying so here once it works again`,
      { ...this.fields, error: errorLine(err) },
    );
  }

  /** Records a successful attempt. */
  succeeded(): void {
    if (this.#failures === 0) return;
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    log().info(
      `${this.what} works again, after ${this.#failures} failed attempt(s) over ${seconds} s`,
      this.fields,
    );
    this.#failures = 0;
  }
}
