/**
 * Issue 10, items 1 and 6-8, as they were seen, on all four backends through the public API: input
 * that one engine refused with a raw error (or stored altered, or in part) is now either refused by
 * the one validation (src/job.ts) with a ValidationError on every backend, writing nothing, or
 * stored and read back the same on every backend. The limits themselves are tried at their edge
 * with incompressible text, so they are shown to fit every engine (Postgres btree and NOTIFY sizes).
 */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { MAX_DURATION_MS, MAX_NAME_BYTES, MAX_PAYLOAD_DEPTH } from "../../src/job.js";
import type { EnqueueOptions } from "../../src/job-options.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { runWorker } from "../../src/worker/runners.js";
import { Worker } from "../../src/worker/worker.js";
import { until } from "../helpers.js";
import { nested } from "./input/arbitraries.js";
import { useEngines } from "./input/engines.js";
import { acrossEngines, comparable, type Outcome, onEveryEngine, same, totalJobs } from "./input/outcome.js";

const engines = useEngines();

let counter = 0;
function queueName(label: string): string {
  return `lim-${label}-${++counter}`;
}

/** `bytes` UTF-8 bytes of random letters and 2-byte letters, which no engine can compress away. */
function randomText(bytes: number): string {
  let out = "";
  let size = 0;
  while (size < bytes) {
    const wide = bytes - size >= 2 && Math.random() < 0.5;
    out += wide
      ? String.fromCharCode(0x400 + Math.floor(Math.random() * 200))
      : String.fromCharCode(97 + Math.floor(Math.random() * 26));
    size += wide ? 2 : 1;
  }
  return out;
}

/** One `add` on each engine, into a fresh queue of the same name; what each stored (or refused). */
function addEverywhere(task: string, data: unknown, options?: EnqueueOptions, name = queueName("add")) {
  return onEveryEngine(engines(), name, async (queue) => {
    const id = await queue.add(task, data, options);
    return comparable(await queue.getJob(id));
  });
}

function refusedEverywhere(outcomes: Record<string, Outcome<unknown>>, message: RegExp): void {
  const got = same(outcomes);
  expect(got.ok).toBe(false);
  if (!got.ok) expect(got.error).toMatch(message);
}

function storedEverywhere<T>(outcomes: Record<string, Outcome<T>>): T {
  const got = same(outcomes);
  if (!got.ok) throw new Error(`refused: ${got.error}`);
  return got.value;
}

describe("item 6: what validation accepts, every engine stores", () => {
  it.each<[string, EnqueueOptions, RegExp]>([
    ["delay 1e300", { delay: 1e300 }, /delay must be at most/],
    ["ttl 1e300", { ttl: 1e300 }, /ttl must be at most/],
    ["timeout 1e300", { timeout: 1e300 }, /timeout must be at most/],
    ["runAt 1e300", { runAt: 1e300 }, /runAt must be at most/],
    ["backoff delay 1e300", { backoff: { type: "fixed", delay: 1e300 } }, /backoff.delay must be at most/],
    ["priority 2^31", { priority: 2 ** 31 }, /priority must be an integer from -2147483648 to 2147483647/],
    ["priority -2^31-1", { priority: -(2 ** 31) - 1 }, /priority must be an integer from/],
    ["priority 2^53", { priority: 2 ** 53 }, /priority must be an integer from/],
    ["retries 2^31", { retries: 2 ** 31 }, /retries must be at most 2147483646/],
    ["a NUL in the job id", { jobId: "a\u0000b" }, /jobId must not contain NUL/],
    ["a ~3 KB job id", { jobId: randomText(3000) }, /jobId must be at most 512 bytes/],
    ["a NUL in the dedup id", { deduplication: { id: "k\u0000" } }, /deduplication.id must not contain NUL/],
    ["a NUL in a parent id", { dependsOn: ["p\u0000"] }, /dependsOn\[0\] must not contain NUL/],
  ])(
    "refuses %s with a ValidationError on every engine, writing nothing",
    async (_what, options, message) => {
      refusedEverywhere(await addEverywhere("t", {}, options), message);
    },
  );

  it("refuses a NUL in a task name, and a task name over 512 bytes", async () => {
    refusedEverywhere(await addEverywhere("t\u0000x", {}), /task name must not contain NUL/);
    refusedEverywhere(await addEverywhere(randomText(600), {}), /task name must be at most 512 bytes/);
  });

  it("refuses a queue name with a NUL, of ~3 KB or of 8,200 characters, on every engine", () => {
    for (const name of ["q\u0000x", randomText(3000), "z".repeat(8200)]) {
      for (const { backend } of engines()) {
        expect(() => new Queue(name, { backend })).toThrow(ValidationError);
        expect(() => new Queue(name, { backend })).toThrow(
          /queue name (must not contain NUL|must be at most 512 bytes)/,
        );
      }
    }
  });

  it("refuses such a queue name for a worker too, before it starts", async () => {
    for (const name of ["q\u0000x", "\ud800", "z".repeat(8200)]) {
      for (const { backend } of engines()) {
        await expect(runWorker(name, { backend })).rejects.toThrow(ValidationError);
        expect(() => new Worker(name, { backend })).toThrow(ValidationError);
      }
    }
  });

  it("rounds fractional milliseconds the same way on every engine", async () => {
    const options = { delay: 123.4, ttl: 1.5, timeout: 1.5, backoff: { type: "fixed" as const, delay: 0.6 } };
    const job = storedEverywhere(await addEverywhere("t", {}, options));
    expect(job).toMatchObject({ state: "delayed", runAfter: 123, ttl: 2, timeout: 2 });
    expect(job?.backoff).toEqual({ type: "fixed", delay: 1 });
    const at = storedEverywhere(
      await acrossEngines(engines(), async ({ backend }) => {
        const queue = new Queue(queueName("run-at"), { backend });
        const runAt = Date.now() + 60_000.5;
        const j = await queue.getJob(await queue.add("t", {}, { runAt }));
        return (j?.runAt ?? 0) - Math.round(runAt);
      }),
    );
    expect(at).toBe(0);
  });

  it("stores the largest accepted values exactly on every engine", async () => {
    const edge = { priority: -(2 ** 31), retries: 2 ** 31 - 2, ttl: MAX_DURATION_MS, delay: MAX_DURATION_MS };
    const low = storedEverywhere(await addEverywhere("t", {}, edge));
    expect(low).toMatchObject({ priority: -(2 ** 31), maxRetries: 2 ** 31 - 2, ttl: MAX_DURATION_MS });
    expect(low?.runAfter).toBe(MAX_DURATION_MS);
    const high = storedEverywhere(await addEverywhere("t", {}, { priority: 2 ** 31 - 1 }));
    expect(high?.priority).toBe(2 ** 31 - 1);
  });

  it(`stores names and ids of ${MAX_NAME_BYTES} incompressible bytes on every engine, parents included`, async () => {
    const queue = randomText(MAX_NAME_BYTES);
    const parent = `p${randomText(MAX_NAME_BYTES - 1)}`;
    const child = `c${randomText(MAX_NAME_BYTES - 1)}`;
    const task = randomText(MAX_NAME_BYTES);
    const dedup = randomText(MAX_NAME_BYTES);
    const got = storedEverywhere(
      await acrossEngines(engines(), async ({ backend }) => {
        const q = new Queue(queue, { backend });
        await q.add(task, 1, { jobId: parent, deduplication: { id: dedup } });
        const id = await q.add(task, 2, { jobId: child, dependsOn: [parent] });
        const listed = (await backend.listQueues()).includes(queue);
        const record = comparable(await q.getJob(id));
        await q.obliterate({ force: true });
        return { listed, record };
      }),
    );
    expect(got.listed).toBe(true);
    expect(got.record).toMatchObject({
      id: child,
      queue,
      task,
      state: "waiting-children",
      dependsOn: [parent],
    });
  });
});

describe("item 7: names and JSON text must be well-formed Unicode", () => {
  it.each<[string, string, unknown, EnqueueOptions | undefined, RegExp]>([
    ["a task name", "t\ud800", {}, undefined, /task name must not contain a lone surrogate/],
    ["a job id", "t", {}, { jobId: "j\udc00" }, /jobId must not contain a lone surrogate/],
    [
      "a dedup id",
      "t",
      {},
      { deduplication: { id: "\udbff" } },
      /deduplication.id must not contain a lone surrogate/,
    ],
    ["a parent id", "t", {}, { dependsOn: ["\ud800"] }, /dependsOn\[0\] must not contain a lone surrogate/],
    ["a payload string", "t", { a: ["\ud800"] }, undefined, /data\.a\[0\] must not contain a lone surrogate/],
    [
      "a payload key",
      "t",
      { "k\udc00": 1 },
      undefined,
      /data: the key "k\\udc00" must not contain a lone surrogate/,
    ],
  ])("refuses a lone surrogate in %s on every engine", async (_what, task, data, options, message) => {
    refusedEverywhere(await addEverywhere(task, data, options), message);
  });

  it('refuses the queues "\\ud800" and "\\udc00", which shared storage on Redis and Postgres', () => {
    for (const { backend } of engines()) {
      expect(() => new Queue("\ud800", { backend })).toThrow(/queue name must not contain a lone surrogate/);
      expect(() => new Queue("\udc00", { backend })).toThrow(ValidationError);
    }
  });

  it("keeps names that differ only in their surrogates apart, and returns them unaltered", async () => {
    const suffix = `-${++counter}`;
    const [smile, grin] = [`\ud83d\ude00${suffix}`, `\ud83d\ude01${suffix}`];
    const got = storedEverywhere(
      await acrossEngines(engines(), async ({ backend }) => {
        const a = new Queue(smile, { backend });
        const b = new Queue(grin, { backend });
        const id = await a.add("t-\ud83d\ude00", { s: "\ud83d\ude00" }, { jobId: "j-\ud83d\ude00" });
        const job = await a.getJob(id);
        const seen = [await totalJobs(a), await totalJobs(b)];
        await a.obliterate({ force: true });
        return { seen, task: job?.task, id: job?.id, data: job?.data };
      }),
    );
    expect(got).toEqual({
      seen: [1, 0],
      task: "t-\ud83d\ude00",
      id: "j-\ud83d\ude00",
      data: { s: "\ud83d\ude00" },
    });
  });
});

describe("items 6 and 7: log lines", () => {
  it("a log line with a NUL or a lone surrogate is stored the same on every engine, U+FFFD in their place", async () => {
    const logs = storedEverywhere(
      await acrossEngines(engines(), async ({ backend }) => {
        const queue = queueName("log");
        const t = task(`${queue}-t`, { queue }, async (_data, ctx) => {
          await ctx.log("a\u0000b \ud800 c \ud83d\ude00");
        });
        const worker = new Worker(queue, { backend, scanInterval: 50 });
        try {
          const id = await t.enqueue(null, { backend });
          await worker.start();
          const q = new Queue(queue, { backend });
          await until(async () => (await q.getJob(id))?.state === "completed", 10_000, `job ${id} completed`);
          return backend.getLogs(queue, id);
        } finally {
          await worker.stop();
          unregisterTask(t.name);
        }
      }),
    );
    expect(logs).toEqual(["a\ufffdb \ufffd c \ud83d\ude00"]);
  });
});

describe("item 8: payload nesting depth", () => {
  it("refuses a payload nested 5,000 levels deep with a ValidationError, not a RangeError", async () => {
    refusedEverywhere(await addEverywhere("t", nested(5000)), /data is nested more than 1000 levels deep/);
    refusedEverywhere(await addEverywhere("t", { a: nested(MAX_PAYLOAD_DEPTH) }), /more than 1000 levels/);
  });

  it(`stores a payload nested ${MAX_PAYLOAD_DEPTH} levels deep the same on every engine`, async () => {
    const data = { a: nested(MAX_PAYLOAD_DEPTH - 1, "deep") };
    const job = storedEverywhere(await addEverywhere("t", data));
    expect(job?.data).toEqual(data);
  });
});

describe("item 1: a refused addBulk writes nothing, on every engine", () => {
  /** 3,000 jobs (two Redis chunks) where item 2,500 is `bad`. */
  function bulk(bad: { task: string; options?: EnqueueOptions }) {
    return Array.from({ length: 3000 }, (_, i) => (i === 2499 ? bad : { task: "t", data: { i } }));
  }

  it.each<[string, { task: string; options?: EnqueueOptions }]>([
    ["a lone surrogate in a task name", { task: "bad\ud800" }],
    ["a priority beyond 32 bits", { task: "t", options: { priority: 2 ** 31 } }],
    ["a NUL in a job id", { task: "t", options: { jobId: "a\u0000" } }],
  ])("3,000 jobs with %s at item 2,500: a ValidationError and no job stored", async (_what, bad) => {
    const name = queueName("bulk");
    const got = await acrossEngines(engines(), async ({ backend }) => {
      const queue = new Queue(name, { backend });
      try {
        return await queue.addBulk(bulk(bad));
      } finally {
        expect(await totalJobs(queue)).toBe(0);
        expect(await backend.listQueues()).not.toContain(name);
      }
    });
    refusedEverywhere(got, /ValidationError/);
  });
});
