/**
 * Sandboxed tasks on a real backend, for one isolation: a CPU-bound handler keeps its lease, an
 * endless loop is killed at its timeout, a crash fails only its job, and what a handler sends back
 * (results, errors, progress, logs, rate limits) arrives intact. Nothing is left running after.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { events, type JobEventPayload } from "../../src/events.js";
import type { JobRecord } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import type { SandboxOptions } from "../../src/sandbox/options.js";
import { type TaskOptions, task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { uniqueQueue, until } from "../helpers.js";
import { alive } from "../support/server-registry.js";

const modes = new URL("./fixtures/modes.js", import.meta.url);
const typed = new URL("./fixtures/typed.ts", import.meta.url);

type Where = { pid: number; threadId: number };

/** Threads of this process now (a sandbox thread is one). */
const threads = () => readdirSync("/proc/self/task").length;

/**
 * Child processes of this process now, but for the exited esbuild helpers of killed threads: tsx
 * starts one from each thread that loads TypeScript (under the sources, every sandbox thread), and
 * once that thread is gone no event loop may reap it (see docs/sandbox.md, Limits).
 */
function children(): string[] {
  try {
    return execFileSync("pgrep", ["-a", "-P", String(process.pid)], { encoding: "utf8" })
      .trim()
      .split("\n")
      .filter((line) => !/\[esbuild\] <defunct>$/.test(line));
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}

export function sandboxSuite(
  engine: string,
  open: () => Backend | Promise<Backend>,
  isolation: "thread" | "process",
) {
  describe(`sandboxed tasks, ${isolation} isolation, on ${engine}`, () => {
    let backend: Backend;
    let threadsBefore = 0;
    const defined: string[] = [];
    const workers: Worker[] = [];

    beforeAll(async () => {
      backend = await open();
      threadsBefore = threads();
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.stop({ grace: 0 })));
      for (const name of defined.splice(0)) unregisterTask(name);
    });
    afterAll(async () => {
      await backend.close();
      // The pools closed with the last worker: no sandbox thread or process is left.
      expect(children()).toEqual([]);
      await until(() => threads() <= threadsBefore, 5000, "the sandbox threads to end");
    });

    function define(
      queue: string,
      sandbox: SandboxOptions,
      options: Partial<TaskOptions> = {},
      module = modes,
    ) {
      const name = `${queue}-t`;
      defined.push(name);
      task(name, { queue, sandbox: { isolation, ...sandbox }, ...options }, module);
      return name;
    }

    async function start(queue: string, options: ConstructorParameters<typeof Worker>[1] = {}) {
      const worker = new Worker(queue, { backend, scanInterval: 50, shutdownGrace: 100, ...options });
      workers.push(worker);
      await worker.start();
      return worker;
    }

    /** The job once completed or failed. */
    const ended = (q: Queue, id: string) =>
      until(
        async () => {
          const job = await q.getJob(id);
          return job && ["completed", "failed"].includes(job.state) ? job : null;
        },
        15_000,
        `job ${id} to end`,
      ) as Promise<JobRecord>;

    it("a CPU-bound handler (3 s busy loop, 1 s lease) completes once, its lease renewed, never stalled", async () => {
      const name = uniqueQueue("sbx-busy");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1 });
      const stalled: JobEventPayload[] = [];
      const progress: unknown[] = [];
      const onStalled = (p: JobEventPayload) => p.queue === name && stalled.push(p);
      const onProgress = (p: JobEventPayload & { progress?: unknown }) =>
        p.queue === name && progress.push(p.progress);
      events.on("job:stalled", onStalled);
      events.on("job:progress", onProgress);
      // The main thread's loop must keep turning while the handler spins: its largest gap is measured.
      let last = performance.now();
      let gap = 0;
      const beat = setInterval(() => {
        const now = performance.now();
        gap = Math.max(gap, now - last);
        last = now;
      }, 20);
      try {
        const id = await q.add(t, { mode: "busy", ms: 3000 });
        await start(name, { leaseDuration: 1000 });
        const job = await ended(q, id);
        expect(job.state).toBe("completed");
        expect(job.attempts).toBe(1);
        expect(job.stalledCount).toBe(0);
        expect((job.result as { attempts: number }).attempts).toBe(1);
        expect(job.progress).toBe(100);
        expect(stalled).toEqual([]);
        // Also the time since the last beat: a loop blocked until the job ended may have run none since.
        expect(Math.max(gap, performance.now() - last)).toBeLessThan(1000);
        expect(progress[0]).toMatchObject({ pid: expect.any(Number) });
        expect(progress).toContain(100);
        expect(await q.getJobLogs(id)).toEqual(["busy started"]);
      } finally {
        clearInterval(beat);
        events.off("job:stalled", onStalled);
        events.off("job:progress", onProgress);
      }
    }, 30_000);

    it("an endless loop is killed at its timeout; a fresh sandbox serves the next job", async () => {
      const name = uniqueQueue("sbx-spin");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1 }, { timeout: 1000 });
      await start(name);
      // A sandbox already started: the timeout then falls inside the loop, not the start-up.
      const warm = await ended(q, await q.add(t, { mode: "echo" }, { timeout: 20_000 }));
      expect(warm.state).toBe("completed");
      const spin = await q.add(t, { mode: "spin" });
      const job = await ended(q, spin);
      expect(job.state).toBe("failed");
      expect(job.error?.name).toBe("JobTimeoutError");
      // The spin ran in the warm sandbox (pool 1): no wait on its progress, which a loaded machine may delay.
      const spun = warm.result as Where;

      // The looping thread or process is gone, not merely abandoned.
      if (isolation === "process") {
        await until(() => !alive(spun.pid), 5000, "the looping process to end");
      } else {
        const cpu = process.cpuUsage();
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 500));
        const used = process.cpuUsage(cpu);
        expect((used.user + used.system) / 1000 / (performance.now() - t0)).toBeLessThan(0.5);
      }
      // The fresh sandbox starts within this job's timeout: a long one, as a loaded machine starts slowly.
      const next = await ended(q, await q.add(t, { mode: "echo", n: 1 }, { timeout: 20_000 }));
      expect(next.state).toBe("completed");
      const where = next.result as Where;
      if (isolation === "process") expect(where.pid).not.toBe(spun.pid);
      else expect(where.threadId).not.toBe(spun.threadId);
    }, 30_000);

    it("cancelling a looping job kills its sandbox; a shutdown past its grace hands one back and kills it", async () => {
      const name = uniqueQueue("sbx-cancel");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1 });
      const worker = await start(name);
      const looping = async () => {
        const id = await q.add(t, { mode: "spin" });
        const job = (await until(
          async () => {
            const j = await q.getJob(id);
            return j?.progress ? j : null; // it reported where it runs, then loops
          },
          15_000,
          "the loop to start",
        )) as JobRecord;
        return { id, where: job.progress as Where };
      };
      const first = await looping();
      expect(await q.cancelJob(first.id)).toBe(true);
      expect((await q.getJob(first.id))?.state).toBe("cancelled");
      const second = await looping(); // served by a fresh sandbox: the looping one is gone
      if (isolation === "process") {
        expect(second.where.pid).not.toBe(first.where.pid);
        expect(alive(first.where.pid)).toBe(false);
      } else expect(second.where.threadId).not.toBe(first.where.threadId);
      await worker.stop({ grace: 100 });
      expect((await q.getJob(second.id))?.state).toBe("waiting");
      expect(children()).toEqual([]);
      await until(() => threads() <= threadsBefore, 5000, "the sandbox threads to end");
    }, 30_000);

    it("a timeout that falls in the sandbox's start-up leaves nothing running once the worker stops", async () => {
      const name = uniqueQueue("sbx-cold");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1 }, { timeout: 20 });
      const worker = await start(name);
      const job = await ended(q, await q.add(t, { mode: "spin" }));
      expect(job.error?.name).toBe("JobTimeoutError");
      await worker.stop();
      expect(children()).toEqual([]);
      await until(() => threads() <= threadsBefore, 5000, "the sandbox threads to end");
    });

    it("maxJobsPerChild replaces a sandbox after that many jobs", async () => {
      const name = uniqueQueue("sbx-recycle");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1, maxJobsPerChild: 2 });
      const ids = await q.addBulk([1, 2, 3].map((n) => ({ task: t, data: { mode: "echo", n } })));
      await start(name, { concurrency: 1 });
      const key = (w: Where) => `${w.pid}:${w.threadId}`;
      const wheres = [];
      for (const id of ids) wheres.push(key((await ended(q, id)).result as Where));
      expect(wheres[1]).toBe(wheres[0]);
      expect(wheres[2]).not.toBe(wheres[0]);
    });

    it("runs a TypeScript module", async () => {
      const name = uniqueQueue("sbx-ts");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1 }, {}, typed);
      await start(name);
      const job = await ended(q, await q.add(t, { words: ["resize", "me"] }));
      expect(job.state).toBe("completed");
      expect(job.result).toEqual({ count: 2, upper: "RESIZE ME" });
    });

    it("a sandbox that exits mid-job fails that job only; the others in the pool complete", async () => {
      const name = uniqueQueue("sbx-exit");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 2 });
      const ids = await q.addBulk([
        { task: t, data: { mode: "busy", ms: 300 } },
        { task: t, data: { mode: "exit" } },
        { task: t, data: { mode: "busy", ms: 300 } },
        { task: t, data: { mode: "echo" } },
        { task: t, data: { mode: "busy", ms: 300 } },
      ]);
      await start(name, { concurrency: 3 });
      const jobs = await Promise.all(ids.map((id) => ended(q, id)));
      expect(jobs.map((j) => j.state)).toEqual([
        "completed",
        "failed",
        "completed",
        "completed",
        "completed",
      ]);
      expect(jobs[1]?.error?.name).toBe("SandboxCrashError");
      expect(jobs[1]?.error?.message).toMatch(/exited with code 3/);
      expect(jobs[1]?.attempts).toBe(1);
    }, 30_000);

    it("a sandbox past its heap limit fails its job only", async () => {
      const name = uniqueQueue("sbx-oom");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1, resourceLimits: { maxOldGenerationSizeMb: 64 } });
      await start(name);
      const oom = await ended(q, await q.add(t, { mode: "oom" }));
      expect(oom.state).toBe("failed");
      expect(oom.error?.name).toBe("SandboxCrashError");
      // A thread reports the V8 error; a process is aborted by V8 (SIGABRT) or by the OS (SIGKILL).
      expect(oom.error?.message).toMatch(/out of memory|killed by SIG|exited with code/i);
      expect((await ended(q, await q.add(t, { mode: "echo" }))).state).toBe("completed");
    }, 30_000);

    it("errors keep name, message and stack; an UnrecoverableError is not retried; rate limits and updateData cross", async () => {
      const name = uniqueQueue("sbx-err");
      const q = new Queue(name, { backend });
      const t = define(name, { pool: 1, maxJobsPerChild: 2 }, { retries: 3, backoff: 10 });
      const [thrown, unrecoverable, limited] = await q.addBulk([
        { task: t, data: { mode: "throw", size: 7 }, options: { retries: 0 } },
        { task: t, data: { mode: "unrecoverable" } },
        { task: t, data: { mode: "rate-limit" } },
      ]);
      await start(name);
      const a = await ended(q, thrown as string);
      expect(a.state).toBe("failed");
      expect(a.error).toMatchObject({ name: "RangeError", message: "bad size 7" });
      expect(a.error?.stack).toContain("fixtures/modes.js");
      const b = await ended(q, unrecoverable as string);
      expect(b.state).toBe("failed");
      expect(b.attempts).toBe(1);
      expect(b.error).toMatchObject({ name: "UnrecoverableError", message: "no such image" });
      const c = await ended(q, limited as string);
      expect(c.state).toBe("completed");
      expect(c.attempts).toBe(1); // a rate-limited run uses no attempt
      expect((c.result as { data: unknown }).data).toEqual({ mode: "echo", limited: true });
    }, 30_000);
  });
}
