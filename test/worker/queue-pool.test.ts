import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { type Permits, QueuePool } from "../../src/worker/queue-pool.js";
import { Semaphore } from "../../src/worker/semaphore.js";
import { checkQueues } from "../../src/worker/worker-queues.js";

/** Lets pending promise continuations run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("QueuePool", () => {
  it("one pool: never more permits out than its size, over all lanes", async () => {
    const pool = new QueuePool(new Semaphore(3));
    const a = pool.lane(1);
    const b = pool.lane(1);
    const held = [await a.acquire(), a.tryAcquire(), a.tryAcquire()];
    expect(a.tryAcquire()).toBeNull();
    a.claimed?.(3, false);
    expect(b.tryAcquire()).toBeNull();
    let got = false;
    const next = b.acquire().then((r) => {
      got = true;
      return r;
    });
    await flush();
    expect(got).toBe(false);
    held[0]?.();
    held[0]?.(); // idempotent: frees one permit only
    const r = await next;
    expect(a.tryAcquire()).toBeNull();
    r();
    for (const release of held) release?.();
  });

  /** Takes every permit `lane` may take now. */
  const takeAll = (lane: Permits) => {
    const got: Array<() => void> = [];
    for (let r = lane.tryAcquire(); r; r = lane.tryAcquire()) got.push(r);
    return got;
  };

  it("turns: the lane whose turn it is takes every free permit; the other waits until that claim ends", async () => {
    const pool = new QueuePool(new Semaphore(8));
    const a = pool.lane(1);
    const b = pool.lane(1);
    const first = takeAll(a);
    expect(first).toHaveLength(8);
    for (const r of first.splice(4)) r(); // a's claim found 4: the rest goes back, but the claim is under way
    expect(b.tryAcquire()).toBeNull(); // a's turn comes first (equal pass, first lane)
    a.claimed?.(8, false); // a started 8 jobs: its pass moves past b's
    const mine = takeAll(b);
    expect(mine).toHaveLength(4);
    expect(a.tryAcquire()).toBeNull(); // b's claim is under way now, and b's turn came first
    b.claimed?.(4, false);
    for (const r of [...first, ...mine]) r();
  });

  it("weights: a lane of weight 3 gets three claims' worth of jobs to one of weight 1 while both have work", async () => {
    const pool = new QueuePool(new Semaphore(4));
    const lanes = [pool.lane(3), pool.lane(1)];
    const started = [0, 0];
    let jobs = takeAll(lanes[0] as Permits);
    lanes[0]?.claimed?.(4, false);
    const waiting: Array<Promise<{ i: number; release: () => void }> | null> = [null, null];
    // Each round both lanes wait while the last claim's 4 jobs run; they end, and the lane whose
    // turn it is claims the next 4.
    for (let round = 0; round < 40; round++) {
      for (const [i, lane] of lanes.entries()) {
        waiting[i] ??= lane.acquire().then((release) => ({ i, release }));
      }
      for (const release of jobs) release();
      const { i, release } = await Promise.race(waiting.filter((w) => w !== null));
      waiting[i] = null;
      jobs = [release, ...takeAll(lanes[i] as Permits)];
      expect(jobs).toHaveLength(4);
      lanes[i]?.claimed?.(4, false);
      started[i] = (started[i] ?? 0) + 4;
    }
    const [a, b] = started as [number, number];
    expect(a / b).toBeGreaterThan(2.5);
    expect(a / b).toBeLessThan(3.5);
  });

  it("weights hold when claims take time: the permits freed during a claim are not the waiting lane's", async () => {
    // The claim loop's shape: take permits, claim (a round trip), start the jobs, ask again. Through
    // a pooler a claim takes milliseconds, and jobs end meanwhile (this read 1.3 with 10 ms claims).
    for (const claimMs of [0, 10]) {
      const pool = new QueuePool(new Semaphore(8));
      const lanes = [pool.lane(3), pool.lane(1)];
      const started = [0, 0];
      let stop = false;
      const jobs: Promise<void>[] = [];
      const loop = async (i: number) => {
        const lane = lanes[i] as Permits;
        while (!stop) {
          const permits = [await lane.acquire(), ...takeAll(lane)];
          await sleep(claimMs);
          lane.claimed?.(permits.length, false);
          started[i] = (started[i] ?? 0) + permits.length;
          for (const release of permits) jobs.push(sleep(20).then(release));
          await Promise.resolve(); // the loop's own awaits before it asks again
        }
      };
      const loops = [loop(0), loop(1)];
      while ((started[0] ?? 0) + (started[1] ?? 0) < 160) await sleep(5);
      stop = true;
      const [a, b] = started as [number, number];
      expect(a / b, `claims of ${claimMs} ms: ${a} and ${b} jobs`).toBeGreaterThan(2.4);
      expect(a / b, `claims of ${claimMs} ms: ${a} and ${b} jobs`).toBeLessThan(3.6);
      pool.resize(100); // lets the last waiters through
      await Promise.all(loops);
      await Promise.all(jobs); // nothing of this round left running into the next
    }
  });

  it("a lane whose claim found no job holds no one back; with work again it starts level", async () => {
    const pool = new QueuePool(new Semaphore(4));
    const a = pool.lane(1);
    const b = pool.lane(1);
    const first = takeAll(a);
    a.claimed?.(4, false); // a's pass: 4
    for (const release of first) release();
    const probe = takeAll(b);
    b.claimed?.(0, false); // b's queue is empty
    for (const release of probe) release();
    const r = b.tryAcquire(); // b claims again (a wake-up), its pass 0 before a's...
    expect(r).not.toBeNull();
    expect(b.tryAcquire()).toBeNull(); // (without work, it looks with one permit)
    const x = a.tryAcquire(); // ...and a, with work, is not held back
    expect(x).not.toBeNull();
    r?.();
    x?.();
    for (let i = 0; i < 10; i++) a.claimed?.(1, false); // a runs jobs while b is idle (a's pass: 14)
    const many = takeAll(a);
    // b finds work: its pass starts at a's (14), not 0, so it does not get the next 14 turns in a row.
    b.claimed?.(1, false); // b's pass: 15
    a.claimed?.(4, false); // a's pass: 18
    const order: string[] = [];
    const noted = (name: string) => (release: () => void) => {
      order.push(name);
      return release;
    };
    const wa = a.acquire().then(noted("a"));
    const wb = b.acquire().then(noted("b"));
    for (const release of many) release();
    await flush();
    expect(order[0]).toBe("b");
    b.claimed?.(4, false); // b's pass: 19: a's turn
    (await wb)();
    await flush();
    expect(order).toEqual(["b", "a"]);
    (await wa)();
  });

  it("an aborted waiter leaves the lane; resize grants at once", async () => {
    const pool = new QueuePool(new Semaphore(1));
    const a = pool.lane(1);
    const r = await a.acquire();
    const ctl = new AbortController();
    const waiting = a.acquire(ctl.signal);
    ctl.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    const next = a.acquire();
    pool.resize(2);
    (await next)();
    r();
    expect(pool.permits).toBe(2);
  });
});

describe("checkQueues", () => {
  it("accepts a name, names, and { name, weight }", () => {
    expect(checkQueues("a")).toEqual([{ name: "a", weight: 1 }]);
    expect(checkQueues(["a", { name: "b", weight: 3 }])).toEqual([
      { name: "a", weight: 1 },
      { name: "b", weight: 3 },
    ]);
  });

  it("refuses an empty list, a repeated name, a bad name, a bad weight, an unknown key", () => {
    expect(() => checkQueues([])).toThrow(/empty/);
    expect(() => checkQueues(["a", { name: "a" }])).toThrow(/listed twice/);
    expect(() => checkQueues(["a", ""])).toThrow(/non-empty string/);
    expect(() => checkQueues(["a:b"])).toThrow(/contains ":"/);
    expect(() => checkQueues([{ name: "a", weight: 0 }])).toThrow(/integer >= 1/);
    expect(() => checkQueues([{ name: "a", weight: 1.5 }])).toThrow(/integer >= 1/);
    expect(() => checkQueues([{ name: "a", wieght: 2 } as never])).toThrow(/unknown key.*"wieght"/);
    expect(() => checkQueues(42 as never)).toThrow(/queue name or an array/);
  });
});
