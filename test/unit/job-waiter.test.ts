import { afterEach, describe, expect, it, vi } from "vitest";
import { JobNotFoundError } from "../../src/errors.js";
import { SafeEmitter } from "../../src/events.js";
import type { JobRecord } from "../../src/job.js";
import { JobWaiters } from "../../src/job-waiter.js";
import type { QueueEvents } from "../../src/queue-events.js";

/** A job as `read` returns it while it waits; null once it is removed. */
const waiting = { id: "1", state: "waiting" } as JobRecord;

describe("JobWaiters", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup() {
    vi.useFakeTimers();
    const events = new SafeEmitter();
    let job: JobRecord | null = waiting;
    const waiters = new JobWaiters("q", events as unknown as QueueEvents, async () => job);
    const settled: unknown[] = [];
    const wait = (added: boolean) =>
      waiters.wait("1", undefined, added).then(
        (result) => settled.push(["result", result]),
        (err: Error) => settled.push(["error", err]),
      );
    return { events, waiters, settled, wait, remove: () => (job = null) };
  }

  it("a job just added that is removed before its event arrives: the late event settles the wait", async () => {
    const { events, settled, wait, remove } = setup();
    const done = wait(true);
    await vi.advanceTimersByTimeAsync(10); // the first read saw it waiting
    remove(); // it completed and was removed (removeOnComplete); its event is still on its way
    await vi.advanceTimersByTimeAsync(1500); // the rechecks at 250 and 1000 ms read nothing
    expect(settled).toEqual([]);
    events.emit("job:completed", { queue: "q", jobId: "1", task: "t", result: 42 });
    await done;
    expect(settled).toEqual([["result", 42]]);
  });

  it("a job just added whose ending is never heard: JobNotFoundError once it stays gone", async () => {
    const { settled, wait, remove } = setup();
    const done = wait(true);
    await vi.advanceTimersByTimeAsync(10);
    remove();
    await vi.advanceTimersByTimeAsync(4000);
    expect(settled).toEqual([]); // gone since the 250 ms look: not yet given up
    await vi.advanceTimersByTimeAsync(20_000);
    await done;
    expect(settled[0]).toEqual(["error", expect.any(JobNotFoundError)]);
  });

  it("held: a job that ends before its wait is made (its event before the add's reply) settles the wait", async () => {
    const { events, waiters, settled, wait, remove } = setup();
    const release = waiters.hold();
    remove(); // it ran, and was removed on completion...
    events.emit("job:completed", { queue: "q", jobId: "1", task: "t", result: 7 }); // ...before wait()
    const done = wait(true);
    release();
    await done;
    expect(settled).toEqual([["result", 7]]);
    // Released: endings of jobs no one waits for are no longer kept.
    events.emit("job:completed", { queue: "q", jobId: "2", task: "t", result: 1 });
    const later = waiters.wait("2", 100, false).catch((err: Error) => err.name);
    await vi.advanceTimersByTimeAsync(200);
    expect(await later).toBe("JobNotFoundError");
  });

  it("waitFor of a job that is not there fails at the first read", async () => {
    const { settled, wait, remove } = setup();
    remove();
    const done = wait(false);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(settled[0]).toEqual(["error", expect.any(JobNotFoundError)]);
  });
});
