import { describe, expect, it } from "vitest";
import { QueuePool } from "../../src/worker/queue-pool.js";
import { Semaphore } from "../../src/worker/semaphore.js";
import { checkQueues } from "../../src/worker/worker-queues.js";

/** Lets pending promise continuations run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("QueuePool", () => {
  it("one pool: never more permits out than its size, over all lanes", async () => {
    const pool = new QueuePool(new Semaphore(3));
    const a = pool.lane(1);
    const b = pool.lane(1);
    const held = [await a.acquire(), await b.acquire(), await a.acquire()];
    expect(a.tryAcquire()).toBeNull();
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
  });

  it("a busy lane takes at most its share while the other lane has work, all of it when the other has none", () => {
    const pool = new QueuePool(new Semaphore(8));
    const a = pool.lane(1);
    const b = pool.lane(1);
    // b runs a job and its last claim found all it asked: it has work, so a gets half.
    const rb = b.tryAcquire();
    expect(rb).not.toBeNull();
    const mine: Array<() => void> = [];
    for (let r = a.tryAcquire(); r; r = a.tryAcquire()) mine.push(r);
    expect(mine).toHaveLength(4);
    // b's claim came back short: its queue is empty, a may take the rest.
    b.claimed?.(4, 1);
    for (let r = a.tryAcquire(); r; r = a.tryAcquire()) mine.push(r);
    expect(mine).toHaveLength(7);
    for (const r of mine) r();
    rb?.();
  });

  it("weights divide the pool; waiting lanes are served fewest-held-per-weight first", async () => {
    const pool = new QueuePool(new Semaphore(8));
    const a = pool.lane(3);
    const b = pool.lane(1);
    const rb = b.tryAcquire();
    const mine: Array<() => void> = [];
    for (let r = a.tryAcquire(); r; r = a.tryAcquire()) mine.push(r);
    expect(mine).toHaveLength(6); // 8 * 3/4
    const more: Array<() => void> = [];
    for (let r = b.tryAcquire(); r; r = b.tryAcquire()) more.push(r);
    expect(more).toHaveLength(1); // 8 * 1/4: b holds 2, the pool is full
    const order: string[] = [];
    const noted = (name: string) => (release: () => void) => {
      order.push(name);
      return release;
    };
    const wa = a.acquire().then(noted("a"));
    const wb = b.acquire().then(noted("b"));
    await flush();
    expect(order).toEqual([]);
    mine.pop()?.(); // a holds 5, below its 6: a is served, b (at its 2) waits
    await flush();
    expect(order).toEqual(["a"]);
    mine.pop()?.(); // the permit waits for a, busy and below its share
    await flush();
    expect(order).toEqual(["a"]);
    a.claimed?.(4, 0); // a's queue ran dry: b may go past its share
    await flush();
    expect(order).toEqual(["a", "b"]);
    for (const r of [...mine, ...more, rb, await wa, await wb]) r?.();
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
