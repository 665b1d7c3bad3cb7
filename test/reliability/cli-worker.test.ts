/**
 * Issue 10, item 10, the `worker start` parts: a stop signal sent while the worker starts ends it
 * cleanly (exit 0, not death by the signal), and the banner never shows the backend's password.
 * Runs the built CLI (dist/, as test/e2e does: `npm run build` first).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/backends/backend.js";
import { CliProcess, run, runJson } from "../e2e/helpers.js";
import { until } from "../helpers.js";
import { postgresUrl, stopPostgres } from "../support/postgres-server.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-rel-"));
const FIXTURES = join(import.meta.dirname, "fixtures");
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  stopPostgres();
});

/** Resolves with how the process ended: its exit code, or the signal that killed it. */
function ended(cli: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
      resolve({ code: cli.child.exitCode, signal: cli.child.signalCode });
      return;
    }
    cli.child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

describe("worker start and stop signals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} while the tasks module loads: a clean exit 0, no worker started`, async () => {
      const marker = join(dir, `loading-${signal}`);
      const cli = new CliProcess(
        [
          "worker",
          "start",
          "q",
          "--tasks",
          join(FIXTURES, "slow-tasks.mjs"),
          "--backend",
          `sqlite://${join(dir, `${signal}.db`)}`,
        ],
        { cwd: dir, env: { SLOW_TASKS_MARKER: marker } },
      );
      const end = ended(cli);
      await until(() => existsSync(marker), 15_000, "the tasks module to start loading");
      cli.child.kill(signal);
      const { code, signal: killedBy } = await end;
      expect(killedBy, cli.output).toBeNull();
      expect(code, cli.output).toBe(0);
      expect(cli.output).toMatch(new RegExp(`received ${signal} while starting`));
      expect(cli.output).toMatch(/worker stopped/);
      expect(cli.output).not.toMatch(/worker started/);
    });
  }
});

describe("worker start banner", () => {
  it("shows the backend URL without its password, in text and in --json", async () => {
    // The servers under test trust every local user, so any password is accepted, and must not show.
    const url = new URL(await postgresUrl());
    url.password = "s3cret-pw";
    for (const json of [false, true]) {
      const cli = new CliProcess(
        [
          "worker",
          "start",
          "q",
          "--tasks",
          join(FIXTURES, "one-task.mjs"),
          "--backend",
          url.toString(),
          ...(json ? ["--json"] : []),
        ],
        { cwd: dir },
      );
      const end = ended(cli);
      await cli.waitFor(/worker started|worker:started/);
      const line = cli.lines.find((l) => /worker started|worker:started/.test(l));
      cli.child.kill("SIGTERM");
      const { code } = await end;
      expect(code, cli.output).toBe(0);
      expect(cli.output).not.toContain("s3cret-pw");
      expect(line).toContain(`postgres://${url.username}@${url.host}`);
    }
  });
});

describe("worker start on several queues", () => {
  it("runs one runtime: worker list shows one entry with all its queues; bad queue arguments are usage errors", async () => {
    const backend = `sqlite://${join(dir, "multi.db")}`;
    const cli = new CliProcess(
      ["worker", "start", "q", "q2:3", "q3", "--tasks", join(FIXTURES, "one-task.mjs"), "--backend", backend],
      { cwd: dir },
    );
    const end = ended(cli);
    try {
      await cli.waitFor(/worker started/);
      const workers = (await until(
        async () => {
          const list = await runJson<WorkerInfo[]>(["worker", "list", "--backend", backend], { cwd: dir });
          return list.length > 0 ? list : null;
        },
        10_000,
        "the worker's heartbeat",
      )) as WorkerInfo[];
      expect(workers.map((w) => [w.pid, w.queues])).toEqual([[cli.pid, ["q", "q2", "q3"]]]);
    } finally {
      cli.child.kill("SIGTERM");
    }
    expect((await end).code, cli.output).toBe(0);

    for (const [args, message] of [
      [["q", "q"], /"q" is listed twice/],
      [["q", "q2:x"], /weight, an integer >= 1/],
      [["q", "q2:0"], /weight of queue "q2" must be an integer >= 1/],
    ] as const) {
      const r = await run(
        ["worker", "start", ...args, "--tasks", join(FIXTURES, "one-task.mjs"), "--backend", backend],
        { cwd: dir },
      );
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});
