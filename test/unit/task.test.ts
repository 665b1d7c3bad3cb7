import { afterEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { configure, resetSettings } from "../../src/settings.js";
import { getTask, listTasks, task, unregisterTask } from "../../src/task.js";
import { uniqueQueue } from "../helpers.js";

const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unregisterTask(n);
  resetSettings();
});
function named(n: string) {
  names.push(n);
  return n;
}

describe("task registry", () => {
  it("registers by name; the same definition again is fine, a different one throws", () => {
    const handler = () => 1;
    const name = named(uniqueQueue("task"));
    const t = task(name, { queue: "q" }, handler);
    expect(getTask(name)).toBe(t);
    expect(listTasks()).toContain(t);
    expect(task(name, { queue: "q" }, handler)).toBe(t);
    expect(() => task(name, { queue: "q" }, () => 2)).toThrow(/already registered/);
    expect(() => task(name, { queue: "other" }, handler)).toThrow(ValidationError);
  });

  it("validates options at definition", () => {
    expect(() => task(named("bad1"), { queue: "" }, () => 1)).toThrow(ValidationError);
    expect(() => task(named("bad2"), { queue: "q", timeout: "soon" }, () => 1)).toThrow(/timeout/);
    expect(() => task(named("bad3"), { queue: "q", retries: -1 }, () => 1)).toThrow(/retries/);
    expect(getTask("bad1")).toBeUndefined();
  });

  it("run() calls the handler directly", async () => {
    const t = task(
      named(uniqueQueue("task")),
      { queue: "q" },
      (d: { a: number }, ctx) => d.a + (ctx.signal.aborted ? 100 : 1),
    );
    expect(await t.run({ a: 1 })).toBe(2);
  });

  it("enqueue applies the task's options, and enqueue options win", async () => {
    const backend = new InMemoryBackend();
    const q = uniqueQueue();
    const t = task(named(uniqueQueue("task")), { queue: q, retries: 3, priority: 2, timeout: "2s" }, () => 1);
    const a = await t.enqueue({}, { backend });
    const b = await t.enqueue({}, { backend, retries: 0, priority: 9 });
    const queue = new Queue(q, { backend });
    const ja = await queue.getJob(a);
    const jb = await queue.getJob(b);
    expect([ja?.maxRetries, ja?.priority, ja?.timeout]).toEqual([3, 2, 2000]);
    expect([jb?.maxRetries, jb?.priority, jb?.timeout]).toEqual([0, 9, 2000]);
  });
});

describe("retention on task() and defaultJobOptions on Queue", () => {
  it("task retention is validated at definition and stored on its jobs; the job's own wins", async () => {
    expect(() => task(named("bad4"), { queue: "q", removeOnComplete: 10 } as never, () => 1)).toThrow(
      /\{ count: 10 \}/,
    );
    const backend = new InMemoryBackend();
    const q = uniqueQueue();
    const t = task(named(uniqueQueue("task")), { queue: q, removeOnComplete: { age: "1h" } }, () => 1);
    expect(t.options.removeOnComplete).toEqual({ age: 3_600_000 });
    const queue = new Queue(q, { backend, defaultJobOptions: { removeOnComplete: true, retries: 2 } });
    const a = await queue.add(t.name);
    const b = await queue.add(t.name, {}, { removeOnComplete: false });
    const c = await queue.add("unknown-here");
    expect(await queue.getJob(a)).toMatchObject({ removeOnComplete: { age: 3_600_000 }, maxRetries: 2 });
    expect((await queue.getJob(b))?.removeOnComplete).toBe(false);
    expect((await queue.getJob(c))?.removeOnComplete).toBe(true);
  });

  it("new Queue validates defaultJobOptions at once", () => {
    expect(() => new Queue("q", { defaultJobOptions: { retries: 1.5 } })).toThrow(
      /defaultJobOptions of new Queue\("q"\): retries must be an integer/,
    );
    expect(() => new Queue("q", { defaultJobOptions: { jobId: "x" } as never })).toThrow(/names one job/);
    expect(() => new Queue("q", { defaultJobOptions: { attempts: 2 } as never })).toThrow(/retries/);
  });
});

describe("Queue input validation writes nothing", () => {
  it.each([
    ["non-JSON data", { f: () => 1 }, {}],
    ["a bad delay", {}, { delay: "soon" }],
    ["a negative priority type", {}, { priority: 1.5 }],
    ["an all-digit jobId", {}, { jobId: "123" }],
    ["a bad backoff", {}, { backoff: { type: "sometimes", delay: 1 } }],
  ])("rejects %s", async (_what, data, options) => {
    const backend = new InMemoryBackend();
    const queue = new Queue(uniqueQueue(), { backend });
    await expect(queue.add("t", data, options as never)).rejects.toThrow(ValidationError);
    const counts = await queue.getJobCounts();
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  });

  it("rejects oversize payloads with PayloadTooLargeError, per maxPayloadBytes", async () => {
    const backend = new InMemoryBackend();
    const queue = new Queue(uniqueQueue(), { backend });
    configure({ maxPayloadBytes: 100 });
    await expect(queue.add("t", "x".repeat(200))).rejects.toThrow(PayloadTooLargeError);
    configure({ maxPayloadBytes: null });
    await expect(queue.add("t", "x".repeat(200))).resolves.toMatch(/^\d+$/);
  });

  it("addBulk is all or nothing", async () => {
    const backend = new InMemoryBackend();
    const queue = new Queue(uniqueQueue(), { backend });
    await expect(
      queue.addBulk([
        { task: "t", data: 1 },
        { task: "t", data: 2n },
        { task: "t", data: 3 },
      ]),
    ).rejects.toThrow(/BigInt/);
    expect((await queue.getJobCounts()).waiting).toBe(0);
    const ids = await queue.addBulk([
      { task: "t", data: 1 },
      { task: "t", data: 2 },
    ]);
    expect(ids).toHaveLength(2);
  });

  it("a jobId that exists returns the existing id and enqueues nothing", async () => {
    const backend = new InMemoryBackend();
    const queue = new Queue(uniqueQueue(), { backend });
    expect(await queue.add("t", 1, { jobId: "order-1" })).toBe("order-1");
    expect(await queue.add("t", 2, { jobId: "order-1" })).toBe("order-1");
    expect((await queue.getJobCounts()).waiting).toBe(1);
    expect((await queue.getJob("order-1"))?.data).toBe(1);
  });
});
