/**
 * Helpers for the command-line end-to-end tests: run the built binary (`node dist/cli/main.js`) in
 * child processes, and follow a long-running worker's output line by line.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "dist/cli/main.js");
export const FIXTURES = join(ROOT, "test/e2e/fixtures");

/** The environment of a child: ours without ASYNCMQ_* settings or forced colours, plus `extra`. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("ASYNCMQ_") && k !== "FORCE_COLOR" && k !== "NO_COLOR") env[k] = v;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Kill and fail after this long (default 10 s). */
  timeoutMs?: number;
  /** Run as this user (spawn's uid/gid; needs root): e.g. for file permissions, which root ignores. */
  user?: { uid: number; gid: number };
  /** Written to its stdin (otherwise stdin is closed). */
  input?: string;
}

/** Runs `asyncmq ...args` to completion. */
export function run(args: string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      ...options.user,
    });
    child.stdin.on("error", () => {}); // EPIPE: it exited before reading its input (its output says why)
    child.stdin.end(options.input); // closed at once when there is no input
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const ms = options.timeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`asyncmq ${args.join(" ")} did not exit within ${ms} ms\n${stdout}\n${stderr}`));
    }, ms);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Runs a command that must succeed and parses its `--json` output. */
export async function runJson<T = unknown>(args: string[], options: RunOptions): Promise<T> {
  const r = await run([...args, "--json"], options);
  if (r.code !== 0) {
    throw new Error(`asyncmq ${args.join(" ")} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return JSON.parse(r.stdout) as T;
}

/** A long-running `asyncmq` process (a worker) whose stdout is read line by line. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  readonly exited: Promise<number | null>;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(args: string[], options: { cwd: string; env?: Record<string, string> }) {
    this.child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      this.lines.push(line);
      this.#notify();
    });
    this.child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolveExit) => {
      this.child.on("close", (code) => {
        this.#closed = true;
        this.#notify();
        resolveExit(code);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.#closed;
  }

  /** The output so far, for failure messages. */
  get output(): string {
    return `--- stdout ---\n${this.lines.join("\n")}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the first output line matching `re` (already printed or to come). */
  waitFor(re: RegExp, ms = 15_000): Promise<RegExpExecArray> {
    return this.waitUntil(
      () => {
        for (const line of this.lines) {
          const m = re.exec(line);
          if (m) return m;
        }
        return null;
      },
      ms,
      `a line matching ${re}`,
    );
  }

  /** Resolves once `count` output lines match `re`. */
  waitForCount(re: RegExp, count: number, ms = 15_000): Promise<number> {
    return this.waitUntil(
      () => {
        const n = this.lines.filter((l) => re.test(l)).length;
        return n >= count ? n : null;
      },
      ms,
      `${count} lines matching ${re}`,
    );
  }

  /** Resolves with the exit code, failing if the process is still running after `ms`. */
  async exit(ms = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`process did not exit within ${ms} ms\n${this.output}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Kills it for good (test cleanup). */
  async kill(): Promise<void> {
    if (this.#closed) return;
    this.child.kill("SIGKILL");
    await this.exited;
  }

  waitUntil<T>(check: () => T | null, ms: number, what: string): Promise<T> {
    return new Promise((resolveWait, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value !== null) {
          finish();
          resolveWait(value);
          return true;
        }
        if (this.#closed) {
          finish();
          reject(new Error(`process exited before printing ${what}\n${this.output}`));
          return true;
        }
        return false;
      };
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      const waiter = () => {
        attempt();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${ms} ms waiting for ${what}\n${this.output}`));
      }, ms);
      if (!attempt()) this.#waiters.add(waiter);
    });
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Splits a shell command line into words: single and double quotes, `$NAME` from `vars`. */
export function shellWords(line: string, vars: Record<string, string> = {}): string[] {
  const words: string[] = [];
  let current = "";
  let inWord = false;
  let i = 0;
  const variable = (): string => {
    const m = /^\$([A-Z_][A-Z0-9_]*)/.exec(line.slice(i));
    if (!m?.[1]) return "";
    const value = vars[m[1]];
    if (value === undefined) throw new Error(`no value for $${m[1]} in: ${line}`);
    i += m[0].length;
    return value;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${line}`);
      current += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      inWord = true;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "$") current += variable();
        else current += line[i++];
      }
      if (line[i] !== '"') throw new Error(`unclosed " in: ${line}`);
      i += 1;
    } else if (c === "$") {
      current += variable();
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = "";
      inWord = false;
      i += 1;
    } else {
      current += c;
      inWord = true;
      i += 1;
    }
  }
  if (inWord) words.push(current);
  return words;
}
