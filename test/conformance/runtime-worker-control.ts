/** Runtime conformance, a Worker object's own controls (pause/resume, drained) and queue.getWorkers: run by runtime-suite.ts on every backend. */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { Queue } from "../../src/queue.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, nextEvents, uniqueQueue, until } from "../helpers.js";
import { collect, fast, type RuntimeFixture } from "./runtime-fixture.js";

export function workerControlTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define, stops } = fx;

  it("worker.pause() stops only that worker claiming, once its running job ended; resume() claims again at once", async () => {
    const q = uniqueQueue("wpause");
    const queue = new Queue(q, { backend });
    const release = gate();
    const running = gate();
    define<{ hold: boolean }>(`${q}-t`, q, async (d) => {
      if (d.hold) {
        running.open();
        await release.promise;
      }
    });
    const started = collect("job:started", q);
    stops.push(started.stop);
    const a = new Worker(q, { backend, ...fast });
    const own: string[] = [];
    a.on("paused", () => own.push("paused"));
    a.on("resumed", () => own.push("resumed"));
    await a.start();
    const first = await queue.add(`${q}-t`, { hold: true });
    await running.promise;

    let pauseDone = false;
    const pausing = a.pause().then(() => {
      pauseDone = true;
    });
    expect(a.paused).toBe(true);
    await until(() => own.length === 1, 1000, "the paused event");
    expect(pauseDone).toBe(false); // its job still runs
    release.open();
    await pausing;
    expect((await queue.getJob(first))?.state).toBe("completed");

    // Paused: a new job waits for it, and another worker of the queue takes it.
    const second = await queue.add(`${q}-t`, { hold: false });
    await new Promise((r) => setTimeout(r, 150)); // the window in which nothing must start
    expect((await queue.getJob(second))?.state).toBe("waiting");
    const b = new Worker(q, { backend, ...fast });
    await b.start();
    await until(async () => (await queue.getJob(second))?.state === "completed", 3000, "b runs it");
    expect(started.seen.find((p) => p.jobId === second)?.workerId).toBe(b.id);
    await b.stop();

    const completed = nextEvents("job:completed", q, 1, 3000);
    a.resume();
    const t0 = Date.now();
    const third = await queue.add(`${q}-t`, { hold: false });
    const [done] = await completed;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(done?.jobId).toBe(third);
    expect(started.seen.find((p) => p.jobId === third)?.workerId).toBe(a.id);
    await a.stop();
    expect(own).toEqual(["paused", "resumed"]);
  });

  it("pause({ waitActive: false }) resolves while the job runs; a worker paused before start() starts paused", async () => {
    const q = uniqueQueue("wpause2");
    const queue = new Queue(q, { backend });
    const release = gate();
    const running = gate();
    define(`${q}-t`, q, async () => {
      running.open();
      await release.promise;
    });
    const id = await queue.add(`${q}-t`);
    const w = new Worker(q, { backend, ...fast });
    await w.pause();
    await w.start();
    await new Promise((r) => setTimeout(r, 150)); // the window in which nothing must start
    expect((await queue.getJob(id))?.state).toBe("waiting");
    w.resume();
    await running.promise;
    await w.pause({ waitActive: false });
    expect((await queue.getJob(id))?.state).toBe("active");
    release.open();
    await until(async () => (await queue.getJob(id))?.state === "completed", 3000, "completed while paused");
    await w.stop(); // stopping a paused worker ends at once
  });

  it("a worker emits drained when its claim finds the queue empty after it ran jobs, not while idle from the start", async () => {
    const q = uniqueQueue("drained");
    const queue = new Queue(q, { backend });
    const started = collect("job:started", q);
    stops.push(started.stop);
    define(`${q}-t`, q, () => null);
    const w = new Worker(q, { backend, concurrency: 1, ...fast });
    const drained: number[] = [];
    w.on("drained", () => drained.push(started.seen.length));
    await w.start();
    await new Promise((r) => setTimeout(r, 150)); // several idle claims (scanInterval 20 ms): none drains
    expect(drained).toEqual([]);
    await queue.addBulk(Array.from({ length: 3 }, () => ({ task: `${q}-t` })));
    await until(() => drained.length === 1, 3000, "drained");
    await queue.add(`${q}-t`);
    await until(() => drained.length === 2, 3000, "drained again");
    await w.stop();
    expect(drained).toEqual([3, 4]); // each time, after every job was claimed
  });

  it("queue.getWorkers() lists the live workers of that queue, from every worker's heartbeat", async () => {
    const q = uniqueQueue("getworkers");
    const other = uniqueQueue("getworkers-other");
    const queue = new Queue(q, { backend });
    const ws = [
      new Worker(q, { backend, concurrency: 2, ...fast }),
      new Worker(q, { backend, concurrency: 3, ...fast }),
      new Worker(other, { backend, ...fast }),
    ];
    await Promise.all(ws.map((w) => w.start()));
    const ids = (list: Array<{ id: string }>) => list.map((w) => w.id).sort();
    await until(async () => (await queue.getWorkers()).length === 2, 3000, "both workers listed");
    const listed = await queue.getWorkers();
    expect(ids(listed)).toEqual([ws[0]?.id, ws[1]?.id].sort());
    expect(listed.map((w) => [w.concurrency, w.pid, w.queues]).sort()).toEqual([
      [2, process.pid, [q]],
      [3, process.pid, [q]],
    ]);
    // Each worker beats on its own timer: wait for the other queue's first beat too (a loaded run was slower).
    const otherQueue = new Queue(other, { backend });
    await until(
      async () => (await otherQueue.getWorkers()).length === 1,
      3000,
      "the other queue's worker listed",
    );
    expect(ids(await otherQueue.getWorkers())).toEqual([ws[2]?.id]);
    await ws[0]?.stop();
    expect(ids(await queue.getWorkers())).toEqual([ws[1]?.id]); // stop removes it
    await Promise.all(ws.map((w) => w.stop()));
    expect(await queue.getWorkers()).toEqual([]);
  });
}
