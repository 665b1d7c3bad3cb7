/**
 * Loading a database driver (`better-sqlite3`, and the optional `pg`, `ioredis`) when its backend is first constructed, so
 * that importing asyncmq loads none and a project installs only the optional driver it uses. All are
 * CommonJS packages, so a synchronous `require` keeps `new RedisBackend()` and `createBackend()`
 * synchronous.
 */
import { createRequire } from "node:module";
import { BackendError } from "../../errors.js";

const require = createRequire(import.meta.url);

/** The optional drivers, with the backend that needs each. */
const DRIVERS = { pg: "PostgreSQL", ioredis: "Redis", "better-sqlite3": "SQLite" } as const;

/**
 * The module `name`, loaded on first use.
 * @throws BackendError naming the package to install when it is missing.
 */
export function loadDriver<T>(name: keyof typeof DRIVERS): T {
  try {
    return require(name) as T;
  } catch (err) {
    if ((err as { code?: string }).code === "MODULE_NOT_FOUND" && String(err).includes(`'${name}'`)) {
      throw new BackendError(
        `the ${DRIVERS[name]} backend needs the "${name}" package, which is not installed: run npm install ${name}`,
        { cause: err },
      );
    }
    throw err;
  }
}
