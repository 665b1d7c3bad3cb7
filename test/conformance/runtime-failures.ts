/** Runtime conformance, failed attempts (UnrecoverableError, custom backoff): run by runtime-suite.ts on every backend. */
import { beforeEach, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { registerBackoff, unregisterBackoff } from "../../src/backoff-registry.js";
import { UnrecoverableError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { Worker } from "../../src/worker/worker.js";
import { nextEvents, uniqueQueue } from "../helpers.js";
import { collect, fast, type RuntimeFixture } from "./runtime-fixture.js";

export function failureTests(fx: RuntimeFixture): void {
  let backend: Backend;
  beforeEach(() => {
    backend = fx.backend();
  });
  const { define, stops } = fx;

  it("an UnrecoverableError (or a subclass) fails the job at once despite retries left", async () => {
    const q = uniqueQueue("unrecoverable");
    const queue = new Queue(q, { backend });
    class BadInput extends UnrecoverableError {}
    define<{ sub: boolean }>(`${q}-t`, q, (d) => {
      throw d.sub ? new BadInput("no such customer") : new UnrecoverableError("card declined");
    });
    const retrying = collect("job:retrying", q);
    stops.push(retrying.stop);
    const failed = nextEvents("job:failed", q, 2, 5000);
    const ids = [
      await queue.add(`${q}-t`, { sub: false }, { retries: 3, backoff: 10 }),
      await queue.add(`${q}-t`, { sub: true }, { retries: 3, backoff: 10 }),
    ];
    const worker = new Worker(q, { backend, ...fast });
    await worker.start();
    await failed;
    await worker.stop();
    const [plain, sub] = await Promise.all(ids.map((id) => queue.getJob(id)));
    expect(plain).toMatchObject({
      state: "failed",
      attempts: 1,
      error: { name: "UnrecoverableError", message: "card declined" },
    });
    expect(sub).toMatchObject({
      state: "failed",
      attempts: 1,
      error: { name: "BadInput", message: "no such customer" },
    });
    expect(retrying.seen).toEqual([]);
  });

  it("a custom backoff, registered by name, sets each retry's delay from (attempt, error, job); -1 fails the job", async () => {
    const q = uniqueQueue("backoff");
    const queue = new Queue(q, { backend });
    const starts: number[] = [];
    define(`${q}-t`, q, () => {
      starts.push(Date.now());
      throw new Error(`boom ${starts.length}`);
    });
    const calls: Array<[number, string, string]> = [];
    registerBackoff(q, (attempt, error, job) => {
      calls.push([attempt, (error as Error).message, job.id]);
      return attempt < 3 ? attempt * 150 : -1;
    });
    stops.push(() => unregisterBackoff(q));
    const failed = nextEvents("job:failed", q, 1, 8000);
    const id = await queue.add(`${q}-t`, {}, { retries: 5, backoff: { type: q } });
    expect((await queue.getJob(id))?.backoff).toEqual({ type: q }); // stored by name
    const worker = new Worker(q, { backend, ...fast });
    await worker.start();
    await failed;
    await worker.stop();
    expect(calls).toEqual([
      [1, "boom 1", id],
      [2, "boom 2", id],
      [3, "boom 3", id],
    ]);
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ state: "failed", attempts: 3, error: { message: "boom 3" } });
    // Each retry waited the strategy's delay: 150 ms, then 300 ms.
    expect((starts[1] as number) - (starts[0] as number)).toBeGreaterThanOrEqual(140);
    expect((starts[2] as number) - (starts[1] as number)).toBeGreaterThanOrEqual(290);
  });

  it("a custom backoff the worker does not know fails the job, saying why, instead of retrying it", async () => {
    const q = uniqueQueue("backoff-unknown");
    const queue = new Queue(q, { backend });
    define(`${q}-t`, q, () => {
      throw new Error("boom");
    });
    registerBackoff(q, () => 10);
    const id = await queue.add(`${q}-t`, {}, { retries: 5, backoff: { type: q } });
    unregisterBackoff(q); // as in a worker process that never registered it
    const failed = nextEvents("job:failed", q, 1, 5000);
    const worker = new Worker(q, { backend, ...fast });
    await worker.start();
    await failed;
    await worker.stop();
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ state: "failed", attempts: 1 });
    expect(job?.error?.message).toMatch(
      /^boom \(not retried: no backoff strategy named ".*" is registered in this worker; call registerBackoff/,
    );
  });
}
