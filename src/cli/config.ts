/**
 * The optional config file in the current directory: `asyncmq.config.js`, `.mjs` or `.json`, whose
 * (default) export is `{ backend: "sqlite://./jobs.db" }`. Only consulted when neither `--backend`
 * nor `ASYNCMQ_BACKEND` chose a backend.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closest } from "../closest.js";
import { CliError, oneLine } from "./errors.js";

export const CONFIG_FILES = ["asyncmq.config.js", "asyncmq.config.mjs", "asyncmq.config.json"] as const;

/** The keys a config file may set: a misspelt one would otherwise be ignored without a word. */
const KEYS = ["backend"] as const;

export interface CliConfig {
  /** The file it came from. */
  file: string;
  backend?: string;
}

/** Finds and loads the first config file in `cwd`; null when there is none. */
export async function loadConfig(cwd = process.cwd()): Promise<CliConfig | null> {
  const name = CONFIG_FILES.find((f) => existsSync(resolve(cwd, f)));
  if (!name) return null;
  const path = resolve(cwd, name);
  let raw: unknown;
  try {
    if (name.endsWith(".json")) {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } else {
      const mod = (await import(pathToFileURL(path).href)) as { default?: unknown; backend?: unknown };
      raw = mod.default ?? mod;
    }
  } catch (err) {
    throw new CliError(`cannot load config file ${name}: ${oneLine(err)}; fix the file or pass --backend`);
  }
  if (typeof raw !== "object" || raw === null) {
    throw new CliError(`config file ${name} must export an object like { backend: "sqlite://./jobs.db" }`);
  }
  for (const key of Object.keys(raw)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      const meant = closest(key, KEYS);
      throw new CliError(
        `config file ${name}: unknown key "${key}"${meant ? ` (did you mean "${meant}"?)` : ""}; it may set only ${KEYS.map((k) => `"${k}"`).join(", ")}`,
      );
    }
  }
  const backend = (raw as { backend?: unknown }).backend;
  if (backend !== undefined && (typeof backend !== "string" || backend.trim() === "")) {
    throw new CliError(
      `config file ${name}: "backend" must be a URL string like "sqlite://./jobs.db", got ${JSON.stringify(backend)}`,
    );
  }
  return { file: name, ...(backend !== undefined ? { backend } : {}) };
}
