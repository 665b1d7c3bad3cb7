/**
 * Loads the user's tasks module for `worker start --tasks`: ESM JavaScript directly, TypeScript
 * (`.ts`, `.mts`, `.cts`, `.tsx`) through tsx's loader hooks, imported and registered only for such
 * a module (tsx is an optional peer dependency).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CliError } from "./errors.js";

const TYPESCRIPT = /\.(c|m)?tsx?$/i;

let tsxRegistered = false;

/** Imports the module at `spec` (a path, relative to the cwd); one clear error line if it fails. */
export async function loadTasksModule(spec: string): Promise<string> {
  const path = resolve(process.cwd(), spec);
  if (!existsSync(path)) {
    throw new CliError(
      `tasks module "${spec}" not found (looked at ${path}); pass the path of a .js, .mjs or .ts file`,
    );
  }
  if (statSync(path).isDirectory()) {
    throw new CliError(`tasks module "${spec}" is a folder; pass the path of its .js, .mjs or .ts file`);
  }
  if (TYPESCRIPT.test(path) && !tsxRegistered) await registerTsx(spec);
  try {
    await import(pathToFileURL(path).href);
  } catch (err) {
    const run = TYPESCRIPT.test(path) ? `npx tsx ${spec}` : `node ${spec}`;
    throw new CliError(
      `tasks module "${spec}" failed to load: ${summary(err)}; fix the module (run "${run}" to see the stack)`,
    );
  }
  return path;
}

/**
 * Registers tsx's loader hooks, globally (not tsImport's namespace), so the module's `import "asyncmq"`
 * resolves to the very module this CLI uses and its tasks land in the same registry. tsx is an
 * optional peer dependency: without it, a Node that strips types itself still loads the module.
 */
async function registerTsx(spec: string): Promise<void> {
  let api: { register: () => unknown };
  try {
    api = (await import("tsx/esm/api")) as { register: () => unknown };
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    if (nodeStripsTypes()) return;
    throw new CliError(
      `tasks module "${spec}" is TypeScript, which needs the tsx package: run npm install tsx (or, on Node 22.6+, set NODE_OPTIONS=--experimental-strip-types), or compile it to .js`,
    );
  }
  api.register();
  tsxRegistered = true;
}

/** Whether this Node runs TypeScript by itself (22.6+ with --experimental-strip-types, 23.6+ by default). */
function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}

/** The first line or two of an error: enough to say what failed, never a stack. */
function summary(err: unknown): string {
  const text =
    err instanceof Error ? `${err.name === "Error" ? "" : `${err.name}: `}${err.message}` : String(err);
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const joined = lines.slice(0, 2).join(" ");
  return joined.length > 300 ? `${joined.slice(0, 299)}…` : joined;
}
