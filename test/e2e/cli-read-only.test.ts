/**
 * Read-only commands never create a database (issue 11, item 5): a typo in a sqlite:// path, or
 * `info backend` in a fresh folder, says the file does not exist (one line, exit 1) and leaves
 * nothing behind; the commands that write (job enqueue, worker start) still create it.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-cli-read-only-"));
  dirs.push(dir);
  return dir;
}

function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

describe("read-only commands on a missing SQLite file", () => {
  it("fail with one line naming the file and create neither the folder nor the file", async () => {
    const cwd = freshDir();
    const file = join(cwd, "typo/dir/jobs.db");
    for (const args of [
      ["queue", "list"],
      ["queue", "info", "q"],
      ["job", "list", "q"],
      ["worker", "list"],
      ["info", "backend"],
    ]) {
      const r = await run([...args, "--backend", `sqlite://${file}`], { cwd });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout).toBe("");
      expect(lines(r.stderr), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toContain(`${file} does not exist`);
      expect(r.stderr).toMatch(/job enqueue|worker start/);
      expect(existsSync(join(cwd, "typo")), args.join(" ")).toBe(false);
    }
  });

  it("info backend and queue list on the default backend leave ./.asyncmq/ uncreated", async () => {
    const cwd = freshDir();
    for (const args of [
      ["info", "backend"],
      ["queue", "list"],
    ]) {
      const r = await run(args, { cwd });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain("asyncmq.db does not exist");
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it("job enqueue still creates the file, and then the read-only commands read it", async () => {
    const cwd = freshDir();
    const file = join(cwd, "new/dir/jobs.db");
    const backend = ["--backend", `sqlite://${file}`];
    const enqueued = await run(["job", "enqueue", "q", "t", ...backend], { cwd });
    expect(enqueued.code, enqueued.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    const listed = await run(["queue", "list", ...backend], { cwd });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("q");
  });
});
