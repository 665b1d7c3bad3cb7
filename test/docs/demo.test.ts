// `npm run demo` (examples/demo.js, the README's first command), piped as CI and scripts see it and on
// a terminal (through `script`, which gives it one): the header's job count is the count its progress
// counts to, piped output is lines of text (no blank lines, no raw JSON), and it ends on its own.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const demo = join(root, "examples", "demo.js");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-demo-"));
  dirs.push(dir);
  return dir;
}

/** The total the header announces, and the progress lines' (done, of) pairs. */
function counts(output: string): { announced: number; progress: Array<[number, number]> } {
  const announced = Number(/(\d+) jobs to finish/.exec(output)?.[1]);
  const progress = [...output.matchAll(/\((\d+)\/(\d+)\)/g)].map((m): [number, number] => [
    Number(m[1]),
    Number(m[2]),
  ]);
  return { announced, progress };
}

it("piped: the header's count is what it counts to, and every line is text", async () => {
  const { stdout, stderr } = await run(process.execPath, [demo], { cwd: freshDir(), timeout: 60_000 });
  expect(stderr).toBe("");
  const lines = stdout.replace(/\n$/, "").split("\n");
  expect(
    lines.filter((l) => l.trim() === ""),
    "blank lines",
  ).toEqual([]);
  expect(
    lines.filter((l) => /[{[]"/.test(l)),
    "raw JSON",
  ).toEqual([]);
  const { announced, progress } = counts(stdout);
  expect(announced).toBeGreaterThan(50);
  expect(progress.length).toBeGreaterThan(0);
  for (const [done, of] of progress) {
    expect(of).toBe(announced);
    expect(done).toBeLessThanOrEqual(announced);
  }
  expect(progress.at(-1)).toEqual([announced, announced]);
  expect(lines.at(-1)).toMatch(/\.asyncmq\/asyncmq\.db/);
}, 70_000);

it("on a terminal: the live counter ends at the header's count", async () => {
  const { stdout } = await run("script", ["-qec", `${process.execPath} ${demo}`, "/dev/null"], {
    cwd: freshDir(),
    timeout: 60_000,
    env: { ...process.env, TERM: "dumb" },
  });
  const { announced, progress } = counts(stdout);
  expect(announced).toBeGreaterThan(50);
  expect(progress.every(([, of]) => of === announced)).toBe(true);
  expect(progress.at(-1)).toEqual([announced, announced]);
}, 70_000);
