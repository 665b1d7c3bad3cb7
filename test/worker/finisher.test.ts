import { describe, expect, it } from "vitest";
import type { Backend, Finish } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { Finisher } from "../../src/worker/finisher.js";

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
