/**
 * Unknown option keys (src/option-keys.ts): every options object a user passes (job, addBulk item,
 * task, queue, worker, repeatable, settings) refuses a key it does not take with a ValidationError
 * naming it and what to write instead, before anything is written or started. TypeScript refuses
 * such keys in literals already; these tests pass objects typed loosely, as JavaScript would.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { closeSharedBackends, resolveBackend } from "../../src/backends/registry.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { configure, getSettings, resetSettings } from "../../src/settings.js";
import { task, unregisterTask } from "../../src/task.js";
import { runWorker, startWorker, workerLoop } from "../../src/worker/runners.js";
import { Worker } from "../../src/worker/worker.js";
import { uniqueQueue } from "../helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: what a JavaScript caller passes, unchecked by the compiler
type Loose = any;

const backend = new InMemoryBackend();
afterAll(() => backend.close());
afterEach(() => resetSettings());

/** Expects `run` to throw (or reject with) a ValidationError whose message contains every part. */
async function refuses(run: () => unknown, ...parts: string[]): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ValidationError);
  for (const part of parts) expect((error as Error).message).toContain(part);
}

describe("enqueue options", () => {
  const queue = new Queue(uniqueQueue("keys"), { backend });

  it("BullMQ's attempts: names the key, says retries and how to convert", async () => {
    await refuses(
      () => queue.add("t", {}, { attempts: 3 } as Loose),
      'unknown key "attempts" in enqueue options: did you mean "retries"?',
      "attempts: 3 is retries: 2",
    );
  });

  it.each([
    ["repeat", "queue.upsertRepeatable"],
    ["parent", "dependsOn"],
    ["failParentOnFailure", 'onParentFailure: "fail"'],
    ["continueParentOnFailure", 'onParentFailure: "continue"'],
    ["ignoreDependencyOnFailure", 'onParentFailure: "ignore"'],
    ["removeDependencyOnFailure", 'onParentFailure: "ignore"'],
    ["retryLimit", 'did you mean "retries"?'],
    ["startAfter", 'did you mean "delay" or "runAt"?'],
    ["singletonKey", 'did you mean "deduplication"?'],
    ["expireInSeconds", 'did you mean "timeout"?'],
    ["id", 'did you mean "jobId"?'],
    ["retires", 'did you mean "retries"?'],
    ["jobid", 'did you mean "jobId"?'],
    ["removeOnCompleted", 'did you mean "removeOnComplete"?'],
  ])("%s: %s", async (key, hint) => {
    await refuses(() => queue.add("t", {}, { [key]: 1 } as Loose), `unknown key "${key}"`, hint);
  });

  it("a key near nothing known lists the keys it takes", async () => {
    await refuses(
      () => queue.add("t", {}, { zzz: 1 } as Loose),
      'unknown key "zzz" in enqueue options: the keys it takes are "delay", "runAt"',
    );
  });

  it("refuses a key even when its value is undefined (an object built at run time)", async () => {
    await refuses(() => queue.add("t", {}, { attempts: undefined } as Loose), '"attempts"');
  });

  it("BullMQ's removeOnComplete number shorthand says { count }", async () => {
    await refuses(
      () => queue.add("t", {}, { removeOnComplete: 1000 } as Loose),
      "BullMQ's number shorthand is { count: 1000 } here",
    );
    await refuses(() => queue.add("t", {}, { removeOnFail: { cout: 5 } } as Loose), 'did you mean "count"?');
    await refuses(() => queue.add("t", {}, { removeOnFail: { keep: 5 } } as Loose), 'did you mean "count"?');
  });

  it("checks the keys of backoff and deduplication too", async () => {
    await refuses(
      () => queue.add("t", {}, { backoff: { type: "fixed", delay: 5, jiter: 0.1 } } as Loose),
      'unknown key "jiter" in backoff: did you mean "jitter"?',
    );
    await refuses(
      () => queue.add("t", {}, { deduplication: { id: "d", ttl: 5, extnd: true } } as Loose),
      'unknown key "extnd" in deduplication: did you mean "extend"?',
    );
  });

  it("addBulk refuses the whole batch, and knows BullMQ's { name, data, opts }", async () => {
    await refuses(
      () => queue.addBulk([{ task: "t" }, { task: "t", options: { attempts: 2 } as Loose }]),
      '"attempts"',
    );
    await refuses(
      () => queue.addBulk([{ name: "t", data: {}, opts: {} } as Loose]),
      'unknown key "name" in addBulk item 0: did you mean "task"?',
    );
    await refuses(() => queue.addBulk([{ task: "t", opts: {} } as Loose]), 'did you mean "options"?');
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });

  it("task.enqueue refuses them as queue.add does, and takes its backend", async () => {
    const t = task(`${uniqueQueue("t")}`, { queue: uniqueQueue("tq") }, () => null);
    try {
      await refuses(() => t.enqueue({}, { backend, attempts: 3 } as Loose), '"attempts"', "retries");
      expect(await t.enqueue({}, { backend, retries: 2 })).toMatch(/^\d+$/);
    } finally {
      unregisterTask(t.name);
    }
  });
});

describe("the default backend", () => {
  let dir: string;
  let cwd: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "asyncmq-keys-"));
    cwd = process.cwd();
    process.chdir(dir); // the default SQLite file is ./.asyncmq/asyncmq.db
    delete process.env.ASYNCMQ_BACKEND;
  });
  afterAll(async () => {
    await closeSharedBackends();
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it("queue.add(t, d, { attempts: 3 }) rejects and stores nothing", async () => {
    const name = uniqueQueue("default");
    const queue = new Queue(name);
    await refuses(() => queue.add("t", { n: 1 }, { attempts: 3 } as Loose), '"attempts"', "retries");
    const stored = resolveBackend(undefined);
    expect(stored.constructor.name).toBe("SqliteBackend");
    expect(await stored.listQueues()).not.toContain(name);
    expect(Object.values(await queue.getJobCounts()).every((n) => n === 0)).toBe(true);
  });
});

describe("task options", () => {
  it("refuses BullMQ's names and typos before registering", async () => {
    const name = uniqueQueue("task");
    await refuses(
      () => task(name, { queue: "q", attempts: 3 } as Loose, () => null),
      `unknown key "attempts" in task "${name}" options: did you mean "retries"?`,
    );
    await refuses(
      () => task(name, { queue: "q", timout: 5 } as Loose, () => null),
      'did you mean "timeout"?',
    );
    await refuses(() => task(name, { queue: "q", concurrency: 5 } as Loose, () => null), "new Worker");
    // Nothing was registered: the same name is free.
    task(name, { queue: "q" }, () => null);
    unregisterTask(name);
  });
});

describe("queue options", () => {
  it.each([
    ["connection", 'did you mean "backend"?'],
    ["limiter", "rateLimit: 10, rateInterval: 1000"],
    ["prefix", "?prefix="],
    ["concurency", 'did you mean "concurrency"?'],
    ["attempts", "defaultJobOptions"],
  ])("%s: %s", async (key, hint) => {
    await refuses(
      () => new Queue("q", { [key]: 1 } as Loose),
      `unknown key "${key}" in new Queue("q") options`,
      hint,
    );
  });
});

describe("worker options", () => {
  it("new Worker refuses at construction", async () => {
    await refuses(
      () => new Worker("q", { backend, lockDuration: 5000 } as Loose),
      'unknown key "lockDuration" in worker options of queue "q": did you mean "leaseDuration"?',
    );
    await refuses(() => new Worker("q", { backend, limiter: {} } as Loose), "rateLimit");
    await refuses(
      () => new Worker("q", { backend, concurrrency: 2 } as Loose),
      'did you mean "concurrency"?',
    );
  });

  it("runWorker and queue.run refuse before starting anything", async () => {
    const q = uniqueQueue("run");
    const ctl = new AbortController();
    ctl.abort();
    await refuses(
      () => runWorker(q, { backend, signal: ctl.signal, drainDelay: 5 } as Loose),
      "scanInterval",
    );
    await refuses(
      () => new Queue(q, { backend }).run({ signal: ctl.signal, removeOnComplete: true } as Loose),
      "defaultJobOptions",
    );
    expect(await backend.workers?.list(Date.now())).toEqual([]);
  });

  it("workerLoop, startWorker and worker.stop refuse unknown keys", async () => {
    await refuses(() => workerLoop("q", 1, backend, { idleSleeep: 5 } as Loose), 'did you mean "idleSleep"?');
    await refuses(() => startWorker("q", 1, backend, { concurrency: 2 } as Loose), '"concurrency"');
    await refuses(() => new Worker("q", { backend }).stop({ grac: 5 } as Loose), 'did you mean "grace"?');
  });
});

describe("repeatable definitions", () => {
  const queue = new Queue(uniqueQueue("rep"), { backend });

  it("refuses BullMQ's pattern and name, in memory and durable", async () => {
    await refuses(
      () => queue.addRepeatable({ task: "t", pattern: "* * * * *" } as Loose),
      'unknown key "pattern" in a repeatable definition: did you mean "cron"?',
    );
    await refuses(() => queue.upsertRepeatable({ name: "t", every: 1000 } as Loose), 'did you mean "task"?');
    await refuses(
      () => runWorker(queue.name, { backend, repeatables: [{ task: "t", every: 1000, evry: 5 } as Loose] }),
      'did you mean "every"?',
    );
    expect(await queue.listRepeatables()).toEqual([]);
  });
});

describe("configure()", () => {
  it("refuses an unknown setting and changes nothing", async () => {
    await refuses(
      () => configure({ concurrency: 7, concurency: 8 } as Loose),
      'unknown key "concurency" in configure() settings: did you mean "concurrency"?',
    );
    expect(getSettings().concurrency).toBe(3);
    await refuses(() => configure({ connection: {} } as Loose), 'did you mean "backend"?');
  });
});
