/**
 * Exit codes and one-line error messages. Scripts can trust the codes: 0 ok, 1 failure (the command
 * ran and something was wrong: unknown queue or job, backend unreachable, module failed to load),
 * 2 usage (bad arguments, options or input; nothing was done).
 */
import { AsyncMQError, ValidationError } from "../errors.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line, with the exit code to use. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Bad input from the command line: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
    this.name = "UsageError";
  }
}

/** The exit code for any error. ValidationError means the input was bad (nothing was written). */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof ValidationError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** One line describing `err`, never a stack trace. */
export function oneLine(err: unknown): string {
  let message: string;
  if (err instanceof Error) {
    message = err.message || err.name;
    const code = (err as { code?: unknown }).code;
    if (!(err instanceof AsyncMQError) && !(err instanceof CliError) && typeof code === "string") {
      if (!message.includes(code)) message = `${message} (${code})`;
    }
  } else {
    message = String(err);
  }
  return message.replace(/\s*\n\s*/g, "; ").trim();
}

/** Adds what to do to a message unless it already ends with advice. */
export function withHint(message: string, hint: string): string {
  return `${message.replace(/[.\s]+$/, "")}; ${hint}`;
}
