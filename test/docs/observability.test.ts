// docs/observability.md's example (OpenTelemetry SDK, a job that fails once) is run as written, in a
// child process, against a fresh SQLite file.
import { it } from "vitest";
import { checkDocExample } from "./doc-example.js";

it("the tracing example runs and prints what its comments say", async () => {
  await checkDocExample("observability.md", 3);
}, 30_000);
