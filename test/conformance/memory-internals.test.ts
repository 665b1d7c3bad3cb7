/**
 * The memory backend's own structures, and its indexes after enough churn that they compact
 * (the shared suite stays far below the compaction threshold).
 */
import { describe, expect, it } from "vitest";
import { ActiveList } from "../../src/backends/memory/active-list.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { MinHeap } from "../../src/backends/memory/min-heap.js";
import { PriorityFifo } from "../../src/backends/memory/priority-fifo.js";
import { QueueState } from "../../src/backends/memory/queue-state.js";
import { StoredJob } from "../../src/backends/memory/stored-job.js";
import { claimOpts, completions, newJob, T0 } from "./helpers.js";

/** A small deterministic PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

describe("MinHeap", () => {
  it("pops by (at, seq) and keeps heap order after filter", () => {
    const rand = prng(7);
    const heap = new MinHeap<{ at: number; seq: number }>();
    const all = Array.from({ length: 500 }, (_, seq) => ({ at: Math.floor(rand() * 50), seq }));
    for (const e of all) heap.push(e);
    heap.filter((e) => e.seq % 3 !== 0);
    const out: Array<{ at: number; seq: number }> = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) out.push(e);
    const expected = all.filter((e) => e.seq % 3 !== 0).sort((a, b) => a.at - b.at || a.seq - b.seq);
    expect(out).toEqual(expected);
    expect(heap.size).toBe(0);
  });
});

describe("PriorityFifo", () => {
  it("yields by priority then FIFO, skipping stale entries, also after compact", () => {
    const dead = new Set<number>();
    const fifo = new PriorityFifo<number>((item) => !dead.has(item));
    const rand = prng(3);
    const items = Array.from({ length: 3000 }, (_, i) => ({ i, p: Math.floor(rand() * 4) - 1 }));
    for (const { i, p } of items) fifo.push(i, p, i);
    for (const { i } of items) if (i % 4 === 1) dead.add(i);
    fifo.compact();
    expect(fifo.size).toBe(3000 - dead.size);
    for (const { i } of items) if (i % 4 === 2) dead.add(i);
    const out: number[] = [];
    for (let x = fifo.shift(); x !== undefined; x = fifo.shift()) out.push(x);
    const expected = items
      .filter(({ i }) => !dead.has(i))
      .sort((a, b) => a.p - b.p || a.i - b.i)
      .map(({ i }) => i);
    expect(out).toEqual(expected);
    expect(fifo.size).toBe(0);
  });

  it("yields items pushed to the front first, newest first, also after compact", () => {
    const dead = new Set<number>();
    const fifo = new PriorityFifo<number>((item) => !dead.has(item));
    const rand = prng(5);
    const items = Array.from({ length: 3000 }, (_, i) => ({
      i,
      p: Math.floor(rand() * 3),
      front: rand() < 0.3,
    }));
    for (const { i, p, front } of items) fifo.push(i, p, i, front);
    for (const { i } of items) if (i % 5 === 1) dead.add(i);
    fifo.compact();
    expect(fifo.size).toBe(3000 - dead.size);
    const out: number[] = [];
    for (let x = fifo.shift(); x !== undefined; x = fifo.shift()) out.push(x);
    // Within a priority: front items by descending push order, then the rest by ascending.
    const rank = (e: { i: number; front: boolean }) => (e.front ? -e.i : e.i + 3000);
    const expected = items
      .filter(({ i }) => !dead.has(i))
      .sort((a, b) => a.p - b.p || rank(a) - rank(b))
      .map(({ i }) => i);
    expect(out).toEqual(expected);
    expect(fifo.size).toBe(0);
  });
});

describe("ActiveList", () => {
  it("keeps the order jobs came in, as a Set does, through any adds and deletes", () => {
    const rand = prng(11);
    const home = new QueueState("q", new Map());
    const jobs = Array.from({ length: 40 }, (_, i) => new StoredJob(String(i), home, newJob()));
    const list = new ActiveList();
    const set = new Set<StoredJob>();
    for (let step = 0; step < 2000; step++) {
      const job = jobs[Math.floor(rand() * jobs.length)] as StoredJob;
      // Twice as many adds as deletes at first, then the other way round, so it fills and empties.
      const add = rand() < (step < 1000 ? 0.67 : 0.33);
      if (add) {
        list.add(job);
        set.add(job);
      } else {
        list.delete(job);
        set.delete(job);
      }
      expect([...list].map((j) => j.id)).toEqual([...set].map((j) => j.id));
    }
  });
});

describe("InMemoryBackend under churn", () => {
  it("claims in priority/FIFO order after many cancellations compacted the waiting index", async () => {
    const b = new InMemoryBackend();
    const rand = prng(11);
    const jobs = Array.from({ length: 4000 }, () =>
      newJob({ priority: Math.floor(rand() * 3), ttl: 10_000_000 }),
    );
    const ids = (await b.enqueue("q", jobs)).map((r) => r.id);
    const cancelled = new Set(ids.filter(() => rand() < 0.6));
    for (const id of cancelled) expect(await b.cancelJob("q", id, T0 + 1)).toBe(true);
    const claimed = (await b.claim("q", claimOpts({ limit: 10_000 }))).map((j) => j.id);
    const expected = ids
      .map((id, i) => ({ id, p: jobs[i]?.priority ?? 0, i }))
      .filter(({ id }) => !cancelled.has(id))
      .sort((a, b) => a.p - b.p || a.i - b.i)
      .map(({ id }) => id);
    expect(claimed).toEqual(expected);
    await b.close();
  });

  it("keeps ttl, delayed and retention indexes right after they compacted", async () => {
    const b = new InMemoryBackend();
    // Many jobs with a ttl complete, leaving stale ttl and retention entries behind.
    await b.enqueue(
      "q",
      Array.from({ length: 3000 }, () => newJob({ ttl: 1000, removeOnComplete: { age: 500, count: 100 } })),
    );
    const claimed = await b.claim("q", claimOpts({ limit: 3000, now: T0 + 1 }));
    const done = await b.finish("q", completions(claimed), T0 + 2);
    expect(done.every(Boolean)).toBe(true);
    expect((await b.getJobCounts("q")).completed).toBe(100);
    // Fresh unstarted jobs still expire on time; the stale entries do not count.
    await b.enqueue("q", [newJob({ id: "w", ttl: 1000 }), newJob({ id: "d", ttl: 1000, runAt: T0 + 5000 })]);
    // Delayed jobs, most of them removed, still promote in runAt order.
    const delayed = await b.enqueue(
      "q",
      Array.from({ length: 2500 }, (_, i) => newJob({ runAt: T0 + 10 + i })),
    );
    for (const r of delayed.slice(0, 2400)) await b.removeJob("q", r.id, T0 + 100);
    expect(await b.expireDue("q", T0 + 1000, 10_000)).toBe(2);
    expect(await b.removeExpiredFinished("q", T0 + 502, 10_000)).toBe(100);
    expect(await b.removeExpiredFinished("q", T0 + 100_000, 10_000)).toBe(0);
    expect(await b.promoteDelayed("q", T0 + 10_000, 10_000)).toEqual({ promoted: 100, nextDueAt: null });
    const order = (await b.claim("q", claimOpts({ limit: 200, now: T0 + 10_001 }))).map((j) => j.id);
    expect(order).toEqual(delayed.slice(2400).map((r) => r.id));
    await b.close();
  });
});
