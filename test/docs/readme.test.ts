// The README's quick start is run as written, in a child process, twice on the same SQLite file:
// the second run must stop on its own jobs too, not on counts that include the first run's.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-readme-"));
// Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
const script = join(root, "test", "docs", `.readme-quickstart-${process.pid}.ts`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(script, { force: true });
});

const readme = readFileSync(join(root, "README.md"), "utf8");
const block = /## Quick start\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1];

it("the quick start type-checks against the built package's types, strict", async () => {
  expect(block, "README has a ```ts block under ## Quick start").toBeTruthy();
  writeFileSync(script, block as string);
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const options = ["--strict", "--module", "nodenext", "--target", "es2022", "--types", "node"];
  const r = await run(process.execPath, [tsc, "--ignoreConfig", "--noEmit", ...options, script], {
    cwd: root,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }));
  expect(r.stdout).toBe("");
}, 30_000);

it("the quick start runs, completes both jobs and exits, twice on the same SQLite file", async () => {
  expect(block, "README has a ```ts block under ## Quick start").toBeTruthy();
  writeFileSync(script, block as string);
  // The command the README gives for it, with our file in place of quickstart.ts.
  const command = /run `(npx tsx) quickstart\.ts`/.exec(readme)?.[1];
  expect(command, "README says how to run the quick start (`npx tsx quickstart.ts`)").toBeTruthy();
  const [npx, ...args] = (command as string).split(" ") as [string, ...string[]];
  const env = { ...process.env, ASYNCMQ_BACKEND: `sqlite://${join(dir, "readme.db")}` };
  for (const round of ["first", "second"]) {
    const { stdout } = await run(npx, [...args, script], {
      cwd: root,
      env,
      timeout: 15_000,
    }).catch((err: Error & { killed?: boolean }) => {
      throw new Error(
        `the ${round} run ${err.killed ? "did not exit within 15 s" : "failed"}: ${err.message}`,
      );
    });
    expect(stdout.trim(), `${round} run`).toBe("completed sent to ada@example.com");
  }
}, 40_000);
