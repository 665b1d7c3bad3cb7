/**
 * What every area of the conformance suite receives from backend-suite.ts: the backend of the
 * running test and the few helpers that need it. Areas register their own `describe` block with it.
 */
import type { Backend } from "../../../src/backends/backend.js";
import type { Cleanup } from "../helpers.js";

/** The error stored by the suite's failing attempts. */
export const ERR = { name: "Error", message: "boom" };

/** The shared fixture of one backend's conformance run. */
export interface SuiteFixture {
  /** The backend of the running test: a fresh one per test, or the shared one (read it in a hook or test). */
  backend(): Backend;
  /** Run (in order) after each test, before the backend closes: listeners to remove, loggers to restore. */
  readonly cleanups: Cleanup[];
  /** Claims the only waiting job of `queue` and finishes it as `kind` at `now` (default T0 + 20); returns its id. */
  runTo(queue: string, kind: "completed" | "failed", now?: number): Promise<string>;
  /** Returns a new, open backend (for tests that open and close their own). */
  makeBackend(): Promise<Backend> | Backend;
}
