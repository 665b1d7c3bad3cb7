/**
 * Loads the user's tasks module for `worker start --tasks`: ESM JavaScript directly, TypeScript
 * (`.ts`, `.mts`, `.cts`, `.tsx`) through tsx's loader hooks, imported and registered only for such
 * a module (tsx is an optional peer dependency).
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { registerTypeScript, TYPESCRIPT, TYPESCRIPT_HINT } from "../typescript-loader.js";
import { CliError } from "./errors.js";

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
  if (TYPESCRIPT.test(path) && !(await registerTypeScript())) {
    throw new CliError(`tasks module "${spec}" is TypeScript, which ${TYPESCRIPT_HINT}`);
  }
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
