// docs/queues.md's example is run as written, in a child process, against a fresh SQLite file.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-queues-doc-"));
// Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
const script = join(root, "test", "docs", `.queues-example-${process.pid}.ts`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(script, { force: true });
});

it("the job management example runs and prints what its comments say", async () => {
  const doc = readFileSync(join(root, "docs", "queues.md"), "utf8");
  const block = /## An example\s+```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block, "docs/queues.md has a ```ts block under ## An example").toBeTruthy();
  writeFileSync(script, block as string);
  const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, ASYNCMQ_BACKEND: `sqlite://${join(dir, "queues.db")}` },
    timeout: 20_000,
  });
  // Each console.log line prints what its `// ...` comment says (up to a colon).
  const expected = [...(block as string).matchAll(/console\.log\(.*\); \/\/ (.*?)(?::.*)?$/gm)].map(
    (m) => m[1],
  );
  expect(expected).toHaveLength(4);
  expect(stdout.trim().split("\n")).toEqual(expected);
}, 30_000);
