// docs/metrics.md's example is run as written, in a child process, against a fresh SQLite file.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-metrics-doc-"));
// Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
const script = join(root, "test", "docs", `.metrics-example-${process.pid}.ts`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(script, { force: true });
});

it("the getMetrics example runs and prints what its comments say", async () => {
  const doc = readFileSync(join(root, "docs", "metrics.md"), "utf8");
  const block = /## Reading them: `queue.getMetrics`\s+```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block, "docs/metrics.md has a ```ts block under its getMetrics heading").toBeTruthy();
  writeFileSync(script, block as string);
  const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, ASYNCMQ_BACKEND: `sqlite://${join(dir, "metrics.db")}` },
    timeout: 20_000,
  });
  // Each console.log line prints what its `// ...` comment says.
  const expected = [...(block as string).matchAll(/console\.log\(.*\); \/\/ (.*?)(?::.*)?$/gm)].map(
    (m) => m[1],
  );
  expect(expected).toHaveLength(3);
  expect(stdout.trim().split("\n")).toEqual(expected);
}, 30_000);
