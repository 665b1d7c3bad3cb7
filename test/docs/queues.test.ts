// docs/queues.md's example is run as written, in a child process, against a fresh SQLite file.
import { it } from "vitest";
import { checkDocExample } from "./doc-example.js";

it("the job management example runs and prints what its comments say", async () => {
  await checkDocExample("queues.md", 4);
}, 30_000);
