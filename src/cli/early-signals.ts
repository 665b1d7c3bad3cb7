/**
 * SIGINT/SIGTERM for `asyncmq worker start` from the first line of the program: Node's default
 * for them is to die by the signal, so one sent while the CLI loads, opens the backend or imports
 * the tasks module (~0.4 s) would end the process uncleanly. `holdStopSignals` (main.ts, before
 * anything is loaded) keeps them; `handStopSignals` (the command) replays them to its own handler.
 * Kept free of imports, so that holding costs nothing.
 */

const held: NodeJS.Signals[] = [];
const hold = (signal: NodeJS.Signals): void => {
  held.push(signal);
};

/** Whether `argv` (after `node asyncmq`) runs `worker start`, global options first or not. */
export function isWorkerStart(argv: readonly string[]): boolean {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i] as string;
    if (arg === "--backend")
      i++; // its value
    else if (!arg.startsWith("-")) words.push(arg);
  }
  return words[0] === "worker" && words[1] === "start";
}

/** Keeps SIGINT and SIGTERM until `handStopSignals`. */
export function holdStopSignals(): void {
  process.on("SIGINT", hold);
  process.on("SIGTERM", hold);
}

/**
 * Sends SIGINT and SIGTERM to `handler` from now on, first those held so far, in order. Returns
 * the function that removes `handler` again.
 */
export function handStopSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  process.off("SIGINT", hold);
  process.off("SIGTERM", hold);
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  for (const signal of held.splice(0)) handler(signal);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
