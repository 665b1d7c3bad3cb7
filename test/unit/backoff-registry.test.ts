import { afterEach, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { registerBackoff, unregisterBackoff } from "../../src/backoff-registry.js";
import { ValidationError } from "../../src/errors.js";
import { backoffDelay, normalizeBackoff } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";

const linear = (attempt: number) => attempt * 100;
afterEach(() => {
  unregisterBackoff("linear");
  unregisterTask("backoff-unit");
});

it("registers a strategy by name; the same one again is harmless, another under that name is refused", () => {
  registerBackoff("linear", linear);
  registerBackoff("linear", linear);
  expect(() => registerBackoff("linear", () => 1)).toThrow(/different backoff strategy named "linear"/);
  expect(() => registerBackoff("fixed", linear)).toThrow(/built-in/);
  expect(() => registerBackoff("", linear)).toThrow(ValidationError);
  expect(() => registerBackoff("x", 5 as never)).toThrow(/must be a function/);
  expect(unregisterBackoff("linear")).toBe(true);
  expect(unregisterBackoff("linear")).toBe(false);
});

it("a job or task naming a strategy not registered here is refused before anything is written", async () => {
  const backend = new InMemoryBackend();
  const queue = new Queue("backoff-unit-q", { backend });
  const unknown =
    /no backoff strategy named "linear" is registered in this process: call registerBackoff\("linear", fn\)/;
  await expect(queue.add("t", {}, { backoff: { type: "linear" } })).rejects.toThrow(unknown);
  expect(() => task("backoff-unit", { queue: "q", backoff: { type: "linear" } }, () => null)).toThrow(
    unknown,
  );
  expect(await queue.getJobCounts()).toMatchObject({ waiting: 0 });
  expect(() => normalizeBackoff({ type: 7 } as never)).toThrow(/registerBackoff/);

  registerBackoff("linear", linear);
  // Stored by name only: the worker's registry gives the function; a delay beside it would be ignored, so it is refused.
  expect(normalizeBackoff({ type: "linear" })).toEqual({ type: "linear" });
  expect(() => normalizeBackoff({ type: "linear", delay: 5 } as never)).toThrow(
    /unknown key "delay" in backoff/,
  );
  const id = await queue.add("t", {}, { backoff: { type: "linear" } });
  expect((await queue.getJob(id))?.backoff).toEqual({ type: "linear" });
  expect(() => backoffDelay({ type: "linear" }, 1)).toThrow(/custom strategy/);
  await backend.close();
});
