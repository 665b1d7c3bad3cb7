// docs/flows.md's example is run as written, in a child process, against a fresh SQLite file.
import { it } from "vitest";
import { checkDocExample } from "./doc-example.js";

it("the cross-queue flow example runs and prints what its comments say", async () => {
  await checkDocExample("flows.md", 4);
}, 30_000);
