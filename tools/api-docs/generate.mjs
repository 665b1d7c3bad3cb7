// Generates the API reference, Markdown under docs/api/, from the TSDoc of what src/index.ts
// exports, with TypeDoc and its Markdown plugin (settings in typedoc.json). TypeDoc needs
// TypeScript's JS compiler API, which TypeScript 7 (the project's compiler) no longer has: this
// workspace's own TypeScript 5.9 serves TypeDoc alone, and TypeDoc does not type-check (tsc does).
//
// Usage: node tools/api-docs/generate.mjs [out-dir] [project-root]
//   (defaults: docs/api of this repository, from this repository's src/)
// `npm run docs:api` runs it; test/docs/api-reference.test.ts fails when docs/api/ is not current.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[3] ?? join(here, "..", ".."));
const out = resolve(process.argv[2] ?? join(root, "docs", "api"));
const typedoc = join(
  dirname(createRequire(import.meta.url).resolve("typedoc/package.json")),
  "bin",
  "typedoc",
);

rmSync(out, { recursive: true, force: true }); // pages of removed exports go too
execFileSync(
  process.execPath,
  [
    typedoc,
    ...["--options", join(here, "typedoc.json")],
    ...["--entryPoints", join(root, "src", "index.ts")],
    ...["--tsconfig", join(root, "tsconfig.build.json")],
    ...["--out", out],
  ],
  { cwd: here, stdio: "inherit" },
);
