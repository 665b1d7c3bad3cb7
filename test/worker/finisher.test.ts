import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Backend, Finish } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { setLogger } from "../../src/logger.js";
import { Finisher } from "../../src/worker/finisher.js";
import { until } from "../helpers.js";

/** A Backend-shaped recorder of `finish` calls: the point here is the call pattern. */
function recorder(answer: (queue: string, items: Finish[]) => Promise<boolean[]>) {
  const calls: Array<{ queue: string; ids: string[]; now: number }> = [];
  const backend: Pick<Backend, "finish"> = {
    finish(queue, items, now) {
      calls.push({ queue, ids: items.map((i) => i.jobId), now });
      return answer(queue, items);
    },
  };
  return { backend, calls };
}

const done = (jobId: string): Finish => ({
  kind: "completed",
  jobId,
  token: `t${jobId}`,
  resultJson: "null",
});
const turn = () => new Promise((r) => setImmediate(r));

describe("Finisher", () => {
  it("sends the finishes of one event-loop turn as one call per queue, items in order", async () => {
    const { backend, calls } = recorder(async (_q, items) => items.map(() => true));
    const f = new Finisher(backend);
    const before = Date.now();
    await Promise.all([
      f.finish("a", done("1")),
      f.finish("b", done("2")),
      f.finish("a", done("3")),
      f.finish("a", done("4")),
    ]);
    expect(calls.map(({ queue, ids }) => ({ queue, ids }))).toEqual([
      { queue: "a", ids: ["1", "3", "4"] },
      { queue: "b", ids: ["2"] },
    ]);
    expect(calls[0]?.now).toBeGreaterThanOrEqual(before);
  });

  it("starts a new batch on the next turn", async () => {
    const { backend, calls } = recorder(async (_q, items) => items.map(() => true));
    const f = new Finisher(backend);
    await f.finish("a", done("1"));
    await f.finish("a", done("2"));
    expect(calls.map((c) => c.ids)).toEqual([["1"], ["2"]]);
  });

  it("resolves each item to its own result", async () => {
    const { backend } = recorder(async (_q, items) => items.map((i) => i.jobId !== "2"));
    const f = new Finisher(backend);
    const results = await Promise.all(["1", "2", "3"].map((id) => f.finish("a", done(id))));
    expect(results).toEqual([true, false, true]);
  });

  it("rejects every item of a rejected batch, and only those", async () => {
    const boom = new Error("engine down");
    const { backend } = recorder(async (queue, items) => {
      if (queue === "bad") throw boom;
      return items.map(() => true);
    });
    const f = new Finisher(backend);
    const bad1 = f.finish("bad", done("1"));
    const good = f.finish("good", done("2"));
    const bad2 = f.finish("bad", done("3"));
    await expect(bad1).rejects.toBe(boom);
    await expect(bad2).rejects.toBe(boom);
    await expect(good).resolves.toBe(true);
    // The next turn works again.
    await turn();
    await expect(f.finish("good", done("4"))).resolves.toBe(true);
  });

  it("on a real backend: completes claimed jobs and reports a stale token as false", async () => {
    const backend = new InMemoryBackend();
    const now = Date.now();
    const job = { task: "t", dataJson: "null", priority: 5, maxRetries: 0, createdAt: now };
    await backend.enqueue("q", [job, job]);
    const [a, b] = await backend.claim("q", { workerId: "w", limit: 2, leaseMs: 60_000, now });
    if (!a || !b) throw new Error("expected two claimed jobs");
    const f = new Finisher(backend);
    const results = await Promise.all([
      f.finish("q", { kind: "completed", jobId: a.id, token: a.token, resultJson: '"ok"' }),
      f.finish("q", { kind: "completed", jobId: b.id, token: "stale", resultJson: '"no"' }),
    ]);
    expect(results).toEqual([true, false]);
    expect((await backend.getJob("q", a.id))?.state).toBe("completed");
    expect((await backend.getJob("q", b.id))?.state).toBe("active");
    await backend.close();
  });
});

/** A lease for `finish` retries: expiring `ms` from now, droppable. */
function leaseFor(ms: number) {
  const ctl = new AbortController();
  const lease = {
    leaseUntil: Date.now() + ms,
    dropped: false,
    dropSignal: ctl.signal,
    drop() {
      lease.dropped = true;
      ctl.abort();
    },
  };
  return lease;
}

describe("Finisher retries while the lease holds", () => {
  afterEach(() => setLogger(undefined));
  beforeEach(() => {
    const noop = () => {};
    setLogger({ debug: noop, info: noop, warn: noop, error: noop });
  });

  it("tries a failed batch again, as one batch, until the backend answers", async () => {
    let failures = 3;
    const { backend, calls } = recorder(async (_q, items) => {
      if (failures-- > 0) throw new Error("engine down");
      return items.map(() => true);
    });
    const f = new Finisher(backend);
    const results = await Promise.all(
      ["1", "2", "3"].map((id) => f.finish("a", done(id), undefined, leaseFor(5000))),
    );
    expect(results).toEqual([true, true, true]);
    expect(calls.map((c) => c.ids)).toEqual(Array.from({ length: 4 }, () => ["1", "2", "3"]));
  });

  it("keeps a failed batch together when its retries start milliseconds apart (a loaded loop)", async () => {
    let failures = 2;
    const { backend, calls } = recorder(async (_q, items) => {
      if (failures-- > 0) throw new Error("engine down");
      return items.map(() => true);
    });
    const f = new Finisher(backend);
    // The third attempt's retry starts 20 ms after the others' (its lease is read once per retry),
    // as on a busy machine: a timer of its own would fire in a later turn and split the batch.
    const slow = leaseFor(5000);
    const leaseUntil = slow.leaseUntil;
    let reads = 0;
    Object.defineProperty(slow, "leaseUntil", {
      get() {
        if (reads++ === 0) for (const t = Date.now(); Date.now() - t < 20; );
        return leaseUntil;
      },
    });
    const leases = [leaseFor(5000), leaseFor(5000), slow];
    const results = await Promise.all(
      ["1", "2", "3"].map((id, i) => f.finish("a", done(id), undefined, leases[i])),
    );
    expect(results).toEqual([true, true, true]);
    expect(calls.map((c) => c.ids)).toEqual(Array.from({ length: 3 }, () => ["1", "2", "3"]));
  });

  it("gives up with the last error once the lease would have expired", async () => {
    const { backend, calls } = recorder(async () => {
      throw new Error(`engine down ${calls.length}`);
    });
    const f = new Finisher(backend);
    const t0 = Date.now();
    await expect(f.finish("a", done("1"), undefined, leaseFor(300))).rejects.toThrow(/engine down/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(calls.length).toBeGreaterThan(2);
  });

  it("gives up at once when the attempt is dropped (lease lost, shutdown over)", async () => {
    const { backend, calls } = recorder(async () => {
      throw new Error("engine down");
    });
    const f = new Finisher(backend);
    const lease = leaseFor(60_000);
    const t0 = Date.now();
    const finishing = f.finish("a", done("1"), undefined, lease);
    await until(() => calls.length >= 2);
    lease.drop();
    await expect(finishing).rejects.toThrow(/engine down/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("logs a failing queue once, and once when it works again", async () => {
    const lines: string[] = [];
    const put = (m: string) => lines.push(m);
    setLogger({ debug: () => {}, info: put, warn: put, error: put });
    let failures = 4;
    const { backend } = recorder(async (_q, items) => {
      if (failures-- > 0) throw new Error("engine down");
      return items.map(() => true);
    });
    const f = new Finisher(backend);
    await f.finish("a", done("1"), undefined, leaseFor(5000));
    expect(lines).toEqual([
      expect.stringMatching(/^recording the end of jobs of queue "a" failed: engine down; retrying/),
      expect.stringMatching(/^recording the end of jobs of queue "a" works again, after 4 failed/),
    ]);
  });
});
