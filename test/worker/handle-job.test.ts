/**
 * runClaimedJob (src/worker/handle-job.ts) on a real memory backend: how the handler's outcome
 * becomes the attempt's end, with or without a promise, and an abort that comes while the
 * handler's synchronous part runs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import type { ClaimedJob } from "../../src/job.js";
import { type TaskHandler, task, unregisterTask } from "../../src/task.js";
import { Finisher } from "../../src/worker/finisher.js";
import { runClaimedJob } from "../../src/worker/handle-job.js";
import { abortActiveJob, LeaseKeeper } from "../../src/worker/lease-keeper.js";
import { uniqueQueue } from "../helpers.js";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A backend holding one claimed job of a task with the handler `make` gives; runs it, returns the job as stored. */
async function runOne(make: (backend: InMemoryBackend) => TaskHandler<unknown, unknown>) {
  const backend = new InMemoryBackend();
  const keeper = new LeaseKeeper(backend, 30_000);
  cleanups.push(
    () => backend.close(),
    () => keeper.close(),
  );
  const queue = uniqueQueue("handle");
  const name = `${queue}-t`;
  task(name, { queue }, make(backend));
  cleanups.push(() => unregisterTask(name));
  const now = Date.now();
  await backend.enqueue(queue, [{ task: name, dataJson: "1", priority: 5, maxRetries: 0, createdAt: now }]);
  const [job] = await backend.claim(queue, { workerId: "w", limit: 1, leaseMs: 30_000, now });
  const claimed = job as ClaimedJob;
  await runClaimedJob(backend, queue, claimed, { finisher: new Finisher(backend), keeper });
  return backend.getJob(queue, claimed.id);
}

describe("runClaimedJob", () => {
  it("completes a handler that returns a value without a promise, with that result", async () => {
    const stored = await runOne(() => (n) => (n as number) + 1);
    expect(stored).toMatchObject({ state: "completed", result: 2 });
  });

  it("fails a handler that throws without a promise, with its error", async () => {
    const stored = await runOne(() => () => {
      throw new Error("sync boom");
    });
    expect(stored).toMatchObject({ state: "failed", error: { message: "sync boom" } });
  });

  it("does not wait for a handler whose job was cancelled while its synchronous part ran", async () => {
    const started = Date.now();
    const stored = await runOne((backend) => async (_data, ctx) => {
      // What Queue.cancelJob does once the backend has cancelled the job; the handler ignores its signal.
      abortActiveJob(backend, ctx.job.queue, ctx.job.id, "cancelled");
      await new Promise(() => {});
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    // A cancelled attempt writes nothing: the job is as the claim left it.
    expect(stored).toMatchObject({ state: "active" });
  });
});
