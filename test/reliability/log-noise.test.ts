/**
 * Issue 10, item 10: what a worker prints during a real outage. Each loop (claiming, the delayed
 * scanner, the stall sweeper, the housekeeper, the repeatable scheduler, ...) says once that it
 * fails and once that it works again, in one line each: no stack per round, no dump of a driver
 * object (a lost idle Postgres connection printed its whole pg Client, ~117 lines).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Backend, LeaderStore } from "../../src/backends/backend.js";
import { configure } from "../../src/settings.js";
import { Worker } from "../../src/worker/worker.js";
import { uniqueQueue, until, withMembers } from "../helpers.js";
import { captureLog, OUTAGES } from "./outage.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-log-noise-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => configure({ logger: undefined }));

/** The loops that run every scan interval (100 ms here), so fail ~15 times in the outage. */
const LOOPS = [
  /^claiming jobs of queue/,
  /^the delayed-job scanner of queue/,
  /^the stall sweeper of queue/,
  /^the housekeeper \(retention, ttl\) of queue/,
  /^the repeatable scheduler of queue/,
];

for (const [name, make] of Object.entries(OUTAGES)) {
  describe(`log lines during an outage on ${name}`, () => {
    it("one line per loop when it starts failing, one when it works again, nothing else per round", async () => {
      const outage = await make(dir);
      const lines = captureLog();
      const q = uniqueQueue("noise");
      // idlePoll too: an idle claim loop (and the delayed scanner) would otherwise back off to
      // seconds and might not meet the 1.5 s outage at all.
      const backend = noticingLead(outage.backend, q);
      const worker = new Worker(q, { backend, scanInterval: 100, idlePoll: 100 });
      try {
        await worker.start();
        // Only the queue's leader runs the maintenance loops: on a loaded machine the first lease
        // can come after a fixed 300 ms, and then no maintenance loop met the outage.
        await until(() => backend.led, 15_000, "the worker to lead its queue");
        await new Promise((r) => setTimeout(r, 300));
        await outage.down();
        await new Promise((r) => setTimeout(r, 1500));
        await outage.up();
        // Every loop that said it fails (on SQLite, only the writers meet the lock) says it works again.
        const said = (re: RegExp, what: RegExp) => lines.some((l) => re.test(body(l)) && what.test(l));
        await until(
          () => LOOPS.every((loop) => said(loop, RECOVERED) || !said(loop, FAILED)),
          15_000,
          "every failing loop to say it works again",
        );
      } finally {
        await worker.stop();
        await outage.dispose();
        configure({ logger: undefined });
      }
      const report = lines.join("\n");
      // One line per message: every line is a message's first line.
      for (const line of lines) expect(line, report).toMatch(/^(info|warn|error) \[asyncmq\] \S/);
      let failing = 0;
      for (const loop of LOOPS) {
        const own = lines.filter((l) => loop.test(body(l)));
        const failed = own.filter((l) => FAILED.test(l)).length;
        expect(failed, report).toBeLessThanOrEqual(1);
        expect(
          own.filter((l) => RECOVERED.test(l)),
          report,
        ).toHaveLength(failed);
        failing += failed;
      }
      expect(failing, `the outage made no loop fail\n${report}`).toBeGreaterThan(0);
      if (name !== "sqlite") expect(failing, report).toBe(LOOPS.length);
      // The loops' lines, the engine's own (connection lost, ...) and one per lost idle connection
      // of a Postgres pool (10): never one per round.
      expect(lines.length, report).toBeLessThanOrEqual(30);
    }, 60_000);
  });
}

/** `real`, noting (in `led`) when its leader store first hands this process the lease of `queue`. */
function noticingLead(real: Backend, queue: string): Backend & { readonly led: boolean } {
  const leaders = real.leaders;
  let led = leaders === undefined;
  const noticing: LeaderStore | undefined = leaders && {
    tryLead: async (...args) => {
      const held = await leaders.tryLead(...args);
      if (held.includes(queue)) led = true;
      return held;
    },
    resign: (...args) => leaders.resign(...args),
  };
  return withMembers(real as Backend & { readonly led: boolean }, {
    leaders: noticing,
    get led() {
      return led;
    },
  });
}

const FAILED = / failed: /;
const RECOVERED = / works again, after /;

/** A captured line without its level and prefix. */
function body(line: string): string {
  return line.replace(/^\w+ \[asyncmq\] /, "");
}
