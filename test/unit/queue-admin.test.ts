// Queue's bulk and job-change calls: what they accept, what they refuse (a ValidationError before
// anything is written), and how their options reach the backend. Their transitions are held to
// the contract on every engine by the conformance suites (suite/job-admin.ts, runtime-suite.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { configure, resetSettings } from "../../src/settings.js";
import { uniqueQueue } from "../helpers.js";

let backend: InMemoryBackend;
let queue: Queue;
beforeEach(() => {
  backend = new InMemoryBackend();
  queue = new Queue(uniqueQueue("admin"), { backend });
});
afterEach(async () => {
  resetSettings();
  await backend.close();
});

/** Claims the queue's waiting jobs and ends them as `kind` now. */
async function finishAll(kind: "completed" | "failed"): Promise<void> {
  const jobs = await backend.claim(queue.name, { workerId: "w", limit: 100, leaseMs: 1000, now: Date.now() });
  const items = jobs.map((j) =>
    kind === "completed"
      ? { kind, jobId: j.id, token: j.token, resultJson: "1" }
      : { kind, jobId: j.id, token: j.token, error: { name: "Error", message: "boom" } },
  );
  await backend.finish(queue.name, items, Date.now());
}

describe("Queue.addBulk of jobs without options", () => {
  it("gives each its own data and its task's options, which it shares with no other job", async () => {
    queue = new Queue(queue.name, {
      backend,
      defaultJobOptions: { retries: 2, removeOnComplete: { count: 5 } },
    });
    const ids = await queue.addBulk([
      { task: "a", data: { n: 1 } },
      { task: "b", data: [2] },
      { task: "a", data: "three" },
      { task: "a", options: { retries: 0 } },
    ]);
    const jobs = await Promise.all(ids.map((id) => queue.getJob(id)));
    expect(jobs.map((j) => [j?.task, j?.data, j?.maxRetries])).toEqual([
      ["a", { n: 1 }, 2],
      ["b", [2], 2],
      ["a", "three", 2],
      ["a", null, 0],
    ]);
    expect(jobs[0]?.removeOnComplete).toEqual({ count: 5 });
    expect(jobs[0]?.removeOnComplete).not.toBe(jobs[2]?.removeOnComplete);
  });

  it("refuses the whole call, naming the problem, when one job's data or task is bad", async () => {
    const bad = [{ n: Number.NaN }, { f: () => 1 }, "x\ud800", { d: new Map() }];
    for (const data of bad) {
      const specs = [
        { task: "t", data: 1 },
        { task: "t", data },
        { task: "t", data: 3 },
      ];
      await expect(queue.addBulk(specs)).rejects.toThrow(ValidationError);
    }
    await expect(queue.addBulk([{ task: "t" }, { task: "a:b" }])).rejects.toThrow(/contains ":"/);
    expect((await queue.getJobCounts()).waiting).toBe(0);
  });
});

describe("Queue.retryJobs / promoteJobs", () => {
  it("retryJobs retries failed jobs by default; olderThan keeps the recent ones; limit bounds a call", async () => {
    await queue.addBulk([{ task: "t" }, { task: "t" }, { task: "t" }]);
    await finishAll("failed");
    expect(await queue.retryJobs({ olderThan: "1h" })).toBe(0);
    expect(await queue.retryJobs({ state: "completed" })).toBe(0);
    expect(await queue.retryJobs({ limit: 2 })).toBe(2);
    expect(await queue.retryJobs()).toBe(1);
    expect(await queue.getJobCounts()).toMatchObject({ failed: 0, waiting: 3 });
    await finishAll("completed");
    expect(await queue.retryJobs({ state: "completed", olderThan: 0 })).toBe(3);
  });

  it("promoteJobs promotes every delayed job up to its limit (default 1000)", async () => {
    await queue.addBulk(Array.from({ length: 3 }, () => ({ task: "t", options: { delay: "1h" } })));
    expect(await queue.promoteJobs({ limit: 2 })).toBe(2);
    expect(await queue.promoteJobs()).toBe(1);
    expect(await queue.getJobCounts()).toMatchObject({ delayed: 0, waiting: 3 });
  });

  it("refuse a state that is not finished, a bad duration or a limit below 1", async () => {
    const bad = [
      () => queue.retryJobs({ state: "waiting" as "failed" }),
      () => queue.retryJobs({ olderThan: "soon" }),
      () => queue.retryJobs({ olderThan: -5 }),
      () => queue.retryJobs({ limit: 0 }),
      () => queue.promoteJobs({ limit: 1.5 }),
    ];
    for (const call of bad) await expect(call()).rejects.toThrow(ValidationError);
    await expect(queue.retryJobs({ state: "active" as "failed" })).rejects.toThrow(
      /finished state \(completed, failed, expired, cancelled\), got "active"/,
    );
  });
});

describe("Queue.updateData / changePriority / changeDelay / getJobLogs", () => {
  it("change a job; false for a missing one", async () => {
    const id = await queue.add("t", { n: 1 }, { delay: "1h" });
    expect(await queue.updateData(id, { n: 2 })).toBe(true);
    expect(await queue.changePriority(id, -3)).toBe(true);
    const before = Date.now();
    expect(await queue.changeDelay(id, "2m")).toBe(true);
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ data: { n: 2 }, priority: -3, state: "delayed" });
    expect(job?.runAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(job?.runAt).toBeLessThanOrEqual(Date.now() + 120_000);
    for (const call of [
      () => queue.updateData("nope", { n: 1 }),
      () => queue.changePriority("nope", 1),
      () => queue.changeDelay("nope", 0),
    ]) {
      expect(await call()).toBe(false);
    }
    expect(await queue.getJobLogs("nope")).toEqual([]);
  });

  it("refuse what add refuses, before anything is written", async () => {
    const id = await queue.add("t", { n: 1 }, { delay: "1h" });
    const before = await queue.getJob(id);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(queue.updateData(id, (() => 1) as unknown as object)).rejects.toThrow(ValidationError);
    await expect(queue.updateData(id, cycle)).rejects.toThrow(ValidationError);
    configure({ maxPayloadBytes: 10 });
    await expect(queue.updateData(id, { text: "longer than ten bytes" })).rejects.toThrow(
      PayloadTooLargeError,
    );
    for (const p of [1.5, 2 ** 31, Number.NaN, "1" as unknown as number]) {
      await expect(queue.changePriority(id, p)).rejects.toThrow(/priority must be an integer/);
    }
    for (const d of [-1, "soon", Number.POSITIVE_INFINITY]) {
      await expect(queue.changeDelay(id, d)).rejects.toThrow(/delay must be/);
    }
    await expect(queue.getJobLogs(id, { start: -1 })).rejects.toThrow(/range.start/);
    await expect(queue.getJobLogs(id, { end: -2 })).rejects.toThrow(/range.end/);
    await expect(queue.updateData("a\u0000b", {})).rejects.toThrow(/job id must not contain NUL/);
    expect(await queue.getJob(id)).toEqual(before);
  });
});
