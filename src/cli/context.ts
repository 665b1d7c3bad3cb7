/**
 * What the command line says that every part of the output depends on: whether it asked for JSON
 * (errors and warnings become JSON too) and the `--backend` it gave (hints that name a command
 * repeat it, so that following a hint reaches the same backend). Set by the program before a
 * command runs.
 */
let json = false;
let backendFlag: string | undefined;

/** Sets JSON mode from the raw arguments, before parsing: parse errors must know it too. */
export function setJsonMode(argv: readonly string[]): void {
  const end = argv.indexOf("--");
  json = (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

export function jsonMode(): boolean {
  return json;
}

/** The `--backend` the user gave, if any (not one from the environment or a config file). */
export function setBackendFlag(url: string | undefined): void {
  backendFlag = url;
}

/** A command to suggest: `asyncmq <rest>`, with the user's `--backend` when they gave one. */
export function command(rest: string): string {
  return backendFlag === undefined
    ? `asyncmq ${rest}`
    : `asyncmq --backend ${shellWord(backendFlag)} ${rest}`;
}

/** A word as a POSIX shell reads it back: as it is when safe, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
