import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { ValidationError } from "../../src/errors.js";
import { events } from "../../src/events.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue, until } from "../helpers.js";

const names: string[] = [];
afterEach(() => {
  for (const n of names.splice(0)) unregisterTask(n);
});

describe("Worker", () => {
  it("starts, re-emits its queue's events, changes concurrency while running, and stops", async () => {
    const backend = new InMemoryBackend();
    const name = uniqueQueue();
    const queue = new Queue(name, { backend });
    let running = 0;
    let peak = 0;
    const release = gate();
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await release.promise;
      running -= 1;
    });
    await queue.addBulk(Array.from({ length: 6 }, () => ({ task: `${name}-t` })));
    const worker = new Worker(name, { backend, concurrency: 1 });
    const completed: string[] = [];
    worker.on("job:completed", (p: { jobId: string }) => completed.push(p.jobId));
    await worker.start();
    expect(worker.running).toBe(true);
    expect(worker.id).toMatch(/:/);
    await until(() => running === 1, 2000, "one job running");
    worker.setConcurrency(4);
    await until(() => running === 4, 2000, "four jobs running after setConcurrency(4)");
    release.open();
    await until(() => completed.length === 6, 2000, "all completed");
    await worker.stop();
    expect(worker.running).toBe(false);
    expect(peak).toBe(4);
    expect(() => worker.setConcurrency(0)).toThrow(ValidationError);
  });

  it("stop({ grace }) hands back a job that outlives the grace", async () => {
    const backend = new InMemoryBackend();
    const name = uniqueQueue();
    const queue = new Queue(name, { backend });
    const started = gate();
    names.push(`${name}-slow`);
    task(`${name}-slow`, { queue: name }, async () => {
      started.open();
      await new Promise((r) => setTimeout(r, 5000));
    });
    const id = await queue.add(`${name}-slow`);
    const worker = new Worker(name, { backend });
    await worker.start();
    await started.promise;
    const t0 = Date.now();
    await worker.stop({ grace: 20 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await queue.getJob(id))?.state).toBe("waiting");
  });

  it("subscribes to the global events only for the events someone listens to on it", async () => {
    const backend = new InMemoryBackend();
    const name = uniqueQueue();
    const queue = new Queue(name, { backend });
    names.push(`${name}-t`);
    task(`${name}-t`, { queue: name }, () => "ok");
    const before = events.listenerCount("job:completed");
    const worker = new Worker(name, { backend });
    await worker.start();
    expect(events.listenerCount("job:completed")).toBe(before); // nobody listens: nothing forwarded
    const seen: string[] = [];
    const onCompleted = (p: { jobId: string }) => seen.push(p.jobId);
    worker.on("job:completed", onCompleted);
    expect(events.listenerCount("job:completed")).toBe(before + 1);
    const id = await queue.add(`${name}-t`);
    await until(() => seen.length === 1, 2000, "the forwarded event");
    expect(seen).toEqual([id]);
    worker.off("job:completed", onCompleted);
    expect(events.listenerCount("job:completed")).toBe(before);
    await worker.stop();
  });

  it("follows options.signal: already aborted, it stops at once; restarts leave no listener on it", async () => {
    const backend = new InMemoryBackend();
    const name = uniqueQueue();
    const aborted = new AbortController();
    aborted.abort();
    const early = new Worker(name, { backend, signal: aborted.signal });
    await early.start();
    await until(() => !early.running, 2000, "a worker started on an aborted signal to stop");

    const outer = new AbortController();
    const worker = new Worker(name, { backend, signal: outer.signal });
    for (let i = 0; i < 3; i++) {
      await worker.start();
      await worker.stop();
      expect(getEventListeners(outer.signal, "abort")).toHaveLength(0);
    }
  });

  it("rejects bad options at construction", () => {
    expect(() => new Worker("q", { concurrency: 0 })).toThrow(ValidationError);
    expect(() => new Worker("", {})).toThrow(ValidationError);
  });
});
