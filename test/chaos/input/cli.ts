/**
 * Runs `asyncmq job enqueue` from the sources (node --import tsx src/cli/main.ts), so the test needs
 * no build and always runs the code under test, and reduces what it did to a comparable outcome.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { childEnv, ROOT } from "../../e2e/helpers.js";

const MAIN = join(ROOT, "src/cli/main.ts");

/**
 * What one command did: its exit code and its JSON answer (exit 0) or its error, the last line of
 * stderr (exit 2). Warnings before it (a queue never used before, "did you mean ...?") depend on
 * what else the backend has seen, so they are not compared.
 */
export interface CliOutcome {
  code: number | null;
  answer: unknown;
}

/** `asyncmq job enqueue <queue> <task> ...args --backend <url> --json`. */
export function enqueueByCli(
  queue: string,
  task: string,
  args: string[],
  backendUrl: string,
): Promise<CliOutcome> {
  const argv = [
    "--import",
    "tsx",
    MAIN,
    "job",
    "enqueue",
    queue,
    task,
    ...args,
    "--backend",
    backendUrl,
    "--json",
  ];
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      argv,
      { cwd: ROOT, env: childEnv(), encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        if (code === null)
          return reject(new Error(`asyncmq did not exit normally: ${err?.message}\n${stderr}`));
        resolve({ code, answer: code === 0 ? JSON.parse(stdout) : stderr.trim().split("\n").at(-1) });
      },
    );
  });
}

/** `text` as a child process receives it in its argv: UTF-8, each lone surrogate replaced by U+FFFD. */
export function asArgv(text: string): string {
  return Buffer.from(text, "utf8").toString("utf8");
}
