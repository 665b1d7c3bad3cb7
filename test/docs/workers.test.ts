// The examples of docs/workers.md type-check against the built package's types, strict, each as its
// own module (the README's quick start is also run; these call remote APIs, so they are only compiled).
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const blocks = [...readFileSync(join(root, "docs", "workers.md"), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)];
// Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
const files = blocks.map((_, i) => join(root, "test", "docs", `.workers-example-${i}-${process.pid}.ts`));
afterAll(() => {
  for (const file of files) rmSync(file, { force: true });
});

it("every example of docs/workers.md type-checks against the built package, strict", async () => {
  expect(blocks.length).toBeGreaterThanOrEqual(4);
  for (const [i, block] of blocks.entries()) writeFileSync(files[i] as string, block[1] as string);
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const options = ["--strict", "--module", "nodenext", "--target", "es2022", "--types", "node"];
  const r = await run(process.execPath, [tsc, "--ignoreConfig", "--noEmit", ...options, ...files], {
    cwd: root,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }));
  expect(r.stdout).toBe("");
}, 60_000);
