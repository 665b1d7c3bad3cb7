/**
 * Loads the transition scripts from `./lua/` (copied into dist/ by the build), each with `lib.lua`
 * in front, and registers them on a connection with ioredis `defineCommand`: EVALSHA, falling back
 * to EVAL (which caches the script again) on NOSCRIPT, in pipelines and MULTI too.
 */
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
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

let sources: Map<ScriptName, string> | undefined;

/** The script texts (lib.lua + the transition), read once per process. */
function scriptSources(): Map<ScriptName, string> {
  if (sources) return sources;
  const dir = new URL("./lua/", import.meta.url);
  try {
    const lib = readFileSync(new URL("lib.lua", dir), "utf8");
    sources = new Map(
      SCRIPT_NAMES.map((name) => [name, `${lib}\n${readFileSync(new URL(`${name}.lua`, dir), "utf8")}`]),
    );
  } catch (err) {
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

/** Registers every script on `redis` (idempotent). */
export function defineScripts(redis: Redis): void {
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
