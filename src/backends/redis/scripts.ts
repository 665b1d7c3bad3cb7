/**
 * Loads the transition scripts, `lua/<name>.lua` (copied into dist/ by the build), and registers
 * them on a connection with ioredis `defineCommand`: EVALSHA, falling back to EVAL (which caches the
 * script again) on NOSCRIPT, in pipelines and MULTI too.
 *
 * Redis Lua cannot `require`, so shared code lives in pieces, `lua/includes/<name>.lua`, as
 * BullMQ does: a script (or a piece) names each piece it uses on a `-- @include <name>` line, and
 * the script text sent to Redis is those pieces, each once and after the pieces it includes
 * itself, followed by the script.
 */
import { readdirSync, readFileSync } from "node:fs";
import { BackendError } from "../../errors.js";

/** A script argument as ioredis sends it. */
export type ScriptArg = string | number;

const INCLUDE = /^--\s*@include\s+(\S+)\s*$/gm;

/**
 * `text` (the file `file`) with the `pieces` it includes in front: each piece once (`done` holds
 * those already placed), after its own includes.
 * @throws BackendError for a missing piece or an include cycle.
 */
export function withIncludes(
  file: string,
  text: string,
  pieces: ReadonlyMap<string, string>,
  done = new Set<string>(),
  path: string[] = [],
): string {
  let out = "";
  for (const [, name = ""] of text.matchAll(INCLUDE)) {
    if (done.has(name)) continue;
    if (path.includes(name))
      throw new BackendError(`Redis Lua include cycle: ${[...path, name].join(" -> ")}`);
    const piece = pieces.get(name);
    if (piece === undefined) {
      throw new BackendError(
        `Redis Lua script ${file} includes "${name}", but lua/includes/${name}.lua does not exist`,
      );
    }
    out += withIncludes(`includes/${name}.lua`, piece, pieces, done, [...path, name]);
    done.add(name);
  }
  return `${out}${text}\n`;
}

/** The `.lua` files of `dir`, by name without `.lua`. */
function readLua(dir: URL): Array<[name: string, text: string]> {
  try {
    const files = readdirSync(dir).filter((file) => file.endsWith(".lua"));
    return files.map((file) => [file.slice(0, -".lua".length), readFileSync(new URL(file, dir), "utf8")]);
  } catch (err) {
    throw new BackendError(
      `the Redis backend's Lua scripts are missing beside ${import.meta.url} (${(err as Error).message}); rebuild with "npm run build", which copies src/**/*.lua to dist/`,
      { cause: err },
    );
  }
}

let sources: Map<string, string> | undefined;

/** Every script's text (includes resolved) by command name, read once per process. */
function scriptSources(): Map<string, string> {
  if (sources) return sources;
  const dir = new URL("./lua/", import.meta.url);
  const pieces = new Map(readLua(new URL("includes/", dir)));
  const scripts = readLua(dir);
  sources = new Map(
    scripts.map(([name, text]) => [commandName(name), withIncludes(`${name}.lua`, text, pieces)]),
  );
  return sources;
}

/** The command a script is registered as (prefixed, so a caller's connection is not crowded). */
function commandName(script: string): string {
  return `asyncmq_${script.replaceAll("-", "_")}`;
}

/** Registers every script (idempotent) on an ioredis connection, or anything that defines commands. */
export function defineScripts(redis: {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}): void {
  for (const [command, lua] of scriptSources()) {
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: 2, lua });
  }
}

/** Runs `lua/<script>.lua` on a connection, or queues it on a pipeline/MULTI (where it returns the pipeline). */
export function runScript<R>(target: object, script: string, args: ScriptArg[]): R {
  const fn = (target as Record<string, (...args: ScriptArg[]) => R>)[commandName(script)];
  if (fn === undefined) throw new BackendError(`Redis script ${script} is not registered on this connection`);
  return fn.apply(target, args);
}
