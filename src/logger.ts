/** The logger asyncmq writes to; set one with `configure({ logger })`. */
export interface Logger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const noop = () => {};

/** Default: warnings and errors to stderr, nothing else. */
export const consoleLogger: Logger = {
  debug: noop,
  info: noop,
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
