// docs/sandbox.md's example (its handler module hash.ts beside it) is run as written, in a child
// process, against a fresh SQLite file.
import { it } from "vitest";
import { checkDocExample } from "./doc-example.js";

it("the sandboxed task example runs and prints what its comments say", async () => {
  await checkDocExample("sandbox.md", 2, ["hash.ts"]);
}, 30_000);
