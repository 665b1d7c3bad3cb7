/**
 * vitest global setup: gives the run a server registry (see server-registry.ts) and, at the end of
 * the run, failed tests or not, stops every test server the run's workers started.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REGISTRY_VARIABLE, stopRecordedServers } from "./server-registry.js";

export function setup(): () => Promise<void> {
  // Workers are forked after this runs, so they inherit the variable.
  const registry = join(mkdtempSync(join(tmpdir(), "asyncmq-test-run-")), "servers");
  process.env[REGISTRY_VARIABLE] = registry;
  return async () => {
    await stopRecordedServers(registry);
    rmSync(dirname(registry), { recursive: true, force: true });
  };
}
