/**
 * The test servers a run starts are stopped at its end even when a worker dies before its own
 * cleanup (issue 11, item 13): a nested vitest runs a fixture that starts a Postgres and a Redis
 * server and then SIGKILLs itself; once that run has exited, neither server may be left.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-cleanup-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Whether something accepts connections on this loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The test-server processes (Postgres, Redis) whose command line names `text`, by pgrep. */
function processesNaming(text: string): string[] {
  const r = spawnSync("pgrep", ["-af", "--", text], { encoding: "utf8" });
  return r.stdout.split("\n").filter((l) => l.trim() !== "");
}

/** Our environment without this run's server registry: the nested run must clean up by itself. */
function outerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TEST_SERVER_REGISTRY;
  return env;
}

it("stops a killed worker's Postgres and Redis servers at the end of the run", async () => {
  const report = join(dir, "report.json");
  const run = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules/vitest/vitest.mjs"),
      "run",
      "--config",
      "test/support/fixtures/vitest.leaky.config.ts",
    ],
    { cwd: ROOT, encoding: "utf8", env: { ...outerEnv(), LEAK_REPORT: report }, timeout: 120_000 },
  );
  const started = JSON.parse(readFileSync(report, "utf8")) as { pg: string; redis: string; dirs: string[] };
  // The nested run fails (its worker was killed); what matters is what it left behind.
  expect(run.status, run.stdout + run.stderr).not.toBe(0);
  for (const url of [started.pg, started.redis]) {
    expect(await accepts(Number(new URL(url).port)), `${url} still answers`).toBe(false);
  }
  for (const serverDir of started.dirs) expect(processesNaming(serverDir)).toEqual([]);
}, 150_000);
