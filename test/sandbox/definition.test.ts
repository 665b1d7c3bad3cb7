/** Defining a sandboxed task: what is refused at definition, what crosses the boundary as an error. */
import { readdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { UnrecoverableError, ValidationError } from "../../src/errors.js";
import { RateLimitError, rateLimitDelay } from "../../src/rate-limit-error.js";
import { fromWire, toWire } from "../../src/sandbox/wire.js";
import {
  delayedMove,
  delayedWithData,
  WaitingChildrenError,
  waitingChildrenOf,
} from "../../src/step-errors.js";
import { task, unregisterTask } from "../../src/task.js";
import { until } from "../helpers.js";

const modes = new URL("./fixtures/modes.js", import.meta.url);
const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unregisterTask(n);
});
const named = (n: string) => {
  names.push(n);
  return n;
};

describe("task() with a module path", () => {
  it("takes a URL, a file: URL string, an absolute path and a path relative to the current directory", () => {
    expect(task(named("sbx-url"), { queue: "q" }, modes).name).toBe("sbx-url");
    expect(task(named("sbx-href"), { queue: "q" }, modes.href).name).toBe("sbx-href");
    expect(task(named("sbx-abs"), { queue: "q", sandbox: true }, new URL(modes).pathname).name).toBe(
      "sbx-abs",
    );
    const rel = "test/sandbox/fixtures/modes.js"; // vitest runs from the repository root
    expect(task(named("sbx-rel"), { queue: "q", sandbox: { isolation: "process" } }, rel).name).toBe(
      "sbx-rel",
    );
  });

  it("defining the same module twice is harmless; another module under the name is refused", () => {
    const a = task(named("sbx-twice"), { queue: "q", sandbox: { pool: 2 } }, modes);
    expect(task("sbx-twice", { queue: "q", sandbox: { pool: 2 } }, modes.href)).toBe(a);
    expect(() => task("sbx-twice", { queue: "q", sandbox: { pool: 3 } }, modes)).toThrow(ValidationError);
  });

  it("refuses a missing file, a folder, a non-file URL, a sandboxed function and bad options", () => {
    expect(() => task("sbx-x", { queue: "q" }, "./no/such/handler.ts")).toThrow(
      /is not a file \(looked at .*no\/such\/handler\.ts; a relative path is taken from the current directory/,
    );
    expect(() => task("sbx-x", { queue: "q" }, pathToFileURL("test").href)).toThrow(/is not a file/);
    expect(() => task("sbx-x", { queue: "q" }, new URL("https://example.com/h.js"))).toThrow(
      /must be a file: URL/,
    );
    expect(() => task("sbx-x", { queue: "q", sandbox: true }, () => 1)).toThrow(
      /is sandboxed, so its handler must be the path of a module/,
    );
    const bad = (sandbox: unknown) => () => task("sbx-x", { queue: "q", sandbox: sandbox as true }, modes);
    expect(bad({ isolation: "fiber" })).toThrow(/isolation must be "thread" or "process"/);
    expect(bad({ pool: 0 })).toThrow(/pool must be an integer >= 1/);
    expect(bad({ maxJobsPerChild: -1 })).toThrow(/maxJobsPerChild must be an integer >= 0/);
    expect(bad({ threads: 2 })).toThrow(ValidationError);
    expect(bad({ resourceLimits: { maxOldGenerationSizeMb: 0 } })).toThrow(/maxOldGenerationSizeMb must be/);
    expect(bad({ isolation: "process", resourceLimits: { stackSizeMb: 4 } })).toThrow(
      /a child process takes only resourceLimits.maxOldGenerationSizeMb/,
    );
    expect(bad(false)).toThrow(/must be true or options/);
  });

  it("a module without a handler export fails the job, saying what to export", async () => {
    const t = task(
      named("sbx-none"),
      { queue: "q", sandbox: { pool: 1 } },
      new URL("./fixtures/no-handler.js", import.meta.url),
    );
    await expect(t.run(undefined)).rejects.toThrow(/exports no handler: export default async function/);
  });

  it("task.run() runs the module in a sandbox, ctx calls included, and ends the sandbox after", async () => {
    const threads = () => readdirSync("/proc/self/task").length;
    const before = threads();
    const t = task(named("sbx-run"), { queue: "q", sandbox: { pool: 1 } }, modes);
    const progress: unknown[] = [];
    const result = (await t.run({ mode: "echo" } as never, {
      progress: async (p) => void progress.push(p),
    })) as {
      threadId: number;
    };
    expect(result.threadId).toBeGreaterThan(0);
    expect(progress).toEqual([{ pid: process.pid, threadId: result.threadId }]);
    await until(() => threads() <= before, 5000, "the sandbox thread to end (no worker runtime keeps it)");
  });
});

describe("errors across the boundary", () => {
  const across = (err: unknown) => fromWire(structuredClone(toWire(err)));

  it("keep name, message, stack and plain own properties", () => {
    const err = Object.assign(new RangeError("too big"), { code: "E_BIG", detail: { max: 3 }, fn: () => 1 });
    const back = across(err);
    expect(back).toBeInstanceOf(Error);
    expect(back).toMatchObject({ name: "RangeError", message: "too big", stack: err.stack, code: "E_BIG" });
    expect((back as unknown as { detail: unknown }).detail).toEqual({ max: 3 });
    expect("fn" in back).toBe(false);
    expect(across("plain text")).toMatchObject({ name: "Error", message: "plain text" });
  });

  it("keep the markers the runtime acts on", () => {
    class NotFound extends UnrecoverableError {}
    const unrecoverable = across(new NotFound("gone"));
    expect(unrecoverable).toBeInstanceOf(UnrecoverableError);
    expect(unrecoverable.name).toBe("NotFound");
    expect(rateLimitDelay(across(new RateLimitError(250)))).toBe(250);
    const runAt = Date.now() + 60_000;
    expect(delayedMove(across(delayedWithData(runAt, '{"step":2}')))).toEqual({
      runAt,
      dataJson: '{"step":2}',
    });
    expect(waitingChildrenOf(across(new WaitingChildrenError(["1", "2"])))).toEqual(["1", "2"]);
  });
});
