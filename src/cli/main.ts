#!/usr/bin/env node
/**
 * The `asyncmq` executable (package.json "bin"). It loads the program dynamically so that even a
 * broken installation fails with one line instead of a stack trace.
 */
import { pathToFileURL } from "node:url";
import { holdStopSignals, isWorkerStart } from "./early-signals.js";
import { projectCli } from "./project-cli.js";

// Run from a global install inside a project with its own asyncmq: that copy runs the command
// (same process, same argv), so the project's tasks module and this CLI share one asyncmq.
const local = projectCli();
if (local !== undefined) {
  await import(pathToFileURL(local).href);
} else {
  await runHere();
}

async function runHere(): Promise<void> {
  // A worker stopped while it starts must still exit cleanly: keep its stop signals from now on.
  if (isWorkerStart(process.argv.slice(2))) holdStopSignals();

  const EXIT_OK = 0;
  const EXIT_FAILURE = 1;

  // A closed pipe (`asyncmq job list q | head`) is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT_OK);
    throw err;
  });

  let code: number;
  try {
    const { main } = await import("./program.js");
    code = await main(process.argv.slice(2));
  } catch (err) {
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    process.stderr.write(
      `error: asyncmq could not start: ${message}; reinstall it (npm ci) or rebuild it (npm run build)\n`,
    );
    code = EXIT_FAILURE;
  }
  // process.exit does not wait for a pipe to take what was written: a large `--json` answer would be
  // cut short. Exit once stdout and stderr have flushed.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write("", () => resolve());
  });
}
