/**
 * A sandboxed task's handler: a function like any other to the runtime (handle-job calls it with
 * the job's data and ctx), which runs the task's module in the task's pool. Pools keep idle
 * sandboxes only while a worker runtime runs in this process, and are closed when the last stops.
 */
import type { TaskHandler } from "../task.js";
import { handlerModuleUrl, type SandboxOptions, sandboxConfig } from "./options.js";
import { SandboxPool } from "./pool.js";

interface Sandboxes {
  /** Worker runtimes running now. */
  holders: number;
  pools: Set<SandboxPool>;
}

// Process-wide, as the task registry: a global CLI's runtime and a project's tasks may use two copies.
const KEY = Symbol.for("asyncmq.sandboxes");
const holder = globalThis as typeof globalThis & { [KEY]?: Sandboxes };
holder[KEY] ??= { holders: 0, pools: new Set() };
const state = holder[KEY];

/** What identifies a sandboxed handler, so that defining the same task twice is harmless. */
const identities = new WeakMap<object, string>();

/**
 * The handler of task `name` that runs the module `spec` in a pool.
 * @throws ValidationError for bad options or a module path that names no file.
 */
export function sandboxedHandler(
  name: string,
  spec: string | URL,
  sandbox: true | SandboxOptions,
): TaskHandler<unknown, unknown> {
  const module = handlerModuleUrl(name, spec);
  const config = sandboxConfig(name, sandbox);
  let pool: SandboxPool | undefined;
  const handler: TaskHandler<unknown, unknown> = (data, ctx) => {
    if (!pool) {
      pool = new SandboxPool(name, module, config, () => state.holders > 0);
      state.pools.add(pool);
    }
    return pool.run(data, ctx);
  };
  identities.set(handler, JSON.stringify([module, config]));
  return handler;
}

/** Whether two handlers are the same sandboxed module with the same options. */
export function sameSandbox(a: object, b: object): boolean {
  const id = identities.get(a);
  return id !== undefined && id === identities.get(b);
}

/**
 * Called by each worker runtime as it starts: idle sandboxes are kept for the next job until the
 * returned function has been called by every runtime, which then closes every pool.
 */
export function holdSandboxes(): () => Promise<void> {
  state.holders += 1;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    state.holders -= 1;
    if (state.holders === 0) await Promise.all([...state.pools].map((p) => p.close()));
  };
}
