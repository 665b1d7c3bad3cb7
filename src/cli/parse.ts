/**
 * Parsers for option and argument values. Each throws commander's InvalidArgumentError, so a bad
 * value is reported as a usage error (exit 2) naming the option.
 */
import { InvalidArgumentError } from "commander";
import { checkJobId, JOB_STATES, type JobState, toMs } from "../job.js";

function invalid(err: unknown): never {
  throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
}

/** A duration: milliseconds as a number, or "250ms", "5s", "2m", "1h", "1d". */
export function parseDuration(value: string): number {
  const text = value.trim();
  try {
    return /^\d+(\.\d+)?$/.test(text) ? toMs(Number(text)) : toMs(text);
  } catch {
    return invalid(`use milliseconds or a duration like "250ms", "5s", "2m", "1h", "1d"`);
  }
}

/** An integer >= `min`. */
export function intParser(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value.trim());
    if (value.trim() === "" || !Number.isInteger(n) || n < min) {
      return invalid(`expected an integer >= ${min}`);
    }
    return n;
  };
}

/** Any integer (priorities may be negative). */
export function parseInteger(value: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isInteger(n)) return invalid("expected an integer");
  return n;
}

/** One job state. */
export function parseState(value: string): JobState {
  const state = value.trim() as JobState;
  if (!JOB_STATES.includes(state)) return invalid(`use one of ${JOB_STATES.join(", ")}`);
  return state;
}

/** Job states given as a comma-separated list, possibly repeated: `--state failed,expired`. */
export function parseStates(value: string, previous: JobState[] = []): JobState[] {
  const states = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseState);
  if (states.length === 0) return invalid(`use one of ${JOB_STATES.join(", ")}`);
  return [...previous, ...states.filter((s) => !previous.includes(s))];
}

/** A custom job id: non-empty, not all digits, no ":". */
export function parseJobId(value: string): string {
  try {
    return checkJobId(value);
  } catch (err) {
    return invalid(err);
  }
}

/** `worker` or `queue`. */
export function parseRateScope(value: string): "worker" | "queue" {
  if (value === "worker" || value === "queue") return value;
  return invalid(`use "worker" or "queue"`);
}
