/**
 * Issue 10, item 4: a job whose handler ends while the backend is briefly down (Redis crashed and
 * restarted, Postgres stopped and started, an SQLite file locked by another connection) is
 * completed exactly once: its finish is retried while its lease holds, so it is neither left to
 * wait out its lease nor run a second time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { events, type JobEventPayload } from "../../src/events.js";
import { Queue } from "../../src/queue.js";
import { configure } from "../../src/settings.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { gate, uniqueQueue, until } from "../helpers.js";
import { captureLog, OUTAGES } from "./outage.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-finish-outage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => configure({ logger: undefined }));

// Long enough for the outage and a restart on a loaded machine; a job that waited out its lease and
// ran again would show as a second run.
const LEASE_MS = 6000;

for (const [name, make] of Object.entries(OUTAGES)) {
  describe(`finishing during an outage on ${name}`, () => {
    it("the job completes exactly once, with no second run", async () => {
      const outage = await make(dir);
      const { backend } = outage;
      const q = uniqueQueue("finish-outage");
      const taskName = `${q}-t`;
      const started = gate();
      const release = gate();
      let runs = 0;
      task(taskName, { queue: q }, async () => {
        runs += 1;
        started.open();
        await release.promise;
        return "done";
      });
      const completed: JobEventPayload[] = [];
      const onCompleted = (p: JobEventPayload) => {
        if (p.queue === q) completed.push(p);
      };
      events.on("job:completed", onCompleted);
      const lines = captureLog();
      const worker = new Worker(q, { backend, concurrency: 1, scanInterval: 100, leaseDuration: LEASE_MS });
      try {
        const queue = new Queue(q, { backend });
        const id = await queue.add(taskName);
        await worker.start();
        await started.promise;
        await outage.down();
        release.open(); // the handler returns while the backend is down
        await until(() => lines.some((l) => /end of job/.test(l)), 10_000, "the finish write to fail");
        await new Promise((r) => setTimeout(r, 300)); // a few retries fail too
        await outage.up();
        const job = await until(
          async () => {
            const j = await queue.getJob(id).catch(() => null);
            return j?.state === "completed" ? j : null;
          },
          3 * LEASE_MS,
          "the job to complete",
        );
        expect(runs, lines.join("\n")).toBe(1);
        expect(job?.result).toBe("done");
        expect(job?.attempts).toBe(1);
        expect(job?.stalledCount).toBe(0);
        expect(completed.map((p) => p.jobId)).toEqual([id]);
      } finally {
        events.off("job:completed", onCompleted);
        await worker.stop();
        unregisterTask(taskName);
        await outage.dispose();
      }
    }, 60_000);
  });
}
