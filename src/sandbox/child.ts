/**
 * One sandbox: a worker thread or a child process running runner.js, behind one small interface so
 * the pool need not care which. Killing is for real: `worker.terminate()` stops a busy loop, and a
 * child process gets SIGKILL.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { SandboxConfig } from "./options.js";
import type { FromSandbox, ToSandbox } from "./wire.js";

export interface SandboxChild {
  /** Posts a message; throws when it cannot be cloned. */
  send(message: ToSandbox): void;
  /** Set by the pool: each message the sandbox posts. */
  onMessage: (message: FromSandbox) => void;
  /** Resolves, once, with how the sandbox ended ("exited with code 1", "killed by SIGKILL"). */
  readonly exited: Promise<string>;
  /** Ends it now, whatever it is doing; idempotent. */
  kill(): void;
}

// Under the TypeScript sources (tests, tsx) the runner is runner.ts, which tsx must load.
const fromSources = import.meta.url.endsWith(".ts");
const runner = new URL(`./runner${fromSources ? ".ts" : ".js"}`, import.meta.url);

/** Starts a sandbox of `config.isolation`. */
export function spawnSandbox(config: SandboxConfig): SandboxChild {
  return config.isolation === "thread" ? threadChild(config) : processChild(config);
}

function threadChild(config: SandboxConfig): SandboxChild {
  const worker = new Worker(fromSources ? tsxBootstrap() : runner, {
    ...(config.resourceLimits ? { resourceLimits: config.resourceLimits } : {}),
  });
  let crash: Error | undefined;
  worker.on("error", (err) => {
    crash = err;
  });
  const child: SandboxChild = {
    send: (message) => worker.postMessage(message),
    onMessage: () => {},
    exited: new Promise((resolve) => {
      worker.once("exit", (code) =>
        resolve(crash ? `crashed: ${crash.name}: ${crash.message}` : `exited with code ${code}`),
      );
    }),
    kill: () => void worker.terminate(),
  };
  worker.on("message", (m: FromSandbox) => child.onMessage(m));
  return child;
}

function processChild(config: SandboxConfig): SandboxChild {
  const execArgv = [...process.execArgv];
  const heap = config.resourceLimits?.maxOldGenerationSizeMb;
  if (heap !== undefined) execArgv.push(`--max-old-space-size=${heap}`);
  if (fromSources) execArgv.push("--import", import.meta.resolve("tsx"));
  const proc: ChildProcess = fork(fileURLToPath(runner), [], { serialization: "advanced", execArgv });
  let failed: Error | undefined;
  proc.on("error", (err) => {
    failed = err;
  });
  const child: SandboxChild = {
    send: (message) => {
      proc.send(message);
    },
    onMessage: () => {},
    exited: new Promise((resolve) => {
      proc.once("exit", (code, signal) =>
        resolve(
          failed ? `failed: ${failed.message}` : signal ? `killed by ${signal}` : `exited with code ${code}`,
        ),
      );
    }),
    kill: () => void proc.kill("SIGKILL"),
  };
  proc.on("message", (m: FromSandbox) => child.onMessage(m));
  return child;
}

/** A module that registers tsx's hooks in the new thread, then loads runner.ts. */
function tsxBootstrap(): URL {
  const code = `const { register } = await import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))});
register();
await import(${JSON.stringify(runner.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
