import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { Semaphore } from "../../src/worker/semaphore.js";

/** Lets pending promise continuations run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Semaphore", () => {
  it("rejects permits that are not an integer >= 1", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "2" as unknown as number]) {
      expect(() => new Semaphore(bad)).toThrow(ValidationError);
    }
    expect(() => new Semaphore(0)).toThrow(/integer >= 1/);
    const s = new Semaphore(1);
    for (const bad of [0, -3, 2.5, Number.NaN]) expect(() => s.resize(bad)).toThrow(ValidationError);
    expect(s.permits).toBe(1);
  });

  it("grants up to `permits` at once and counts them", async () => {
    const s = new Semaphore(2);
    expect([s.permits, s.inUse, s.available]).toEqual([2, 0, 2]);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    expect([s.inUse, s.available]).toEqual([2, 0]);
    expect(s.tryAcquire()).toBeNull();
    let third = false;
    const p3 = s.acquire().then((r) => {
      third = true;
      return r;
    });
    await flush();
    expect(third).toBe(false);
    r1();
    const r3 = await p3;
    expect(third).toBe(true);
    expect(s.inUse).toBe(2);
    r2();
    r3();
    expect([s.inUse, s.available]).toEqual([0, 2]);
  });

  it("release is idempotent", async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    r1();
    r1();
    r1();
    expect(s.inUse).toBe(1);
    expect(s.available).toBe(1);
    r2();
    expect(s.inUse).toBe(0);
  });

  it("admits waiters in FIFO order", async () => {
    const s = new Semaphore(1);
    const first = await s.acquire();
    const order: number[] = [];
    const done = [1, 2, 3, 4].map((i) =>
      s.acquire().then((release) => {
        order.push(i);
        release();
      }),
    );
    await flush();
    expect(order).toEqual([]);
    first();
    await Promise.all(done);
    expect(order).toEqual([1, 2, 3, 4]);
    expect(s.inUse).toBe(0);
  });

  it("tryAcquire does not jump ahead of waiters", async () => {
    const s = new Semaphore(1);
    const r = s.tryAcquire();
    expect(r).not.toBeNull();
    const waiter = s.acquire();
    r?.();
    // The permit went to the waiter, not to a newcomer.
    expect(s.tryAcquire()).toBeNull();
    (await waiter)();
    const again = s.tryAcquire();
    expect(again).not.toBeNull();
    again?.();
  });

  it("rejects with signal.reason when already aborted, leaving no waiter", async () => {
    const s = new Semaphore(1);
    const reason = new Error("stop");
    await expect(s.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
    // Even with a free permit an aborted signal wins: the caller asked to stop.
    expect(s.inUse).toBe(0);
    expect(s.waiting).toBe(0);
  });

  it("rejects a waiter on abort and removes it from the queue", async () => {
    const s = new Semaphore(1);
    const held = await s.acquire();
    const ac = new AbortController();
    const aborted = s.acquire(ac.signal);
    const next = s.acquire();
    expect(s.waiting).toBe(2);
    const reason = new Error("shutdown");
    ac.abort(reason);
    await expect(aborted).rejects.toBe(reason);
    expect(s.waiting).toBe(1);
    held();
    const r = await next;
    expect(s.inUse).toBe(1);
    r();
    expect(s.inUse).toBe(0);
  });

  it("an abort after the grant changes nothing", async () => {
    const s = new Semaphore(1);
    const ac = new AbortController();
    const release = await s.acquire(ac.signal);
    ac.abort();
    expect(s.inUse).toBe(1);
    release();
    expect(s.inUse).toBe(0);
  });

  it("growing admits waiters at once", async () => {
    const s = new Semaphore(1);
    const r1 = await s.acquire();
    const waiters = [s.acquire(), s.acquire(), s.acquire()];
    s.resize(3);
    expect(s.inUse).toBe(3);
    expect(s.waiting).toBe(1);
    const [r2, r3] = await Promise.all([waiters[0], waiters[1]]);
    r1();
    const r4 = await waiters[2];
    expect(s.inUse).toBe(3);
    for (const r of [r2, r3, r4]) r?.();
    expect(s.inUse).toBe(0);
  });

  it("shrinking lets holders finish and admits no one until in-use < permits", async () => {
    const s = new Semaphore(3);
    const held = [await s.acquire(), await s.acquire(), await s.acquire()];
    s.resize(1);
    expect([s.permits, s.inUse, s.available]).toEqual([1, 3, 0]);
    let admitted = false;
    const waiter = s.acquire().then((r) => {
      admitted = true;
      return r;
    });
    held[0]?.();
    await flush();
    expect(admitted).toBe(false);
    held[1]?.();
    await flush();
    expect(admitted).toBe(false);
    expect(s.inUse).toBe(1);
    held[2]?.();
    const r = await waiter;
    expect(admitted).toBe(true);
    expect(s.inUse).toBe(1);
    expect(s.tryAcquire()).toBeNull();
    r();
    expect(s.available).toBe(1);
  });

  it("never exceeds permits under concurrent load", async () => {
    const s = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const release = await s.acquire();
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, i % 3));
        running--;
        release();
      }),
    );
    expect(peak).toBe(3);
    expect(s.inUse).toBe(0);
  });
});
