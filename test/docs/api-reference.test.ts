// The API reference, docs/api/, is generated from the TSDoc by tools/api-docs (TypeDoc with its own
// TypeScript 5.9; see generate.mjs) and checked in. Here: it is exactly what the generator makes from
// the current source (after changing an export or a doc comment, run `npm run docs:api`), every
// option it lists says its default, configure({ logger }) is documented, and the README links it.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const api = join(root, "docs", "api");
const fresh = mkdtempSync(join(tmpdir(), "asyncmq-api-docs-"));
afterAll(() => rmSync(fresh, { recursive: true, force: true }));

/** Every file below `dir`, relative to it, sorted. */
function files(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [relative(dir, join(d, e.name))],
    );
  return walk(dir).sort();
}

it("docs/api is what the generator makes from the current source (else: npm run docs:api)", async () => {
  const generator = join(root, "tools", "api-docs", "generate.mjs");
  const typedoc = join(root, "tools", "api-docs", "node_modules", "typedoc");
  expect(existsSync(typedoc), "TypeDoc is installed with the workspace tools/api-docs (npm ci)").toBe(true);
  await run(process.execPath, [generator, fresh], { cwd: root, timeout: 120_000 });
  const made = files(fresh);
  expect(made.length).toBeGreaterThan(50);
  expect(files(api), "the pages of docs/api (run npm run docs:api)").toEqual(made);
  const stale = made.filter(
    (f) => readFileSync(join(api, f), "utf8") !== readFileSync(join(fresh, f), "utf8"),
  );
  expect(stale, "pages that differ from the source's TSDoc (run npm run docs:api)").toEqual([]);
}, 150_000);

/** The rows of a page's property table: [name with `?` when optional, description]. */
function properties(page: string): Array<[string, string]> {
  const rows = [
    ...page.matchAll(/^\| <a id="property-[^"]+"><\/a> `([^`]+)` \| .*? \| (.*?) \|(?: .* \|)?$/gm),
  ];
  return rows.map((m) => [m[1] as string, m[2] as string]);
}

describe("options", () => {
  // Options whose doc comment lives in a file that other work holds today (issue 10): each must
  // say its default there. This list may only shrink; the test fails when an entry is fixed.
  const PENDING = new Set<string>([]);

  it("every optional option in the reference says its default", () => {
    const pages = readdirSync(join(api, "interfaces")).filter((f) =>
      /(Options|Defaults|^Settings)\.md$/.test(f),
    );
    expect(pages).toEqual(expect.arrayContaining(["Settings.md", "RunWorkerOptions.md", "QueueOptions.md"]));
    const silent: string[] = [];
    for (const page of pages) {
      const rows = properties(readFileSync(join(api, "interfaces", page), "utf8"));
      expect(rows.length, page).toBeGreaterThan(0);
      for (const [name, description] of rows) {
        if (name.endsWith("?") && !/default/i.test(description)) silent.push(`${page.slice(0, -3)}.${name}`);
      }
    }
    expect(
      silent.filter((o) => !PENDING.has(o)),
      "options that do not say their default",
    ).toEqual([]);
    expect(
      [...PENDING].filter((o) => !silent.includes(o)),
      "fixed: remove them from PENDING",
    ).toEqual([]);
  });

  it("documents configure({ logger }): what a logger is, its default, an example", () => {
    const settings = properties(readFileSync(join(api, "interfaces", "Settings.md"), "utf8"));
    const logger = settings.find(([name]) => name === "logger?")?.[1] ?? "";
    expect(logger).toMatch(/`debug`, `info`, `warn` and `error`/);
    expect(logger).toMatch(/Default: info, warnings and errors on stderr/);
    const configure = readFileSync(join(api, "functions", "configure.md"), "utf8");
    expect(configure).toMatch(/configure\(\{[^}]*logger: /);
    expect(readFileSync(join(api, "interfaces", "Logger.md"), "utf8")).toMatch(/configure\(\{ logger \}\)/);
  });
});

it("the README links the reference", () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  expect(readme).toContain("(https://github.com/asyncmq/asyncmq-node/blob/main/docs/api/README.md)");
});
