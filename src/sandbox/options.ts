/**
 * A sandboxed task's options and handler module, checked when the task is defined: bad input throws
 * ValidationError there, not when the first job runs.
 */
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ResourceLimits } from "node:worker_threads";
import { ValidationError } from "../errors.js";
import { checkInt } from "../job.js";
import { checkKeys, keysOf } from "../option-keys.js";

/** How a sandboxed task runs its handler module; `sandbox: true` takes every default. */
export interface SandboxOptions {
  /**
   * `"thread"` (default): a worker thread (`node:worker_threads`), cheap to start, sharing the
   * process's memory limit unless `resourceLimits` says otherwise. `"process"`: a child process
   * (`child_process.fork`), its own heap and crash domain.
   */
  isolation?: "thread" | "process";
  /**
   * Threads (or processes) of this task at most, started on demand; a job beyond them waits (its
   * lease renewed) for one to be free. Default `os.availableParallelism()`.
   */
  pool?: number;
  /** Jobs a thread (or process) runs before it is replaced by a fresh one. Default: no limit. */
  maxJobsPerChild?: number;
  /**
   * Limits of each thread's V8 heap (`worker_threads` `resourceLimits`); a thread past them ends and
   * its job fails. For `isolation: "process"` only `maxOldGenerationSizeMb` applies (as
   * `--max-old-space-size`). Default: Node's.
   */
  resourceLimits?: ResourceLimits;
}

/** Sandbox options with every default applied. */
export interface SandboxConfig {
  isolation: "thread" | "process";
  pool: number;
  maxJobsPerChild: number;
  resourceLimits?: ResourceLimits;
}

const SANDBOX_KEYS = keysOf<SandboxOptions>({
  isolation: true,
  pool: true,
  maxJobsPerChild: true,
  resourceLimits: true,
});
const LIMIT_KEYS = keysOf<ResourceLimits>({
  maxOldGenerationSizeMb: true,
  maxYoungGenerationSizeMb: true,
  codeRangeSizeMb: true,
  stackSizeMb: true,
});

/** Validates `sandbox` (true or options) of task `name`. */
export function sandboxConfig(name: string, sandbox: true | SandboxOptions): SandboxConfig {
  const where = `task "${name}" sandbox`;
  if (sandbox === true) return { isolation: "thread", pool: availableParallelism(), maxJobsPerChild: 0 };
  if (typeof sandbox !== "object" || sandbox === null) {
    throw new ValidationError(`${where} must be true or options like { isolation: "process", pool: 2 }`);
  }
  checkKeys(sandbox, SANDBOX_KEYS, `${where} options`);
  const isolation = sandbox.isolation ?? "thread";
  if (isolation !== "thread" && isolation !== "process") {
    throw new ValidationError(`${where} isolation must be "thread" or "process", got ${String(isolation)}`);
  }
  const pool = checkInt(sandbox.pool ?? availableParallelism(), `${where} pool`, 1, 1024);
  const maxJobsPerChild = checkInt(sandbox.maxJobsPerChild ?? 0, `${where} maxJobsPerChild`, 0);
  const limits = sandbox.resourceLimits;
  if (limits === undefined) return { isolation, pool, maxJobsPerChild };
  if (typeof limits !== "object" || limits === null) {
    throw new ValidationError(
      `${where} resourceLimits must be an object like { maxOldGenerationSizeMb: 256 }`,
    );
  }
  checkKeys(limits, LIMIT_KEYS, `${where} resourceLimits`);
  for (const [key, value] of Object.entries(limits)) checkInt(value, `${where} resourceLimits.${key}`, 1);
  if (isolation === "process" && Object.keys(limits).some((k) => k !== "maxOldGenerationSizeMb")) {
    throw new ValidationError(
      `${where}: a child process takes only resourceLimits.maxOldGenerationSizeMb (its --max-old-space-size); use isolation "thread" for the others`,
    );
  }
  return { isolation, pool, maxJobsPerChild, resourceLimits: { ...limits } };
}

/**
 * The file URL of task `name`'s handler module: an absolute path, a path relative to the current
 * directory (as BullMQ's sandboxed processors and the CLI's `--tasks`), a `file:` URL string
 * (`import.meta.resolve(path)`) or a URL (`new URL(path, import.meta.url)`).
 * @throws ValidationError when it names no file.
 */
export function handlerModuleUrl(name: string, spec: string | URL): string {
  const where = `task "${name}" handler module`;
  let path: string;
  if (spec instanceof URL || (typeof spec === "string" && spec.startsWith("file:"))) {
    const url = new URL(spec);
    if (url.protocol !== "file:") {
      throw new ValidationError(`${where} must be a file: URL, got ${url.protocol} (${url.href})`);
    }
    path = fileURLToPath(url);
  } else if (typeof spec === "string" && spec !== "") {
    path = isAbsolute(spec) ? spec : resolve(process.cwd(), spec);
  } else {
    throw new ValidationError(
      `task "${name}" needs a handler: a function, or the path of a module to sandbox`,
    );
  }
  if (!existsSync(path) || statSync(path).isDirectory()) {
    throw new ValidationError(
      `${where} "${String(spec)}" is not a file (looked at ${path}; a relative path is taken from the current directory, ${process.cwd()}): pass new URL("./file.ts", import.meta.url) to name it relative to the defining module`,
    );
  }
  return pathToFileURL(path).href;
}
