/**
 * Long queue operations of the built CLI (drain, clean, obliterate, retry, promote) count
 * "n of N" on a terminal while they run (stderr, through script(1) for a terminal), and print only
 * their one final line when piped (issue 11, item 9). 1,200 jobs: more than one batch of 1,000.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Queue, SqliteBackend } from "../../src/index.js";
import { BIN, childEnv, run } from "./helpers.js";

const N = 1200;
const execute = promisify(execFile);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh SQLite file with N jobs in queue "bulk" (waiting, cancelled or delayed): its directory. */
async function filled(state: "waiting" | "cancelled" | "delayed" = "waiting"): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-progress-"));
  dirs.push(dir);
  const backend = new SqliteBackend({ path: join(dir, ".asyncmq", "asyncmq.db") });
  try {
    const q = new Queue("bulk", { backend });
    const options = state === "delayed" ? { delay: "1h" } : {};
    const ids = await q.addBulk(Array.from({ length: N }, (_, i) => ({ task: "t", data: { i }, options })));
    if (state === "cancelled") for (const id of ids) await q.cancelJob(id);
  } finally {
    await backend.close();
  }
  return dir;
}

/** Runs `asyncmq ...args` on a terminal (stdout and stderr both go to it); its whole output. */
async function onTerminal(args: string[], cwd: string): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((w) => `'${w}'`).join(" ");
  const { stdout } = await execute("script", ["-qec", command, "/dev/null"], {
    cwd,
    env: childEnv({ TERM: "dumb" }),
    timeout: 30_000,
  });
  return stdout;
}

const CASES: Array<{ name: string; args: string[]; fill?: "cancelled" | "delayed"; final: RegExp }> = [
  { name: "drain", args: ["queue", "drain", "bulk"], final: /^removed 1200 waiting jobs from "bulk"$/ },
  {
    name: "clean",
    args: ["queue", "clean", "bulk", "--state", "waiting"],
    final: /^removed 1200 waiting jobs from "bulk"$/,
  },
  {
    name: "obliterate",
    args: ["queue", "obliterate", "bulk"],
    final: /^queue "bulk" obliterated \(1200 jobs removed\)$/,
  },
  {
    name: "retry",
    args: ["queue", "retry", "bulk"],
    fill: "cancelled",
    final: /^retried 1200 failed, expired, cancelled jobs of "bulk": waiting again, attempts reset$/,
  },
  {
    name: "promote",
    args: ["queue", "promote", "bulk"],
    fill: "delayed",
    final: /^promoted 1200 delayed jobs of "bulk": waiting now$/,
  },
];

describe.each(CASES)("queue $name", ({ args, fill, final }) => {
  it("piped: one final line, nothing on stderr", async () => {
    const r = await run(args, { cwd: await filled(fill) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(final);
  }, 60_000);

  it('on a terminal: "n of N" while it runs, then the final line', async () => {
    const out = await onTerminal(args, await filled(fill));
    expect(out).toMatch(/: 0 of 1200/);
    expect(out).toMatch(/: 1200 of 1200/);
    // The progress line is cleared ("erase line") before the final line is printed.
    expect(out.split("\u001b[2K").at(-1)?.trim()).toMatch(final);
  }, 60_000);
});
