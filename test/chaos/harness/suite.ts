/**
 * One engine's chaos file: its server (or folder) started before and removed after, even on failure,
 * and the scenarios it supports, one test each.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { LONG } from "./config.js";
import type { ChaosEngine } from "./engines.js";
import { bulkKills, connectionKills, engineOutages, killStorm } from "./scenarios.js";

/** How long one scenario may take before it fails (the long form moves 20,000 jobs and waits out 40 s outages). */
const SCENARIO_MS = LONG ? 900_000 : 120_000;

export function chaosSuite(name: string, start: (dir: string) => Promise<ChaosEngine>): void {
  describe(`chaos on ${name}${LONG ? " (long form)" : ""}`, () => {
    const dir = mkdtempSync(join(tmpdir(), `asyncmq-chaos-${name}-`));
    let engine: ChaosEngine | undefined;
    const get = (): ChaosEngine => {
      if (!engine) throw new Error(`the ${name} engine did not start`);
      return engine;
    };
    beforeAll(async () => {
      engine = await start(dir);
    }, 60_000);
    afterAll(async () => {
      try {
        await engine?.destroy();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);

    it(
      "SIGKILL storm over worker processes: 0 lost, no healthy job dead-lettered",
      async () => {
        await killStorm(get(), dir, SCENARIO_MS - 30_000);
      },
      SCENARIO_MS,
    );

    it(
      "SIGKILL during addBulk: the queue holds all of the bulk or none of it",
      async () => {
        await bulkKills(get());
      },
      SCENARIO_MS,
    );

    if (name !== "sqlite") {
      it(
        "engine restarts mid-run: 0 lost",
        async () => {
          await engineOutages(get(), dir, SCENARIO_MS - 30_000);
        },
        SCENARIO_MS,
      );

      it(
        "connection kills mid-run: 0 lost",
        async () => {
          await connectionKills(get(), dir, SCENARIO_MS - 30_000);
        },
        SCENARIO_MS,
      );
    }
  });
}
