import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Stops the Postgres and Redis test servers the run started, even when a test fails.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 15_000,
    hookTimeout: 30_000,
    teardownTimeout: 10_000,
    pool: "forks",
    reporters: ["default"],
  },
});
