// Runs the ```ts block under "## An example" of a doc as written, in a child process, against a
// fresh SQLite file, and checks that each console.log prints what its `// ...` comment says. Modules
// it imports are the doc's ```ts blocks whose first line is `// <file name>`, written beside it.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

/** Runs docs/`doc`'s example; it must hold `lines` console.log lines; `modules`: the files it imports. */
export async function checkDocExample(doc: string, lines: number, modules: string[] = []): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-doc-"));
  // Inside the package, so that `import ... from "asyncmq"` resolves to this package (dist/).
  const folder = join(root, "test", "docs", `.${doc.replace(/\W/g, "-")}-example-${process.pid}`);
  const script = join(folder, "example.ts");
  try {
    mkdirSync(folder);
    const text = readFileSync(join(root, "docs", doc), "utf8");
    for (const name of modules) {
      const module = new RegExp(`\`\`\`ts\\n(// ${name.replace(".", "\\.")}\\n[\\s\\S]*?)\`\`\``).exec(
        text,
      )?.[1];
      expect(module, `docs/${doc} has a \`\`\`ts block starting // ${name}`).toBeTruthy();
      writeFileSync(join(folder, name), module as string);
    }
    const block = /## An example[\s\S]*?```ts\n((?!\/\/ \S+\.\w+\n)[\s\S]*?)```/.exec(text)?.[1];
    expect(block, `docs/${doc} has a \`\`\`ts block under ## An example`).toBeTruthy();
    writeFileSync(script, block as string);
    const { stdout } = await run(process.execPath, ["--import", "tsx", script], {
      cwd: root,
      env: { ...process.env, ASYNCMQ_BACKEND: `sqlite://${join(dir, "example.db")}` },
      timeout: 20_000,
    });
    // Each console.log line prints what its `// ...` comment says (up to a colon).
    const expected = [...(block as string).matchAll(/console\.log\(.*\); \/\/ (.*?)(?::.*)?$/gm)].map(
      (m) => m[1],
    );
    expect(expected).toHaveLength(lines);
    expect(stdout.trim().split("\n")).toEqual(expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(folder, { recursive: true, force: true });
  }
}
