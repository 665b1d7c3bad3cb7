import { isFatal } from "./errors.js";

/** The logger asyncmq writes to; set one with `configure({ logger })`. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

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

let current: Logger = consoleLogger;

export function setLogger(logger: Logger | undefined): void {
  current = logger ?? consoleLogger;
}

/** The logger in force. */
export function log(): Logger {
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

  /** @param what names the loop in both lines, e.g. `the stall sweeper of "emails"`. */
  constructor(private readonly what: string) {}

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
    );
  }

  /** Records a successful attempt. */
  succeeded(): void {
    if (this.#failures === 0) return;
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    log().info(`${this.what} works again, after ${this.#failures} failed attempt(s) over ${seconds} s`);
    this.#failures = 0;
  }
}
