/**
 * A throwaway project that installed asyncmq the way a user does, and nothing else: its
 * node_modules holds the files `npm pack` would publish (from the built dist/) and the runtime
 * `dependencies` with their own dependencies, symlinked from ours. No pg, no ioredis, no tsx, no
 * @types/pg: what the optional peers are not there to hide.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface InstalledProject {
  dir: string;
  /** Runs `node ...args` in the project, with no ASYNCMQ_* settings from our environment. */
  node(args: string[], timeoutMs?: number): Promise<RunResult>;
  remove(): void;
}

/**
 * Makes the project in a fresh temp dir (removed again if making it fails). `extra` names more
 * packages of ours to link, as a user's own (e.g. `@types/node` for a TypeScript project).
 */
export function makeInstalledProject(extra: string[] = []): InstalledProject {
  const dir = mkdtempSync(join(isolatedTempRoot(), "asyncmq-installed-"));
  try {
    const modules = join(dir, "node_modules");
    copyPackedFiles(join(modules, "asyncmq"));
    const manifest = readManifest(ROOT);
    for (const name of closure([...Object.keys(manifest.dependencies ?? {}), ...extra])) {
      const target = join(modules, name);
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(join(ROOT, "node_modules", name), target, "dir");
    }
    return {
      dir,
      node: (args, timeoutMs = 20_000) => runNode(dir, args, timeoutMs),
      remove: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A temp folder with no node_modules in any parent, since Node would resolve missing packages
 * there (a `/tmp/node_modules` left by another tool would hand the project our pg and ioredis).
 */
function isolatedTempRoot(): string {
  const candidates = [tmpdir(), "/var/tmp"];
  for (const root of candidates) {
    if (ancestors(root).every((d) => !existsSync(join(d, "node_modules")))) return root;
  }
  throw new Error(
    `every temp folder (${candidates.join(", ")}) has a node_modules above it; remove it or set TMPDIR`,
  );
}

function ancestors(dir: string): string[] {
  const all = [resolve(dir)];
  for (let d = dirname(all[0] as string); d !== all[all.length - 1]; d = dirname(d)) all.push(d);
  return all;
}

/** Copies the files `npm pack` lists (package.json, README, dist, src) to `target`. */
function copyPackedFiles(target: string): void {
  const listing = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const files = (JSON.parse(listing) as Array<{ files: Array<{ path: string }> }>)[0]?.files ?? [];
  if (!files.some((f) => f.path === "dist/index.js")) {
    throw new Error("npm pack lists no dist/index.js: run npm run build first");
  }
  for (const { path } of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    cpSync(join(ROOT, path), join(target, path));
  }
}

/** `names` and everything they depend on, as installed in our node_modules. */
function closure(names: string[]): Set<string> {
  const seen = new Set<string>();
  const pending = [...names];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    const where = join(ROOT, "node_modules", name);
    // An optional dependency for another platform is simply absent.
    if (!existsSync(where)) continue;
    seen.add(name);
    const m = readManifest(where);
    pending.push(...Object.keys(m.dependencies ?? {}), ...Object.keys(m.optionalDependencies ?? {}));
  }
  return seen;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

function runNode(cwd: string, args: string[], timeoutMs: number): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("ASYNCMQ_") && k !== "NODE_OPTIONS") env[k] = v;
  }
  return new Promise((done) => {
    execFile(process.execPath, args, { cwd, env, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
      done({ code, stdout, stderr });
    });
  });
}

/**
 * Type-checks `files` of the project with our `tsc`, as a strict NodeNext consumer with skipLibCheck
 * off (so our published .d.ts are checked too); `out` is tsc's output, empty when all is well.
 */
export function typecheck(dir: string, files: string[]): Promise<{ code: number | null; out: string }> {
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ["node"],
      },
      files,
    }),
  );
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  return new Promise((done) => {
    execFile(
      process.execPath,
      [tsc, "-p", "tsconfig.json"],
      { cwd: dir, timeout: 60_000 },
      (err, stdout, stderr) => {
        done({
          code: err === null ? 0 : typeof err.code === "number" ? err.code : null,
          out: stdout + stderr,
        });
      },
    );
  });
}
