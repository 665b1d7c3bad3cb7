/**
 * Loads the transition scripts, `lua/<name>.lua` (copied into dist/ by the build), for a connection
 * to run two ways:
 * - as one Redis Function library (Redis 7+, `FUNCTION LOAD`; `functionLibrary`), called with
 *   FCALL: the library's top level (every piece's functions) runs once, at load. As scripts, a call
 *   ran it each time, and linking each function's upvalues cost a script ~20 us a call (hot) and
 *   ~50 us (cold), more than most calls do (docs/performance.md);
 * - as scripts registered with ioredis `defineCommand` (EVALSHA, falling back to EVAL on NOSCRIPT,
 *   in pipelines and MULTI too), where the server has no functions (Redis 6) or refuses them.
 *
 * Redis Lua cannot `require`, so shared code lives in pieces, `lua/includes/<name>.lua`, as
 * BullMQ does: a script (or a piece) names each piece it uses on a `-- @include <name>` line, and
 * the script text sent to Redis is those pieces, each once and after the pieces it includes
 * itself, followed by the script. A piece keeps what a call reads from KEYS/ARGV or builds per call
 * in locals that a begin function, named on its `-- @begin <function>` line, sets: the script (or
 * the library's function) calls the begin functions of its pieces first, in include order.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { BackendError } from "../../errors.js";

/** A script argument as ioredis sends it. */
export type ScriptArg = string | number;

const INCLUDE = /^--\s*@include\s+(\S+)\s*$/gm;
const BEGIN = /^--\s*@begin\s+(\w+)\s*$/m;
/** A script's `-- @flags no-writes` line: the function only reads (Redis then runs it on a full server). */
const FLAGS = /^--\s*@flags\s+([\w -]+?)\s*$/m;

/**
 * The pieces `text` (the file `file`) includes, in the order they go in front of it: each once
 * (`done` holds those already placed), after its own includes.
 * @throws BackendError for a missing piece or an include cycle.
 */
function piecesOf(
  file: string,
  text: string,
  pieces: ReadonlyMap<string, string>,
  done = new Set<string>(),
  path: string[] = [],
): string[] {
  const out: string[] = [];
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
    out.push(...piecesOf(`includes/${name}.lua`, piece, pieces, done, [...path, name]));
    done.add(name);
    out.push(name);
  }
  return out;
}

/** The calls of the begin functions of `names` (pieces), in their order. */
function beginCalls(names: string[], pieces: ReadonlyMap<string, string>): string {
  let out = "";
  for (const name of names) {
    const begin = BEGIN.exec(pieces.get(name) ?? "")?.[1];
    if (begin !== undefined) out += `${begin}()\n`;
  }
  return out;
}

/**
 * `text` (the file `file`) as a script: the `pieces` it includes in front (see piecesOf), then the
 * calls of their begin functions, then itself.
 * @throws BackendError for a missing piece or an include cycle.
 */
export function withIncludes(file: string, text: string, pieces: ReadonlyMap<string, string>): string {
  const names = piecesOf(file, text, pieces);
  return `${names.map((name) => `${pieces.get(name)}\n`).join("")}${beginCalls(names, pieces)}${text}\n`;
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

/** The pieces and the scripts, by name, read once per process. */
let files: { pieces: Map<string, string>; scripts: Array<[name: string, text: string]> } | undefined;

function luaFiles(): NonNullable<typeof files> {
  if (files) return files;
  const dir = new URL("./lua/", import.meta.url);
  files = { pieces: new Map(readLua(new URL("includes/", dir))), scripts: readLua(dir) };
  return files;
}

let sources: Map<string, string> | undefined;

/** Every script's text (includes resolved) by command name. */
function scriptSources(): Map<string, string> {
  if (sources) return sources;
  const { pieces, scripts } = luaFiles();
  sources = new Map(
    scripts.map(([name, text]) => [commandName(name), withIncludes(`${name}.lua`, text, pieces)]),
  );
  return sources;
}

/** A script's name as a Lua/Redis identifier (`recover-stalled` -> `recover_stalled`). */
function identifier(script: string): string {
  return script.replaceAll("-", "_");
}

/** The command a script is registered as (prefixed, so a caller's connection is not crowded). */
function commandName(script: string): string {
  return `asyncmq_${identifier(script)}`;
}

/** A Redis Function library of every script: its name, its text, and each script's function. */
export interface FunctionLibrary {
  name: string;
  text: string;
  functionOf(script: string): string;
}

let library: FunctionLibrary | undefined;

/**
 * Every script as one Redis Function library: each piece once, then one function per script, which
 * takes the call's KEYS and ARGV, runs the begin functions of the pieces it includes, then the
 * script; a script marked `-- @flags no-writes` is registered so (Redis runs such a function while
 * out of memory, as it ran the script until a write). The library and function names carry a hash
 * of the code, so processes running other versions of asyncmq on the same server each find theirs.
 */
export function functionLibrary(): FunctionLibrary {
  if (library) return library;
  const { pieces, scripts } = luaFiles();
  const placed = new Set<string>();
  let shared = "local KEYS, ARGV\n";
  const bodies: Array<[name: string, text: string]> = [];
  for (const [name, text] of scripts) {
    // Every script's own pieces, placed by an earlier script or now (its includes first).
    const own = piecesOf(`${name}.lua`, text, pieces);
    for (const piece of own) {
      if (placed.has(piece)) continue;
      placed.add(piece);
      shared += `${pieces.get(piece)}\n`;
    }
    bodies.push([name, `KEYS, ARGV = keys, args\n${beginCalls(own, pieces)}${text}`]);
  }
  const hash = createHash("sha1");
  hash.update(shared);
  for (const [name, body] of bodies) hash.update(`\0${name}\0${body}`);
  const name = `asyncmq_${hash.digest("hex").slice(0, 12)}`;
  // Named once here, not on every call.
  const functions = new Map(bodies.map(([script]) => [script, `${name}_${identifier(script)}`]));
  const functionOf = (script: string) => {
    const fn = functions.get(script);
    if (fn === undefined) throw new BackendError(`Redis script ${script} is not in the function library`);
    return fn;
  };
  let text = `#!lua name=${name}\n${shared}`;
  for (const [script, body] of bodies) {
    const flags = (FLAGS.exec(body)?.[1] ?? "").split(/\s+/).filter((flag) => flag !== "");
    text += `redis.register_function{function_name = '${functionOf(script)}', flags = { ${flags.map((f) => `'${f}'`).join(", ")} },\n  callback = function(keys, args)\n${body}\nend}\n`;
  }
  library = { name, text, functionOf };
  return library;
}

/** Registers every script (idempotent) on an ioredis connection, or anything that defines commands. */
export function defineScripts(redis: {
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}): void {
  for (const [command, lua] of scriptSources()) {
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys: 2, lua });
  }
}

/**
 * Runs `lua/<script>.lua` on a connection, or queues it on a pipeline/MULTI (where it returns the
 * pipeline): with `fcall`, as its function of the library (which must be loaded), else as a script.
 */
export function runScript<R>(target: object, script: string, args: ScriptArg[], fcall = false): R {
  if (fcall) {
    const send = (target as { call(command: string, ...args: ScriptArg[]): R }).call;
    return send.call(target, "FCALL", functionLibrary().functionOf(script), 2, ...args);
  }
  const fn = (target as Record<string, (...args: ScriptArg[]) => R>)[commandName(script)];
  if (fn === undefined) throw new BackendError(`Redis script ${script} is not registered on this connection`);
  return fn.apply(target, args);
}
