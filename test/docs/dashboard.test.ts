// docs/dashboard.md: its node:http mounting example runs as written (on a free port and a temp
// SQLite file instead of 3000 and ./jobs.db), and its flag table lists the command's options.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { until } from "../helpers.js";

const root = join(import.meta.dirname, "..", "..");
const doc = readFileSync(join(root, "docs", "dashboard.md"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "asyncmq-dashboard-doc-"));
// Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
const script = join(root, "test", "docs", `.dashboard-example-${process.pid}.mjs`);
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  rmSync(script, { force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on("error", reject);
  });
}

it("the node:http example serves the dashboard under its base path and the app beside it", async () => {
  const block = /\*\*node:http\*\*\s+```js\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(block, "docs/dashboard.md has a ```js block after **node:http**").toBeTruthy();
  const port = await freePort();
  const code = (block as string)
    .replace("sqlite://./jobs.db", `sqlite://${join(dir, "jobs.db")}`)
    .replace(".listen(3000,", `.listen(${port},`);
  expect(code).toContain(`.listen(${port},`);
  writeFileSync(script, code);
  child = spawn(process.execPath, [script], { cwd: root, stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  const page = await until(
    () =>
      fetch(`${url}/admin/queues/`).then(
        (r) => (r.ok ? r.text() : null),
        () => null,
      ),
    10_000,
    "the example server",
  );
  expect(page).toContain('data-testid="page-title">Queues<');
  expect(page).toContain('href="/admin/queues/dead"');
  expect(await (await fetch(`${url}/elsewhere`)).text()).toBe("my app");
}, 20_000);

it("the flag table lists exactly the options of asyncmq dashboard", () => {
  const command = buildProgram().commands.find((c) => c.name() === "dashboard");
  const options = (command?.options ?? []).map((o) => o.long).filter((o) => o !== "--help");
  const table = doc.slice(doc.indexOf("| flag |"), doc.indexOf("The command prints the URL"));
  const documented = [...table.matchAll(/^\| `(--[a-z-]+)/gm)].map((m) => m[1]);
  expect(documented.sort()).toEqual(options.sort());
});
