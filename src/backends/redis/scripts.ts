/**
 * Loads the transition scripts from `./lua/` (copied into dist/ by the build) and registers them on
 * a connection with ioredis `defineCommand`: EVALSHA, falling back to EVAL (which caches the script
 * again) on NOSCRIPT, in pipelines and MULTI too.
 *
 * Redis Lua cannot `require`, so shared code lives in pieces, `lua/includes/<name>.lua`, as
 * BullMQ does: a script (or a piece) names each piece it uses on a `-- @include <name>` line, and
 * the script text sent to Redis is those pieces, each once and after the pieces it includes
 * itself, followed by the script.
 */
import { readdirSync, readFileSync } from "node:fs";
import { BackendError } from "../../errors.js";

/** Every script, by file name without `.lua`. */
export const SCRIPT_NAMES = [
  "enqueue",
  "claim",
  "finish",
  "extend-leases",
  "update-progress",
  "add-log",
  "promote-delayed",
  "recover-stalled",
  "remove-expired-finished",
  "expire-due",
  "upsert-repeatable",
  "set-repeatable-paused",
  "remove-repeatable",
  "fire-repeatable",
  "take-rate-token",
  "cancel",
  "retry-job",
  "remove-job",
  "drain",
  "clean",
  "obliterate",
  "set-paused",
  "list-queues",
  "get-jobs",
  "heartbeat-worker",
  "list-workers",
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** A script argument as ioredis sends it. */
export type ScriptArg = string | number;

const INCLUDE = /^--\s*@include\s+(\S+)\s*$/gm;

/**
 * `text` (the file `file`) with the pieces it includes in front: each piece once (`done` holds
 * those already placed), after its own includes.
 * @throws BackendError for a missing piece or an include cycle.
 */
export function withIncludes(
  file: string,
  text: string,
  readPiece: (name: string) => string | undefined,
  done = new Set<string>(),
  path: string[] = [],
): string {
  let out = "";
  for (const [, name] of text.matchAll(INCLUDE)) {
    if (name === undefined || done.has(name)) continue;
    if (path.includes(name)) {
      throw new BackendError(`Redis Lua include cycle: ${[...path, name].join(" -> ")}`);
    }
    const piece = readPiece(name);
    if (piece === undefined) {
      throw new BackendError(
        `Redis Lua script ${file} includes "${name}", but lua/includes/${name}.lua does not exist`,
      );
    }
    out += withIncludes(`includes/${name}.lua`, piece, readPiece, done, [...path, name]);
    done.add(name);
  }
  return `${out}${text}\n`;
}

let sources: Map<ScriptName, string> | undefined;

/** The script texts (includes resolved), read once per process. */
function scriptSources(): Map<ScriptName, string> {
  if (sources) return sources;
  const dir = new URL("./lua/", import.meta.url);
  const read = (file: string): string => readFileSync(new URL(file, dir), "utf8");
  try {
    const pieces = new Map(
      readdirSync(new URL("includes/", dir))
        .filter((file) => file.endsWith(".lua"))
        .map((file) => [file.slice(0, -".lua".length), read(`includes/${file}`)]),
    );
    sources = new Map(
      SCRIPT_NAMES.map((name) => [
        name,
        withIncludes(`${name}.lua`, read(`${name}.lua`), (p) => pieces.get(p)),
      ]),
    );
  } catch (err) {
    if (err instanceof BackendError) throw err;
    throw new BackendError(
      `the Redis backend's Lua scripts are missing beside ${import.meta.url} (${(err as Error).message}); rebuild with "npm run build", which copies src/**/*.lua to dist/`,
      { cause: err },
    );
  }
  return sources;
}

/** The command name a script is registered under (prefixed, so a caller's connection is not crowded). */
function commandName(name: ScriptName): string {
  return `asyncmq_${name.replaceAll("-", "_")}`;
}

/** The part of an ioredis connection that registers scripts. */
interface ScriptHost {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}

/** Registers every script on `redis` (idempotent). */
export function defineScripts(redis: ScriptHost): void {
  for (const [name, lua] of scriptSources()) {
    const command = commandName(name);
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: 2, lua });
  }
}

/** The shape ioredis gives a defined command on a connection or pipeline. */
type ScriptCommand<R> = (...args: ScriptArg[]) => R;

/** Runs `name` on a connection, or queues it on a pipeline/MULTI (where it returns the pipeline). */
export function runScript<R>(target: object, name: ScriptName, args: ScriptArg[]): R {
  const fn = (target as Record<string, ScriptCommand<R>>)[commandName(name)];
  if (fn === undefined) throw new BackendError(`Redis script ${name} is not registered on this connection`);
  return fn.apply(target, args);
}
