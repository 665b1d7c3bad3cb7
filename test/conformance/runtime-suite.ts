/**
 * The runtime conformance suite: the guarantees users rely on, exercised through the real runtime
 * (Queue, runWorker, Worker) on any backend. Every backend runs it unchanged, beside the
 * backend-level suite. Worker death is simulated in-process by a backend view whose lease
 * renewals do nothing (a hung or dead worker); durable backends add real killed processes in
 * their own tests.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import type { JobEventPayload } from "../../src/events.js";
import { Queue } from "../../src/queue.js";
import { configure, resetSettings } from "../../src/settings.js";
import { type TaskHandler, task, unregisterTask } from "../../src/task.js";
import { runWorker } from "../../src/worker/runners.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, nextEvents, uniqueQueue, until } from "../helpers.js";
import { failureTests } from "./runtime-failures.js";
import { collect, fast, type RuntimeFixture } from "./runtime-fixture.js";
import { flowTests } from "./runtime-flows.js";
import { multiQueueTests } from "./runtime-multi-queue.js";
import { rateLimitTests } from "./runtime-rate-limits.js";
import { stepJobTests } from "./runtime-steps.js";
import { workerControlTests } from "./runtime-worker-control.js";

/** A view of `backend` whose lease renewals are lost: its jobs stall as if their worker died. */
function deadWorkerView(backend: Backend): Backend {
  return new Proxy(backend, {
    get(target, prop, receiver) {
      if (prop === "extendLeases") return async () => [];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * @param options crossQueueFlows: false skips the flows across queues (a backend that refuses them,
 *   as the conformance suite checks). Default true.
 */
export function runtimeConformance(
  name: string,
  makeBackend: () => Promise<Backend> | Backend,
  options: { crossQueueFlows?: boolean } = {},
): void {
  describe(`runtime conformance: ${name}`, () => {
    let backend: Backend;
    const tasks: string[] = [];
    const stops: Array<() => void> = [];
    beforeAll(async () => {
      backend = await makeBackend();
    });
    afterAll(async () => {
      await backend.close();
    });
    afterEach(() => {
      for (const t of tasks.splice(0)) unregisterTask(t);
      for (const stop of stops.splice(0)) stop();
    });
    function define<D = unknown>(taskName: string, queue: string, handler: TaskHandler<D, unknown>) {
      tasks.push(taskName);
      return task<D, unknown>(taskName, { queue }, handler);
    }
    const fx: RuntimeFixture = {
      backend: () => backend,
      define,
      stops,
      crossQueueFlows: options.crossQueueFlows ?? true,
    };
    rateLimitTests(fx);
    stepJobTests(fx);
    flowTests(fx);
    failureTests(fx);
    workerControlTests(fx);
    multiQueueTests(fx);

    it("prefetch: at most its concurrency at once, every job once; a stop hands the held jobs back unstarted", async () => {
      const q = uniqueQueue("prefetch");
      const queue = new Queue(q, { backend });
      const runs = new Map<string, number>();
      let running = 0;
      let peak = 0;
      const block = gate();
      stops.push(() => block.open());
      define(`${q}-t`, q, async (_data, ctx) => {
        runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
        peak = Math.max(peak, ++running);
        // From the 40th job on, both slots stay busy while claimed jobs wait behind them.
        if (runs.size >= 40)
          await Promise.race([block.promise, new Promise((r) => ctx.signal.addEventListener("abort", r))]);
        else await new Promise((r) => setImmediate(r));
        running--;
      });
      await queue.addBulk(Array.from({ length: 80 }, () => ({ task: `${q}-t` })));
      // A lease of 5 s: the held jobs' renewals never lapse on a loaded machine while both slots block.
      const worker = new Worker(q, { backend, concurrency: 2, prefetch: 6, ...fast, leaseDuration: 5000 });
      await worker.start();
      await until(async () => runs.size >= 41 && (await queue.getJobCounts()).active > 2, 5000, "held jobs");
      await worker.stop();
      expect(peak).toBe(2);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      const counts = await queue.getJobCounts();
      // The two blocked at the stop went back when the grace ended; the held ones unstarted.
      expect(counts).toMatchObject({ active: 0, completed: runs.size - 2, waiting: 80 - (runs.size - 2) });
      const waiting = await queue.getJobs(["waiting"], { start: 0, end: -1 });
      expect(waiting.every((job) => job.attempts === 0)).toBe(true);
    });

    /**
     * 60 jobs and a worker at concurrency 2 with prefetch 6; from the 20th job on each handler
     * awaits `wait()`. Resolves once both slots block with claimed jobs held behind them.
     */
    async function holdingJobs(label: string, wait: () => Promise<unknown>) {
      const q = uniqueQueue(label);
      const queue = new Queue(q, { backend });
      const runs = new Map<string, number>();
      define(`${q}-t`, q, async (_data, ctx) => {
        runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
        if (runs.size >= 20) await wait();
        else await new Promise((r) => setImmediate(r));
      });
      await queue.addBulk(Array.from({ length: 60 }, () => ({ task: `${q}-t` })));
      const worker = new Worker(q, { backend, concurrency: 2, prefetch: 6, ...fast, leaseDuration: 5000 });
      await worker.start();
      try {
        await until(
          async () => runs.size >= 21 && (await queue.getJobCounts()).active > 2,
          5000,
          "held jobs",
        );
      } catch (err) {
        await worker.stop();
        throw err;
      }
      return { queue, runs, worker };
    }

    /** The jobs handed back wait unstarted; after `resume`, every one of the 60 runs once. */
    async function handedBackThenAll(
      queue: Queue,
      runs: Map<string, number>,
      resume: () => Promise<void> | void,
    ): Promise<void> {
      const waiting = await queue.getJobs(["waiting"], { start: 0, end: -1 });
      expect(waiting).toHaveLength(60 - runs.size);
      expect(waiting.every((job) => job.attempts === 0)).toBe(true);
      await resume();
      await until(async () => (await queue.getJobCounts()).completed === 60, 10_000, "every job");
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
    }

    it("prefetch: pause() hands the held jobs back unstarted at once; the running ones end, resume() takes jobs again", async () => {
      const block = gate();
      stops.push(() => block.open());
      const { queue, runs, worker } = await holdingJobs("prefetch-pause", () => block.promise);
      try {
        // Without waiting for the two blocked jobs: the held ones are back before they end.
        await worker.pause({ waitActive: false });
        await until(async () => (await queue.getJobCounts()).active === 2, 5000, "the held jobs handed back");
        const started = runs.size;
        block.open();
        await until(async () => (await queue.getJobCounts()).active === 0, 5000, "the running jobs to end");
        // Paused: nothing held started in the slots the two freed.
        expect(runs.size).toBe(started);
        await handedBackThenAll(queue, runs, () => worker.resume());
      } finally {
        await worker.stop();
      }
    });

    it("prefetch: after queue.pause() a worker hands its held jobs back with its next finished job", async () => {
      // Each blocked job ends when the test opens its own gate, one at a time.
      const gates: Array<{ open: () => void }> = [];
      let blocking = true;
      const release = () => {
        blocking = false;
        for (const g of gates) g.open();
      };
      stops.push(release);
      const { queue, runs, worker } = await holdingJobs("prefetch-qpause", () => {
        if (!blocking) return Promise.resolve();
        const g = gate();
        gates.push(g);
        return g.promise;
      });
      try {
        await queue.pause();
        const started = runs.size;
        // One slot frees: a held job starts in it (the worker does not know yet), and the claim
        // made with that end finds the queue paused (or, after a short claim, a look at the queue
        // does). A claim in flight at the pause may find it first: then nothing more starts.
        gates[0]?.open();
        await until(async () => (await queue.getJobCounts()).active <= 2, 5000, "the held jobs handed back");
        expect(runs.size).toBeLessThanOrEqual(started + 1);
        await handedBackThenAll(queue, runs, async () => {
          release();
          await queue.resume();
        });
      } finally {
        await worker.stop();
      }
    });

    it("a worker that dies mid-job: the job is recovered, re-run, and completed exactly once", async () => {
      const q = uniqueQueue("crash");
      const queue = new Queue(q, { backend });
      const deadStarted = gate();
      const zombie = gate();
      let runs = 0;
      define<{ n: number }>(`${q}-work`, q, async () => {
        runs += 1;
        if (runs === 1) {
          deadStarted.open();
          await zombie.promise; // the dead worker never finishes in time
          return "from the dead worker";
        }
        return "from the survivor";
      });
      const completed = collect("job:completed", q);
      const stalled = collect("job:stalled", q);
      stops.push(completed.stop, stalled.stop);
      const id = await queue.add(`${q}-work`, { n: 1 });

      const dead = new Worker(q, { backend: deadWorkerView(backend), concurrency: 1, ...fast });
      await dead.start();
      await deadStarted.promise;
      const survivor = new Worker(q, { backend, concurrency: 1, ...fast });
      await survivor.start();
      await until(() => completed.seen.length === 1, 10_000, "the survivor completes the job");
      zombie.open(); // the dead worker's late result must be fenced out
      await dead.stop();
      await survivor.stop();

      const job = await queue.getJob(id);
      expect(job?.state).toBe("completed");
      expect(job?.result).toBe("from the survivor");
      expect(job?.stalledCount).toBe(1);
      expect(job?.attempts).toBe(1); // the stall did not use up an attempt
      expect(stalled.seen.map((p) => p.jobId)).toEqual([id]);
      expect(completed.seen.map((p) => p.jobId)).toEqual([id]);
      expect(runs).toBe(2);
    });

    it("a poison job whose worker dies every time fails after maxStalledCount x concurrency + 1 stalls, and the queue keeps flowing", async () => {
      const q = uniqueQueue("poison");
      const queue = new Queue(q, { backend });
      // Hangs past its lease (its "dead" worker never renews), then gives its slot back: its late
      // result is fenced out, and the worker has a slot for the next copy.
      define(`${q}-poison`, q, () => new Promise((resolve) => setTimeout(resolve, 1200)));
      define(`${q}-ok`, q, () => "ok");
      const poison = await queue.add(`${q}-poison`, {}, { retries: 5 });
      const failed = nextEvents("job:failed", q, 1, 8000);
      const worker = new Worker(q, {
        backend: deadWorkerView(backend),
        // Each stall charges it 1/2 (docs/reliability.md): failed at its third, 1.5 > 1.
        concurrency: 2,
        maxStalledCount: 1,
        ...fast,
      });
      await worker.start();
      const okIds = await queue.addBulk(Array.from({ length: 20 }, () => ({ task: `${q}-ok` })));
      const [payload] = await failed;
      await until(
        async () => (await queue.getJobCounts()).completed === 20,
        10_000,
        "the other jobs complete",
      );
      await worker.stop();
      expect(payload?.jobId).toBe(poison);
      const job = await queue.getJob(poison);
      expect(job?.state).toBe("failed");
      expect(job?.error?.name).toBe("JobStalledError");
      expect(job?.stalledCount).toBe(3);
      expect(job?.stallCharge).toBeCloseTo(1.5, 9);
      for (const id of okIds) expect((await queue.getJob(id))?.state).toBe("completed");
    });

    it("two schedulers on one queue produce exactly one job per repeatable slot over 50 slots", async () => {
      const q = uniqueQueue("sched");
      const queue = new Queue(q, { backend });
      define(`${q}-tick`, q, () => null);
      const every = 40;
      const def = { task: `${q}-tick`, every, id: "tick" };
      const ctl = new AbortController();
      // Read before the runners start: a scheduler may take its first slot during runWorker's own
      // synchronous start, which a loaded machine can stretch past a slot boundary.
      const start = Date.now();
      const runs = [1, 2].map(() =>
        runWorker(q, { backend, signal: ctl.signal, repeatables: [def], concurrency: 2, ...fast }),
      );
      await until(async () => (await queue.getJobCounts()).completed >= 55, 10_000, "55 slots");
      ctl.abort();
      await Promise.all(runs);
      const jobs = await queue.getJobs([], { asc: true });
      const slots = jobs.map((j) => Number(/^repeat-tick-(\d+)$/.exec(j.id)?.[1]));
      expect(slots.every((s) => Number.isFinite(s) && s % every === 0)).toBe(true);
      expect(new Set(slots).size).toBe(slots.length); // never two jobs for one slot
      const sorted = [...slots].sort((a, b) => a - b);
      // Every slot from the first to the last fired: no gaps, so exactly one job per slot.
      expect(((sorted.at(-1) as number) - (sorted[0] as number)) / every + 1).toBe(sorted.length);
      expect(sorted[0]).toBeGreaterThan(start - every);
    });

    it("repeatable limit, startDate, endDate and offset bound the slots, exactly, with two schedulers", async () => {
      const q = uniqueQueue("bounds");
      const queue = new Queue(q, { backend });
      define(`${q}-tick`, q, () => null);
      const task = `${q}-tick`;
      const now = Date.now();
      // Durable: at most 3 runs; a window of 300 ms starting 200 ms from now. In-process: 4 runs,
      // slots at 30 past each 100 ms. A control definition keeps firing after the others ended.
      await queue.upsertRepeatable({ task, every: 40, limit: 3, id: "dur" });
      await queue.upsertRepeatable({
        task,
        every: 40,
        id: "win",
        startDate: now + 200,
        endDate: new Date(now + 500),
      });
      const local = [
        { task, every: 100, offset: 30, limit: 4, id: "off" },
        { task, every: 40, id: "ctl" },
      ];
      const ctl = new AbortController();
      const runs = [1, 2].map(() =>
        runWorker(q, { backend, signal: ctl.signal, repeatables: local, concurrency: 2, ...fast }),
      );
      const slotsOf = async (id: string) =>
        (await queue.getJobs([], { asc: true }))
          .map((j) => new RegExp(`^repeat-${id}-(\\d+)$`).exec(j.id)?.[1])
          .filter((slot) => slot !== undefined)
          .map(Number);
      await until(async () => (await slotsOf("off")).length === 4, 10_000, "4 offset slots");
      await until(async () => Date.now() > now + 600, 2000, "the window to pass");
      // Ten more control slots after everything else ended: nothing else fired meanwhile.
      const seen = (await slotsOf("ctl")).length;
      await until(async () => (await slotsOf("ctl")).length >= seen + 10, 10_000, "10 more control slots");
      ctl.abort();
      await Promise.all(runs);

      expect(await slotsOf("dur")).toHaveLength(3);
      const off = await slotsOf("off");
      expect(off).toHaveLength(4);
      for (const slot of off) expect(slot % 100).toBe(30);
      const win = await slotsOf("win");
      expect(win.length).toBeGreaterThanOrEqual(1);
      for (const slot of win) {
        expect(slot).toBeGreaterThanOrEqual(now + 200);
        expect(slot).toBeLessThanOrEqual(now + 500);
      }
      const listed = Object.fromEntries((await queue.listRepeatables()).map((r) => [r.id, r]));
      expect(listed.dur).toMatchObject({ runs: 3, ended: true });
      expect(listed.win).toMatchObject({ runs: win.length, ended: true });
    });

    it("immediately fires the current slot at once, once, however many schedulers start", async () => {
      const q = uniqueQueue("immediately");
      const queue = new Queue(q, { backend });
      define(`${q}-t`, q, () => null);
      const task = `${q}-t`;
      const start = Date.now();
      // Yearly and hourly: without immediately neither would fire during the test.
      await queue.upsertRepeatable({ task, cron: "0 0 1 1 *", immediately: true, id: "yearly" });
      const hourly = { task, every: "1h", immediately: true, id: "hourly" };
      const done = nextEvents("job:completed", q, 2, 10_000);
      const ctl = new AbortController();
      const runs = [1, 2].map(() =>
        runWorker(q, { backend, signal: ctl.signal, repeatables: [hourly], ...fast }),
      );
      await done;
      // A restart does not fire the current slot again: it fired already.
      await until(async () => (await queue.listRepeatables())[0]?.runs === 1, 3000, "the yearly run counted");
      ctl.abort();
      await Promise.all(runs);
      const again = new AbortController();
      const restarted = runWorker(q, { backend, signal: again.signal, repeatables: [hourly], ...fast });
      await queue.upsertRepeatable({ task, cron: "0 0 1 1 *", immediately: true, id: "yearly" });
      const control = nextEvents("job:completed", q, 1, 10_000);
      await queue.add(task); // the worker runs it: it has been scheduling meanwhile
      await control;
      again.abort();
      await restarted;
      const end = Date.now();
      const slots = (id: string) =>
        ids.filter((j) => j.startsWith(`repeat-${id}-`)).map((j) => Number(j.slice(`repeat-${id}-`.length)));
      const ids = (await queue.getJobs()).map((j) => j.id);
      const hour = 3_600_000;
      const hours = [Math.floor(start / hour) * hour, Math.floor(end / hour) * hour];
      // One job for the current hour (two only if the test ran across an hour's boundary).
      expect(slots("hourly")).toEqual(
        hours[0] === hours[1] ? [hours[0]] : expect.arrayContaining([hours[1]]),
      );
      const year = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), 0, 1);
      expect(slots("yearly")).toEqual(
        year(start) === year(end) ? [year(start)] : expect.arrayContaining([year(end)]),
      );
    });

    it("a durable repeatable that missed many slots during downtime runs once on catch-up, not as a burst", async () => {
      const q = uniqueQueue("catchup");
      const queue = new Queue(q, { backend });
      define(`${q}-report`, q, () => null);
      // Stored as if its last run was 30 slots ago (the process was down since).
      await queue.upsertRepeatable({ task: `${q}-report`, every: "1s", id: "report" });
      await backend.repeatables?.setPaused(q, "report", false, Date.now() - 30_000);
      const ctl = new AbortController();
      const start = Date.now();
      const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
      await until(async () => (await queue.getJobCounts()).completed >= 1, 3000, "the catch-up job");
      await new Promise((r) => setTimeout(r, 150));
      ctl.abort();
      await run;
      // One job for the latest missed slot (plus, at most, the next live slot if a second boundary
      // passed meanwhile), never one per missed slot.
      const slots = (await queue.getJobs()).map((j) => Number(/^repeat-report-(\d+)$/.exec(j.id)?.[1]));
      expect(slots.length).toBeGreaterThanOrEqual(1);
      expect(slots.length).toBeLessThanOrEqual(2);
      for (const slot of slots) expect(slot).toBeGreaterThan(start - 1000);
      const [info] = await queue.listRepeatables();
      expect(info?.nextRun).toBeGreaterThan(Date.now() - 1000); // rescheduled from now, not from the past
    });

    it("pause and resume take effect at once on every worker", async () => {
      const q = uniqueQueue("pause");
      const queue = new Queue(q, { backend });
      const started = collect("job:started", q);
      stops.push(started.stop);
      define(`${q}-t`, q, () => null);
      const workers = [new Worker(q, { backend, ...fast }), new Worker(q, { backend, ...fast })];
      await Promise.all(workers.map((w) => w.start()));
      await queue.pause();
      expect(await queue.isPaused()).toBe(true);
      await queue.addBulk(Array.from({ length: 5 }, () => ({ task: `${q}-t` })));
      await new Promise((r) => setTimeout(r, 100));
      expect(started.seen).toHaveLength(0);
      const t0 = Date.now();
      await queue.resume();
      await until(async () => (await queue.getJobCounts()).completed === 5, 3000, "all run after resume");
      expect(Date.now() - t0).toBeLessThan(1000); // woken, not found by a slow poll
      await Promise.all(workers.map((w) => w.stop()));
    });

    it("queue.events delivers the events of the queue's jobs", async () => {
      const q = uniqueQueue("events");
      const queue = new Queue(q, { backend });
      define(`${q}-t`, q, () => 7);
      const seen: string[] = [];
      const onCompleted = (p: JobEventPayload) => seen.push(`${p.jobId}:${String(p.result)}`);
      queue.events.on("job:completed", onCompleted);
      const ctl = new AbortController();
      const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
      const id = await queue.add(`${q}-t`);
      await until(() => seen.length === 1, 10_000, "queue.events job:completed");
      ctl.abort();
      await run;
      queue.events.off("job:completed", onCompleted);
      await queue.close();
      expect(seen).toEqual([`${id}:7`]);
    });

    it("queue admin while a worker runs: retryJobs of completed jobs, changeDelay, updateData, promoteJobs, getJobLogs", async () => {
      const q = uniqueQueue("admin");
      const queue = new Queue<{ n: number }>(q, { backend });
      define<{ n: number }>(`${q}-t`, q, async (data, ctx) => {
        await ctx.log(`ran ${data.n}`);
        return data.n;
      });
      const completed = collect("job:completed", q);
      stops.push(completed.stop);
      const results = () => completed.seen.map((p) => `${p.jobId}:${String(p.result)}`);
      const ctl = new AbortController();
      // The scan interval is far off: only the wake-ups of the admin calls can make jobs run soon.
      const run = runWorker(q, { backend, signal: ctl.signal, ...fast, scanInterval: 60_000 });
      const [a, b] = await queue.addBulk([
        { task: `${q}-t`, data: { n: 1 } },
        { task: `${q}-t`, data: { n: 2 } },
      ]);
      const later = { delay: "1h" } as const;
      const c = await queue.add(`${q}-t`, { n: 3 }, later);
      const d = await queue.add(`${q}-t`, { n: 4 }, later);
      await until(() => completed.seen.length === 2, 10_000, "the first two jobs");

      expect(await queue.retryJobs({ state: "completed" })).toBe(2);
      await until(() => completed.seen.length === 4, 10_000, "both completed jobs again");
      expect(await queue.getJob(a as string)).toMatchObject({ state: "completed", attempts: 1 });

      expect(await queue.updateData(c, { n: 30 })).toBe(true);
      expect(await queue.changeDelay(c, 0)).toBe(true);
      await until(() => completed.seen.length === 5, 10_000, "the job whose delay changed to 0");
      expect(results().at(-1)).toBe(`${c}:30`);

      expect(await queue.promoteJobs()).toBe(1);
      await until(() => completed.seen.length === 6, 10_000, "the promoted job");
      expect(results().at(-1)).toBe(`${d}:4`);
      ctl.abort();
      await run;
      await queue.close();

      expect(await queue.getJobLogs(b as string)).toEqual(["ran 2", "ran 2"]);
      expect(await queue.getJobLogs(c, { start: 0, end: 0 })).toEqual(["ran 30"]);
      expect(await queue.getJobLogs(c, { start: 1 })).toEqual([]);
    });

    it("retention by age is enforced by the worker's cleaner, not only when another job finishes", async () => {
      const q = uniqueQueue("retain");
      const queue = new Queue(q, { backend });
      define(`${q}-t`, q, () => null);
      const ctl = new AbortController();
      const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
      const id = await queue.add(`${q}-t`, {}, { removeOnComplete: { age: 50 } });
      await until(async () => (await queue.getJob(id))?.state === "completed", 3000, "completed");
      await until(async () => (await queue.getJob(id)) === null, 3000, "removed by the cleaner");
      ctl.abort();
      await run;
    });

    it("retention from the task and the queue's defaultJobOptions bounds what finished jobs keep; the job's own wins", async () => {
      const q = uniqueQueue("retain-defaults");
      const queue = new Queue(q, {
        backend,
        defaultJobOptions: { removeOnComplete: { count: 2 }, removeOnFail: true },
      });
      define(`${q}-a`, q, (d: { fail?: boolean } | null) => {
        if (d?.fail) throw new Error("broke");
      });
      tasks.push(`${q}-b`);
      task(`${q}-b`, { queue: q, removeOnComplete: true }, () => null);
      // One at a time, in order: each { count: 2 } trims the queue's completed jobs to the newest 2.
      const b = await queue.addBulk([{ task: `${q}-b` }, { task: `${q}-b` }]);
      const a = await queue.addBulk(Array.from({ length: 4 }, () => ({ task: `${q}-a` })));
      const kept = await queue.add(`${q}-a`, {}, { removeOnComplete: false });
      const failed = await queue.add(`${q}-a`, { fail: true });
      const done = Promise.all([
        nextEvents("job:completed", q, 7, 10_000),
        nextEvents("job:failed", q, 1, 10_000),
      ]);
      const ctl = new AbortController();
      const run = runWorker(q, { backend, signal: ctl.signal, concurrency: 1, ...fast });
      await done;
      ctl.abort();
      await run;
      for (const id of [...b, a[0], a[1], failed]) expect(await queue.getJob(id as string)).toBeNull();
      for (const id of [a[2], a[3], kept])
        expect((await queue.getJob(id as string))?.state).toBe("completed");
      expect(await queue.getJobCounts()).toMatchObject({ completed: 3, failed: 0 });
    });

    it("the defaultJobOptions setting applies under a queue's own", async () => {
      const q = uniqueQueue("retain-setting");
      define(`${q}-t`, q, () => null);
      configure({ defaultJobOptions: { removeOnComplete: true } });
      try {
        const removed = await new Queue(q, { backend }).add(`${q}-t`);
        const queue = new Queue(q, { backend, defaultJobOptions: { removeOnComplete: false } });
        const kept = await queue.add(`${q}-t`);
        const done = nextEvents("job:completed", q, 2, 10_000);
        const ctl = new AbortController();
        const run = runWorker(q, { backend, signal: ctl.signal, ...fast });
        await done;
        ctl.abort();
        await run;
        expect(await queue.getJob(removed)).toBeNull();
        expect((await queue.getJob(kept))?.state).toBe("completed");
      } finally {
        resetSettings();
      }
    });

    it("flows: a child runs after its parent completes, and fails when its parent fails", async () => {
      const q = uniqueQueue("flow");
      const queue = new Queue(q, { backend });
      const order: string[] = [];
      define<{ name: string; fail?: boolean }>(`${q}-t`, q, (d) => {
        order.push(d.name);
        if (d.fail) throw new Error(`${d.name} broke`);
      });
      const parent = await queue.add(`${q}-t`, { name: "parent" });
      const child = await queue.add(`${q}-t`, { name: "child" }, { dependsOn: [parent] });
      const badParent = await queue.add(`${q}-t`, { name: "bad", fail: true });
      const orphan = await queue.add(`${q}-t`, { name: "orphan" }, { dependsOn: [badParent] });
      expect((await queue.getJob(child))?.state).toBe("waiting-children");
      const ctl = new AbortController();
      const run = runWorker(q, { backend, signal: ctl.signal, concurrency: 1, ...fast });
      await until(async () => (await queue.getJob(orphan))?.state === "failed", 3000, "orphan failed");
      await until(async () => (await queue.getJob(child))?.state === "completed", 3000, "child completed");
      ctl.abort();
      await run;
      expect(order.indexOf("parent")).toBeLessThan(order.indexOf("child"));
      expect(order).not.toContain("orphan");
      expect((await queue.getJob(orphan))?.error?.name).toBe("ParentFailedError");
    });

    it("stopping a worker mid-job past its grace hands the job back, and another worker finishes it", async () => {
      const q = uniqueQueue("handback");
      const queue = new Queue(q, { backend });
      let runs = 0;
      define(`${q}-t`, q, async () => {
        runs += 1;
        if (runs === 1) await new Promise((r) => setTimeout(r, 2000));
        return runs;
      });
      const id = await queue.add(`${q}-t`);
      const first = new Worker(q, { backend, ...fast });
      await first.start();
      await until(() => runs === 1, 3000, "first run");
      await first.stop({ grace: 20 });
      expect((await queue.getJob(id))?.state).toBe("waiting");
      const second = new Worker(q, { backend, ...fast });
      await second.start();
      await until(
        async () => (await queue.getJob(id))?.state === "completed",
        3000,
        "completed by the second worker",
      );
      await second.stop();
      expect((await queue.getJob(id))?.attempts).toBe(1);
    });
  });
}
