// What the README tells a new user before the Quick start (issue 11, item 3): which backends are
// real and their URLs, that the package is ESM and how CommonJS loads it, and what `npm test` needs.
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { BACKEND_URL_FORMS } from "../../src/cli/backend-help.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const beforeQuickStart = readme.slice(0, readme.indexOf("## Quick start"));

describe("backends", () => {
  it("says Redis and Postgres are here now, with their URLs, before the Quick start", () => {
    expect(beforeQuickStart).toMatch(/Redis \(`redis:\/\/[^`]+`\)/);
    expect(beforeQuickStart).toMatch(/Postgres \(`postgres:\/\/[^`]+`\)/);
    expect(readme).not.toMatch(/\b(coming|soon|planned|not yet|in progress)\b/i);
  });

  it("shows every URL form the CLI's --backend help shows", () => {
    const forms = BACKEND_URL_FORMS.split(/, | or /);
    expect(forms).toHaveLength(4);
    for (const form of forms) expect(readme, form).toContain(form.replace(/\/\/.*/, "//"));
  });
});

describe("ESM and TypeScript", () => {
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { type?: string };
  // Inside the package, so that "asyncmq" resolves to this package (dist/).
  const script = join(root, "test", "docs", `.readme-cjs-${process.pid}.cjs`);
  afterAll(() => rmSync(script, { force: true }));

  it("says the package is ESM, as package.json does", () => {
    expect(manifest.type).toBe("module");
    expect(beforeQuickStart).toMatch(/ES module package \(`"type": "module"`/);
  });

  it("loads from CommonJS the two ways it says (await import, and require on Node 20.19+)", async () => {
    expect(beforeQuickStart).toContain('load it with `await import("asyncmq")`');
    expect(beforeQuickStart).toContain('Node 20.19+\nand 22.12+ also accept `require("asyncmq")`');
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    const requireWorks = (major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22;
    writeFileSync(
      script,
      `(async () => {
         const imported = await import("asyncmq");
         const required = ${requireWorks ? 'require("asyncmq")' : "imported"};
         console.log(typeof imported.Queue, typeof required.task);
       })();\n`,
    );
    const { stdout } = await run(process.execPath, [script], { cwd: root });
    expect(stdout.trim()).toBe("function function");
  });

  it("says how to run TypeScript: tsx, or Node's type stripping", () => {
    expect(beforeQuickStart).toContain("`npx tsx app.ts`");
    expect(beforeQuickStart).toMatch(/type stripping on Node 22\.18\+ and 23\.6\+/);
    expect(beforeQuickStart).toContain("--experimental-strip-types");
  });
});

describe("what npm test needs", () => {
  const development = readme.slice(readme.indexOf("## Development")).replace(/\s+/g, " ");

  it("names every package .ci/run installs for the tests, and the URLs that replace the servers", () => {
    const ci = readFileSync(join(root, ".ci", "run"), "utf8");
    const packages = [...ci.matchAll(/missing\+=\(([a-z0-9+-]+)\)/g)].map((m) => m[1] as string);
    expect(packages).toEqual(expect.arrayContaining(["redis-server", "postgresql", "chromium"]));
    for (const name of packages) expect(development, name).toContain(`\`${name}\``);
    expect(development).toContain("`REDIS_URL`");
    expect(development).toContain("`DATABASE_URL`");
  });
});
