/**
 * Output helpers for the command line: colours (only on a TTY, never with NO_COLOR), tables, JSON,
 * times, and a live progress line on stderr for long commands.
 */
import type { JobState } from "../job.js";
import { jsonMode } from "./context.js";

type Stream = NodeJS.WriteStream;

/** True when `stream` should get ANSI colours: a TTY, no NO_COLOR; FORCE_COLOR forces them on. */
export function colourEnabled(stream: Stream = process.stdout): boolean {
  const env = process.env;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "" && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;
export type Style = keyof typeof CODES;

/** Wraps `text` in the ANSI codes of `style` when `stream` takes colours. */
export function paint(style: Style, text: string, stream: Stream = process.stdout): string {
  if (!colourEnabled(stream)) return text;
  const [open, close] = CODES[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

const STATE_STYLE: Record<JobState, Style | null> = {
  waiting: null,
  delayed: "yellow",
  active: "cyan",
  completed: "green",
  failed: "red",
  expired: "magenta",
  cancelled: "gray",
  "waiting-children": "blue",
};

export function paintState(state: JobState, stream: Stream = process.stdout): string {
  const style = STATE_STYLE[state];
  return style ? paint(style, state, stream) : state;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI escapes to measure width
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (s: string) => s.replace(ANSI, "").length;

/** Renders rows as an aligned table with a bold header; an empty list prints `empty` instead. */
export function table(headers: string[], rows: string[][], empty = "(none)"): string {
  if (rows.length === 0) return paint("dim", empty);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleLength(c))))
      .join("  ")
      .trimEnd();
  return [paint("bold", line(headers)), ...rows.map(line)].join("\n");
}

/** Renders `key: value` pairs aligned on the colon. */
export function keyValues(pairs: Array<[string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${paint("bold", `${k}:`)}${" ".repeat(width - k.length + 1)}${v}`).join("\n");
}

/** Writes a line to stdout. */
export function print(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** Writes `value` as pretty JSON to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one compact JSON line to stdout (for streams of events). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes a warning line to stderr (with --json, one JSON object `{ warning }`). */
export function warn(message: string): void {
  if (jsonMode()) process.stderr.write(`${JSON.stringify({ warning: message })}\n`);
  else process.stderr.write(`${paint("yellow", "warning:", process.stderr)} ${message}\n`);
}

/** An epoch-ms time as ISO text, or "-". */
export function isoTime(ms: number | undefined | null): string {
  return typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : "-";
}

/** A duration in ms as short human text: "850ms", "12s", "3m 5s", "2h 1m", "4d 3h". */
export function humanDuration(ms: number): string {
  const abs = Math.abs(Math.round(ms));
  if (abs < 1000) return `${abs}ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** An epoch-ms time relative to now: "5s ago", "in 2m", or "-". */
export function relativeTime(ms: number | undefined | null, now = Date.now()): string {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "-";
  const diff = ms - now;
  if (Math.abs(diff) < 1000) return "now";
  return diff > 0 ? `in ${humanDuration(diff)}` : `${humanDuration(diff)} ago`;
}

/** Shortens `text` to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** JSON text of a value for a table cell or a key/value line. */
export function compactJson(value: unknown, max = 60): string {
  if (value === undefined) return "-";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return truncate(text, max);
}

/**
 * A live progress line on stderr, redrawn in place; only when stderr is a TTY and output is not
 * JSON, so pipes and scripts see nothing of it (the command's final line says the outcome).
 */
export class ProgressLine {
  readonly #enabled: boolean;
  #shown = false;
  #timer: NodeJS.Timeout | null = null;
  #frame = 0;
  #text = "";
  #countedAt = 0;

  constructor(enabled: boolean) {
    this.#enabled = enabled && process.stderr.isTTY === true;
  }

  /** Shows `text` with a spinner that keeps turning until `update` or `done`. */
  start(text: string): void {
    this.update(text);
    if (!this.#enabled || this.#timer) return;
    this.#timer = setInterval(() => this.#draw(), 100);
    this.#timer.unref();
  }

  update(text: string): void {
    this.#text = text;
    this.#draw();
  }

  /**
   * Shows how far a counted operation is, `draining "q": 1000 of 2500`: at most every 100 ms (a
   * terminal cannot show more), and always the first and the last count.
   */
  count(what: string, done: number, total: number): void {
    const now = Date.now();
    if (this.#shown && done < total && now - this.#countedAt < 100) return;
    this.#countedAt = now;
    this.update(`${what}: ${done} of ${total}`);
  }

  /** Clears the line. */
  done(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (this.#enabled && this.#shown) process.stderr.write("\r\u001b[2K");
    this.#shown = false;
  }

  #draw(): void {
    if (!this.#enabled) return;
    const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    const spinner = frames[this.#frame++ % frames.length];
    process.stderr.write(`\r\u001b[2K${paint("cyan", spinner ?? "", process.stderr)} ${this.#text}`);
    this.#shown = true;
  }
}
