/**
 * TypeScript modules at run time: tsx's loader hooks (an optional peer dependency), registered once
 * per thread, for the CLI's tasks module and for a sandboxed task's handler module.
 */

/** A TypeScript file name: `.ts`, `.mts`, `.cts`, `.tsx`. */
export const TYPESCRIPT = /\.(c|m)?tsx?$/i;

let registered = false;

/**
 * Registers tsx's loader hooks in this thread, globally (not tsImport's namespace), so a module's
 * `import "asyncmq"` resolves to the very module its caller uses. Resolves to false when tsx is not
 * installed and this Node does not strip types itself: the caller says what to do.
 */
export async function registerTypeScript(): Promise<boolean> {
  if (registered) return true;
  let api: { register: () => unknown };
  try {
    api = (await import("tsx/esm/api")) as { register: () => unknown };
  } catch (err) {
    if ((err as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw err;
    return nodeStripsTypes();
  }
  api.register();
  registered = true;
  return true;
}

/** What to do when {@link registerTypeScript} found no way to run TypeScript. */
export const TYPESCRIPT_HINT =
  "needs the tsx package: run npm install tsx (or, on Node 22.6+, set NODE_OPTIONS=--experimental-strip-types), or compile it to .js";

/** Whether this Node runs TypeScript by itself (22.6+ with --experimental-strip-types, 23.6+ by default). */
function nodeStripsTypes(): boolean {
  return Boolean((process.features as { typescript?: unknown }).typescript);
}
