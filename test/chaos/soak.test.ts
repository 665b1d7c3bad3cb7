/**
 * The soak (long form only: ASYNCMQ_CHAOS_LONG=1, i.e. `npm run chaos`): one `asyncmq worker start`
 * process on SQLite under steady load for ASYNCMQ_CHAOS_SOAK_MINUTES (default 30), its RSS and heap
 * sampled every 10 s inside it. Memory must plateau: the last third's peaks stay within a margin of
 * the middle third's (the first third is warm-up), and every job completes.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { JOB_STATES } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import { LONG, SOAK_MINUTES } from "./harness/config.js";
import { Fleet } from "./harness/fleet.js";
import { report } from "./harness/report.js";
import { readRuns, runStats } from "./harness/runs.js";

/** Jobs added per second, in batches every 100 ms. */
const RATE = 200;
/** Allowed growth of the last third's peak over the middle third's. */
const RSS_MARGIN = 0.1;
const HEAP_MARGIN = 0.25;
const SAMPLE_MS = Math.min(10_000, Math.max(1000, Math.round((SOAK_MINUTES * 60_000) / 60)));

interface MemorySample {
  t: number;
  rss: number;
  heapUsed: number;
}

const peak = (xs: MemorySample[], k: "rss" | "heapUsed") => Math.max(...xs.map((x) => x[k]));

describe.runIf(LONG)("soak", () => {
  it(
    `${SOAK_MINUTES} minutes of steady load on SQLite: memory plateaus, every job completes`,
    async () => {
      // Made here, not in the describe body: that runs even when the long form is off.
      const dir = mkdtempSync(join(tmpdir(), "asyncmq-chaos-soak-"));
      const path = join(dir, "soak.db");
      const backend = new SqliteBackend({ path });
      const queue = new Queue("chaos", { backend });
      const runsDir = mkdtempSync(join(dir, "runs-"));
      const samples = join(dir, "memory.jsonl");
      const fleet = new Fleet({
        url: `sqlite://${path}`,
        runsDir,
        cwd: dir,
        concurrency: 10,
        env: { CHAOS_SAMPLE_FILE: samples, CHAOS_SAMPLE_MS: String(SAMPLE_MS) },
      });
      const started = Date.now();
      let added = 0;
      try {
        await fleet.start(1);
        const end = started + SOAK_MINUTES * 60_000;
        while (Date.now() < end) {
          const due = Math.floor(((Date.now() - started) / 1000) * RATE) - added;
          if (due > 0) {
            await queue.addBulk(
              Array.from({ length: due }, (_, i) => ({
                task: "chaos",
                data: { ms: 5 + ((added + i) % 10) },
              })),
            );
            added += due;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        const deadline = Date.now() + 120_000;
        let counts = await queue.getJobCounts();
        while (counts.completed + counts.failed < added && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          counts = await queue.getJobCounts();
        }
        const exited = fleet.alive.length === 0;
        await fleet.stop();

        const mem = readFileSync(samples, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as MemorySample);
        const third = Math.floor(mem.length / 3);
        const middle = mem.slice(third, 2 * third);
        const last = mem.slice(2 * third);
        const mb = (b: number) => Math.round(b / 1048576);
        const stats = runStats(readRuns(runsDir));
        report({
          backend: "sqlite",
          scenario: "soak",
          jobs: added,
          faults: 0,
          lost: added - counts.completed - counts.failed,
          deadLettered: counts.failed,
          duplicateRuns: stats.duplicateRuns,
          duplicateCompletions: stats.duplicateCompletions,
          recoveryP50Ms: 0,
          recoveryMaxMs: 0,
          recovery: "n/a",
          longestStallMs: 0,
          wallMs: Date.now() - started,
          minutes: SOAK_MINUTES,
          samples: mem.length,
          rssMb: {
            first: mb(mem[0]?.rss ?? 0),
            middlePeak: mb(peak(middle, "rss")),
            lastPeak: mb(peak(last, "rss")),
          },
          heapMb: {
            first: mb(mem[0]?.heapUsed ?? 0),
            middlePeak: mb(peak(middle, "heapUsed")),
            lastPeak: mb(peak(last, "heapUsed")),
          },
        });
        expect(exited, "the worker exited during the soak").toBe(false);
        expect(counts).toEqual(Object.fromEntries(JOB_STATES.map((s) => [s, s === "completed" ? added : 0])));
        expect(mem.length, "memory samples").toBeGreaterThanOrEqual(9);
        expect(peak(last, "rss"), "RSS of the last third vs the middle third's peak").toBeLessThanOrEqual(
          peak(middle, "rss") * (1 + RSS_MARGIN),
        );
        expect(
          peak(last, "heapUsed"),
          "heap of the last third vs the middle third's peak",
        ).toBeLessThanOrEqual(peak(middle, "heapUsed") * (1 + HEAP_MARGIN));
      } finally {
        await fleet.kill();
        await queue.close();
        await backend.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
    (SOAK_MINUTES * 60 + 300) * 1000,
  );
});
