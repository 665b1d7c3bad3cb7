/**
 * configure({ logger }): a pino logger gets structured fields first (queue, jobId, task, workerId,
 * attempt, err), as pino expects them; a console-style logger gets the message (and the error) as
 * before. With real pino writing to a stream, and a worker on the memory backend.
 */
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createBackend } from "../../src/backends/registry.js";
import { registerBackoff } from "../../src/backoff-registry.js";
import { events } from "../../src/events.js";
import { isPinoStyle, type Logger, log } from "../../src/logger.js";
import { Queue } from "../../src/queue.js";
import { configure } from "../../src/settings.js";
import { task } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";

afterEach(() => configure({ logger: undefined }));

/** A real pino logger at debug level whose lines are parsed into `lines`. */
function pinoLines() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "debug" }, { write: (s: string) => lines.push(JSON.parse(s)) });
  configure({ logger });
  return lines;
}

describe("a pino logger", () => {
  it("gets a worker's job lines with queue, jobId, task, workerId and attempt", async () => {
    const lines = pinoLines();
    registerBackoff("log-test-throws", () => {
      throw new Error("strategy fails on purpose");
    });
    task("log-test-fails", { queue: "log-q", retries: 1, backoff: { type: "log-test-throws" } }, () => {
      throw new Error("handler fails on purpose");
    });
    const backend = createBackend("memory://");
    const queue = new Queue("log-q", { backend });
    const worker = new Worker("log-q", { backend, concurrency: 1 });
    try {
      await worker.start();
      const id = await queue.add("log-test-fails", {});
      await expect(queue.waitFor(id, { timeout: "5s" })).rejects.toThrow(/handler fails on purpose/);
      const line = lines.find((l) => String(l.msg).includes("was not retried"));
      expect(line).toMatchObject({
        level: 40,
        queue: "log-q",
        jobId: id,
        task: "log-test-fails",
        workerId: worker.id,
        attempt: 1,
      });
      expect(line?.msg).toMatch(/^job \d+ of "log-q" \(log-test-fails\) was not retried: backoff strategy/);
    } finally {
      await worker.stop();
      await queue.close();
      await backend.close();
    }
  });

  it("gets an error as pino's err field, serialised by pino", () => {
    const lines = pinoLines();
    const throwing = () => {
      throw new TypeError("listener fails on purpose");
    };
    events.on("job:progress", throwing);
    try {
      events.emit("job:progress", { queue: "log-q2", jobId: "7", progress: 1 } as never);
    } finally {
      events.off("job:progress", throwing);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: "a listener of job:progress threw; the job and worker go on",
      queue: "log-q2",
      jobId: "7",
      err: { type: "TypeError", message: "listener fails on purpose" },
    });
    expect(String((lines[0]?.err as { stack?: string } | undefined)?.stack)).toContain(
      "TypeError: listener fails on purpose",
    );
  });
});

describe("a console-style logger", () => {
  it("gets the message, and the error as its second argument, as before", () => {
    const calls: unknown[][] = [];
    const keep = (...args: unknown[]) => calls.push(args);
    configure({ logger: { debug: keep, info: keep, warn: keep, error: keep } });
    const err = new Error("boom");
    log().warn("plain", { queue: "q", jobId: "1" });
    log().error("with an error", { queue: "q", err });
    expect(calls).toEqual([["plain"], ["with an error", err]]);
  });

  it("is what a logger with a log method is, child or not (console, winston)", () => {
    const noop = () => {};
    const base: Logger = { debug: noop, info: noop, warn: noop, error: noop };
    expect(isPinoStyle(console as unknown as Logger)).toBe(false);
    expect(isPinoStyle({ ...base, child: () => base, log: noop } as Logger)).toBe(false);
    expect(isPinoStyle(base)).toBe(false);
    expect(isPinoStyle({ ...base, child: () => base })).toBe(true);
    expect(isPinoStyle(pino())).toBe(true);
  });
});
