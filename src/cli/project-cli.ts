/**
 * A global `asyncmq` run inside a project that has its own asyncmq hands over to the project's copy:
 * the project's tasks module imports that copy, and its version is the one the project's data and
 * code were written for.
 */
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Set (in this process) once a copy has handed over, so that no copy hands over twice. */
const HANDED_OVER = Symbol.for("asyncmq.cliHandedOver");

/** The root of the asyncmq package this file belongs to (dist/cli/ -> package root). */
function ownRoot(): string {
  return realpathSync(fileURLToPath(new URL("../../", import.meta.url)));
}

/** The nearest `node_modules/asyncmq` from `start` upwards, when it is asyncmq. */
function nearestCopy(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const root = join(dir, "node_modules", "asyncmq");
    const manifest = join(root, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "asyncmq") {
          return realpathSync(root);
        }
      } catch {
        // An unreadable package.json is not a copy to hand over to.
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The project's own CLI entry (its dist/cli/main.js) when the cwd is inside a project whose asyncmq
 * is another copy than this one; undefined otherwise (then this copy runs the command).
 */
export function projectCli(cwd = process.cwd()): string | undefined {
  const holder = globalThis as { [HANDED_OVER]?: boolean };
  if (holder[HANDED_OVER]) return undefined;
  const copy = nearestCopy(cwd);
  if (copy === undefined || copy === ownRoot()) return undefined;
  const entry = join(copy, "dist", "cli", "main.js");
  if (!existsSync(entry)) return undefined;
  holder[HANDED_OVER] = true;
  return entry;
}
