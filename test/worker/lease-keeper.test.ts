import { afterEach, describe, expect, it, vi } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { JobCancelledError } from "../../src/errors.js";
import { setLogger } from "../../src/logger.js";
import { ActiveJob } from "../../src/worker/active-job.js";
import { abortActiveJob, LeaseKeeper } from "../../src/worker/lease-keeper.js";
import { until } from "../helpers.js";

/** A Backend-shaped recorder of `extendLeases` calls; `lost` says which ids come back lost. */
function recorder(lost: (queue: string) => string[] = () => []) {
  const calls: Array<{ queue: string; ids: string[]; leaseMs: number }> = [];
  const backend: Pick<Backend, "extendLeases"> = {
    async extendLeases(queue, leases, leaseMs) {
      calls.push({ queue, ids: leases.map((l) => l.jobId), leaseMs });
      return lost(queue);
    },
  };
  return { backend, calls };
}

const keepers: LeaseKeeper[] = [];
function keeper(backend: Pick<Backend, "extendLeases">, leaseMs = 30): LeaseKeeper {
  const k = new LeaseKeeper(backend, leaseMs);
  keepers.push(k);
  return k;
}
afterEach(() => {
  for (const k of keepers.splice(0)) k.close();
  vi.useRealTimers();
});

describe("LeaseKeeper", () => {
  it("renews every third of the lease, in one call per queue", async () => {
    vi.useFakeTimers();
    const { backend, calls } = recorder();
    const k = keeper(backend, 30);
    k.add(new ActiveJob("a", "1", "t1"));
    k.add(new ActiveJob("a", "2", "t2"));
    k.add(new ActiveJob("b", "3", "t3"));
    await vi.advanceTimersByTimeAsync(9);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual([
      { queue: "a", ids: ["1", "2"], leaseMs: 30 },
      { queue: "b", ids: ["3"], leaseMs: 30 },
    ]);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(4);
  });

  it("aborts the jobs whose lease is lost, and only those", async () => {
    vi.useFakeTimers();
    const { backend } = recorder((q) => (q === "a" ? ["2"] : []));
    const k = keeper(backend);
    const kept = new ActiveJob("a", "1", "t1");
    const lost = new ActiveJob("a", "2", "t2");
    const signal = lost.signal; // read before the abort, as a handler would
    k.add(kept);
    k.add(lost);
    await vi.advanceTimersByTimeAsync(10);
    expect(kept.cause).toBeUndefined();
    expect(lost.cause).toBe("lost");
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(JobCancelledError);
  });

  it("a lost lease aborts the attempt it renewed, not a new claim of the same id made meanwhile", async () => {
    vi.useFakeTimers();
    let k!: LeaseKeeper;
    const old = new ActiveJob("a", "1", "t1");
    const again = new ActiveJob("a", "1", "t2");
    const backend: Pick<Backend, "extendLeases"> = {
      async extendLeases(_queue, leases) {
        if (!leases.some((l) => l.token === "t1")) return [];
        // While the renewal of t1 is in flight, its attempt ends and the job is claimed again (t2).
        k.remove(old);
        k.add(again);
        return ["1"];
      },
    };
    k = keeper(backend);
    k.add(old);
    await vi.advanceTimersByTimeAsync(10);
    expect(again.cause).toBeUndefined();
    expect(old.cause).toBe("lost");
  });

  it("stops its timer at the first beat with no job, and on close", async () => {
    vi.useFakeTimers();
    const { backend, calls } = recorder();
    const k = keeper(backend);
    const job = new ActiveJob("a", "1", "t1");
    k.add(job);
    k.remove(job);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    k.add(job);
    expect(vi.getTimerCount()).toBe(1);
    k.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps renewing after a failed renewal, and says so once, and once when it works again", async () => {
    vi.useFakeTimers();
    const warnings: string[] = [];
    const infos: string[] = [];
    const noop = () => {};
    setLogger({ debug: noop, info: (m) => infos.push(m), error: noop, warn: (m) => warnings.push(m) });
    let fail = true;
    const { backend, calls } = recorder(() => {
      if (fail) {
        fail = false;
        throw new Error("engine down");
      }
      return [];
    });
    const k = keeper(backend);
    const job = new ActiveJob("a", "1", "t1");
    k.add(job);
    await vi.advanceTimersByTimeAsync(20);
    setLogger(undefined);
    expect(calls).toHaveLength(2);
    expect(job.cause).toBeUndefined();
    expect(warnings).toEqual([
      "renewing the leases of running jobs failed: engine down; retrying every 10 ms while jobs run, and saying so here once it works again",
    ]);
    expect(infos).toEqual([expect.stringMatching(/^renewing the leases of running jobs works again/)]);
  });

  it("abortActiveJob reaches the job in an open keeper of that backend only", () => {
    const one = recorder().backend;
    const other = recorder().backend;
    const k1 = keeper(one);
    const k2 = keeper(other);
    const j1 = new ActiveJob("a", "1", "t1");
    const j2 = new ActiveJob("a", "1", "t2");
    k1.add(j1);
    k2.add(j2);
    abortActiveJob(one, "a", "1", "cancelled");
    expect(j1.cause).toBe("cancelled");
    expect(j1.reason?.message).toBe("job 1 was cancelled");
    expect(j2.cause).toBeUndefined();
    k2.close();
    abortActiveJob(other, "a", "1", "removed");
    expect(j2.cause).toBeUndefined(); // a closed keeper is no longer listed
  });

  it("on a real backend: keeps a lease alive, and aborts a job cancelled by another holder", async () => {
    const backend = new InMemoryBackend();
    const now = Date.now();
    const job = { task: "t", dataJson: "null", priority: 5, maxRetries: 0, createdAt: now };
    await backend.enqueue("q", [job, job]);
    const claimed = await backend.claim("q", { workerId: "w", limit: 2, leaseMs: 60, now });
    const [a, b] = claimed.map((c) => new ActiveJob("q", c.id, c.token));
    if (!a || !b) throw new Error("expected two claimed jobs");
    const k = keeper(backend, 60);
    k.add(a);
    k.add(b);
    await backend.cancelJob("q", b.jobId, Date.now());
    await until(() => b.cause === "lost", 2000, "the cancelled job's abort");
    await new Promise((r) => setTimeout(r, 150)); // over two lease lengths: only renewals keep `a`
    await backend.recoverStalled("q", Date.now(), 1);
    expect((await backend.getJob("q", a.jobId))?.state).toBe("active");
    expect(a.cause).toBeUndefined();
    k.close();
    await backend.close();
  });
});
