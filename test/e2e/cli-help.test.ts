/**
 * Every help page of the built `asyncmq` binary, found by walking the command tree from the root's
 * help: wherever `--backend` is offered, the four URL schemes are named (issue 11, item 3).
 */
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { run } from "./helpers.js";

const SCHEMES = ["sqlite://", "redis://", "postgres://", "memory://"];

/** The subcommand names listed under "Commands:" in a help text (without `help`). */
function subcommands(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? "";
  return section
    .split("\n")
    .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== "help");
}

it("every help that offers --backend names sqlite://, redis://, postgres:// and memory://", async () => {
  const pages = new Map<string, string>();
  let level: string[][] = [[]];
  while (level.length > 0) {
    const helps = await Promise.all(
      level.map(async (path) => {
        const r = await run([...path, "--help"], { cwd: tmpdir() });
        expect(r.code, `${path.join(" ")} --help: ${r.stderr}`).toBe(0);
        return [path, r.stdout] as const;
      }),
    );
    level = [];
    for (const [path, help] of helps) {
      pages.set(["asyncmq", ...path].join(" "), help);
      for (const sub of subcommands(help)) level.push([...path, sub]);
    }
  }
  expect(pages.size, "the walk found the command tree").toBeGreaterThan(20);
  const offering = [...pages].filter(([, help]) => help.includes("--backend"));
  expect(offering.map(([name]) => name)).toContain("asyncmq");
  for (const [name, help] of offering) {
    const flat = help.replace(/\s+/g, " ");
    for (const scheme of SCHEMES) expect(flat, `${name} --help names ${scheme}`).toContain(scheme);
  }
}, 60_000);

it("the built bin runs by itself, as `npx asyncmq` runs it inside the repository", async () => {
  const bin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
  expect(statSync(bin).mode & 0o111, "dist/cli/main.js is executable").not.toBe(0);
  const { stdout } = await promisify(execFile)(bin, ["--help"], { cwd: tmpdir() });
  expect(stdout).toMatch(/^Usage: asyncmq/m);
});
