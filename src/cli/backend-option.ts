/**
 * The options every command takes (`--backend URL`, `--json`) and the backend they resolve to:
 * `--backend`, else `ASYNCMQ_BACKEND`, else the config file in the cwd, else the SQLite default.
 */
import type { Command } from "commander";
import type { Backend } from "../backends/backend.js";
import { closeSharedBackends, DEFAULT_SQLITE_PATH, resolveBackend } from "../backends/registry.js";
import { redactUrl } from "../backends/shared/redact-url.js";
import { ValidationError } from "../errors.js";
import { getSettings } from "../settings.js";
import { BACKEND_URL_FORMS } from "./backend-help.js";
import { loadConfig } from "./config.js";
import { CliError, oneLine, UsageError, withHint } from "./errors.js";
import { missingDatabase } from "./missing-database.js";
import { warn } from "./output.js";

export interface CommonOptions {
  backend?: string;
  json?: boolean;
}

export type BackendSource = "--backend" | "ASYNCMQ_BACKEND" | "config file" | "default";

export interface BackendChoice {
  url: string;
  source: BackendSource;
  /** The config file, when the URL came from one. */
  file?: string;
}

export const DEFAULT_BACKEND_URL = `sqlite://${DEFAULT_SQLITE_PATH}`;

/** Adds `--backend <url>` (and `--json` unless `json` is false) to a command. */
export function withCommonOptions(cmd: Command, json = true): Command {
  cmd.option(
    "--backend <url>",
    `backend URL: ${BACKEND_URL_FORMS} (default: ASYNCMQ_BACKEND, asyncmq.config.*, sqlite://./.asyncmq/asyncmq.db)`,
  );
  if (json) cmd.option("--json", "print JSON instead of text");
  return cmd;
}

/** Which backend URL the options, environment and config file choose, and where it came from. */
export async function chooseBackend(options: CommonOptions): Promise<BackendChoice> {
  checkEnvironment();
  if (options.backend !== undefined) {
    if (options.backend.trim() === "") throw new UsageError("--backend needs a URL like sqlite://./jobs.db");
    return { url: options.backend, source: "--backend" };
  }
  const env = process.env.ASYNCMQ_BACKEND;
  if (env !== undefined && env.trim() !== "") return { url: env, source: "ASYNCMQ_BACKEND" };
  const config = await loadConfig();
  if (config?.backend) return { url: config.backend, source: "config file", file: config.file };
  return { url: DEFAULT_BACKEND_URL, source: "default" };
}

/** Fails early, as a usage error, when an ASYNCMQ_* variable holds a bad value. */
function checkEnvironment(): void {
  try {
    getSettings();
  } catch (err) {
    throw new UsageError(withHint(oneLine(err), "fix or unset the variable"));
  }
}

/** The chosen URL as messages, banners and output show it: without its password. */
export function shownUrl(choice: BackendChoice): string {
  return redactUrl(choice.url);
}

/** Describes where a choice came from, for messages: `(from --backend)`. */
export function describeSource(choice: BackendChoice): string {
  return choice.source === "config file" ? `from ${choice.file}` : `from ${choice.source}`;
}

/**
 * Opens the chosen backend and checks that it answers. An unsupported URL is a usage error (2); a
 * backend that cannot be opened or reached is a failure (1). Only commands that write (`create`:
 * job enqueue, worker start) may create a missing SQLite file; the others fail and say so.
 */
export async function openBackend(choice: BackendChoice, create = false): Promise<Backend> {
  const missing = create ? undefined : missingDatabase(choice.url);
  if (missing !== undefined) {
    throw new CliError(`cannot open backend ${shownUrl(choice)} (${describeSource(choice)}): ${missing}`);
  }
  let backend: Backend;
  try {
    backend = resolveBackend(choice.url);
  } catch (err) {
    if (err instanceof ValidationError) {
      throw new UsageError(`${oneLine(err)} (${describeSource(choice)})`);
    }
    throw unreachable(choice, err);
  }
  try {
    await backend.listQueues();
  } catch (err) {
    throw unreachable(choice, err);
  }
  return backend;
}

function unreachable(choice: BackendChoice, err: unknown): CliError {
  const detail = oneLine(err);
  // The backend's own message usually says what to do already (after a ";", or the package to install).
  const hint =
    detail.includes(";") || detail.includes("npm install")
      ? ""
      : "; check the URL, that the server is up or the path is writable";
  return new CliError(
    `cannot open backend ${shownUrl(choice)} (${describeSource(choice)}): ${detail}${hint}`,
  );
}

/**
 * Opens the backend for a command, warning once when its data does not outlive this process.
 * `create`: the command writes, so it may create a missing SQLite file (default false).
 */
export async function backendFor(
  options: CommonOptions,
  commandNeedsSharing = true,
  create = false,
): Promise<Backend> {
  const choice = await chooseBackend(options);
  const backend = await openBackend(choice, create);
  if (commandNeedsSharing && !backend.capabilities.multiProcess && !options.json) {
    warn(`${shownUrl(choice)} keeps jobs inside this one process; use a sqlite:// URL to share them`);
  }
  return backend;
}

/** Closes every backend the command opened, ignoring errors on the way out. */
export async function closeBackends(): Promise<void> {
  await closeSharedBackends().catch(() => {});
}
