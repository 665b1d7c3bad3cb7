/**
 * `--log-format text|json` and `--log-level`: how the library's own log lines (stderr) are written
 * from the command line. Text is the library's default (`[asyncmq] ...`); json is one object per
 * line, `{ time, level, msg, ...fields }`, the fields asyncmq passes (queue, jobId, task, workerId,
 * attempt, err) included, for log shippers.
 */
import { type Command, Option } from "commander";
import { consoleLogger, type Logger } from "../logger.js";
import { configure } from "../settings.js";

const LEVELS = ["debug", "info", "warn", "error"] as const;
type Level = (typeof LEVELS)[number];

export interface LogOptions {
  logFormat?: "text" | "json";
  logLevel?: Level;
}

/** Adds `--log-format` and `--log-level` to a command. */
export function withLogOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        "--log-format <format>",
        "asyncmq's own log lines on stderr: text, or json (one object per line)",
      ).choices(["text", "json"]),
    )
    .addOption(
      new Option("--log-level <level>", "least severe log lines shown (default: info)").choices(LEVELS),
    );
}

/** Sets the library's logger from the options; leaves the default when neither is given. */
export function applyLogOptions(options: LogOptions, out: NodeJS.WritableStream = process.stderr): void {
  if (options.logFormat === undefined && options.logLevel === undefined) return;
  const min = LEVELS.indexOf(options.logLevel ?? "info");
  configure({ logger: options.logFormat === "json" ? new JsonLinesLogger(out, min) : textLogger(min) });
}

/** The default text logger, showing the levels from `min` up (debug included when asked for). */
function textLogger(min: number): Logger {
  const on = (level: Level) => LEVELS.indexOf(level) >= min;
  const debug: Logger["debug"] = (message, ...args) => console.error(`[asyncmq] ${message}`, ...args);
  const off = () => {};
  return {
    debug: on("debug") ? debug : off,
    info: on("info") ? consoleLogger.info : off,
    warn: on("warn") ? consoleLogger.warn : off,
    error: on("error") ? consoleLogger.error : off,
  };
}

/** A pino-style logger (fields first; it has `child`) writing JSON lines. */
class JsonLinesLogger implements Logger {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly min: number,
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  child(bindings: Record<string, unknown>): JsonLinesLogger {
    return new JsonLinesLogger(this.out, this.min, { ...this.bindings, ...bindings });
  }

  debug(fields: unknown, message?: unknown): void {
    this.#write("debug", fields, message);
  }
  info(fields: unknown, message?: unknown): void {
    this.#write("info", fields, message);
  }
  warn(fields: unknown, message?: unknown): void {
    this.#write("warn", fields, message);
  }
  error(fields: unknown, message?: unknown): void {
    this.#write("error", fields, message);
  }

  #write(level: Level, fields: unknown, message: unknown): void {
    if (LEVELS.indexOf(level) < this.min) return;
    // Called console-style (a message first) by code other than asyncmq's: the message is the text.
    const [own, msg] =
      typeof fields === "string" ? [{}, fields] : [fields as Record<string, unknown>, message];
    const line: Record<string, unknown> = { time: new Date().toISOString(), level, msg: String(msg ?? "") };
    Object.assign(line, this.bindings);
    for (const [key, value] of Object.entries(own ?? {})) {
      if (value !== undefined) line[key] = key === "err" ? serializeError(value) : value;
    }
    this.out.write(`${JSON.stringify(line)}\n`);
  }
}

/** An error as pino writes it: type, message, stack (and code when it has one). */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return String(err);
  const out: Record<string, unknown> = { type: err.name, message: err.message, stack: err.stack };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  return out;
}
