import { configDefaults, defineConfig } from "vitest/config";

/**
 * Test files whose time is spent waiting (timers, leases, their servers), not on a CPU: they run
 * first, two at a time (on 2 cores: 254 s one at a time, 108 s two at a time). The others (child
 * processes, Chromium, chaos storms, CLI runs) keep a CPU busy and run after them one at a time:
 * two at a time on a 2-core CI machine made them up to 2.5x slower each and saved nothing.
 */
const WAITING = [
  "test/conformance/**/*.test.ts",
  // Not leader, log-noise, finish-outage: their windows of a few hundred ms (a leader elected, loops
  // met by a 1.5 s outage) are for a machine running one test file at a time.
  "test/reliability/redis-cluster-failover.test.ts",
  "test/worker/**/*.test.ts",
  "test/runtime/**/*.test.ts",
  "test/unit/**/*.test.ts",
  "test/schedule/**/*.test.ts",
  "test/metrics/**/*.test.ts",
];

export default defineConfig({
  test: {
    // Stops the Postgres and Redis test servers the run started, even when a test fails.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 15_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        extends: true,
        test: { name: "waiting", include: WAITING, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: "busy",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...WAITING],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
