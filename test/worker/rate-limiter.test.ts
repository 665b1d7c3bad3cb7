import { afterEach, describe, expect, it, vi } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { type Logger, setLogger } from "../../src/logger.js";
import { RateLimiter } from "../../src/worker/rate-limiter.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Counts the timers created through the global setTimeout since the call that are still pending
 * (neither fired nor cleared). Counting only our own keeps vitest's timers out of it.
 */
function trackTimers(): { live(): number; restore(): void } {
  const live = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const set = vi.spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
    const handle = realSet(() => {
      live.delete(handle);
      fn();
    }, ms);
    live.add(handle);
    return handle;
  }) as typeof setTimeout);
  const clear = vi.spyOn(globalThis, "clearTimeout").mockImplementation((handle) => {
    live.delete(handle);
    realClear(handle);
  });
  return {
    live: () => live.size,
    restore: () => {
      set.mockRestore();
      clear.mockRestore();
    },
  };
}

function captureWarnings(): string[] {
  const warnings: string[] = [];
  const noop = () => {};
  const logger: Logger = { debug: noop, info: noop, error: noop, warn: (m) => warnings.push(m) };
  setLogger(logger);
  return warnings;
}

afterEach(() => {
  setLogger(undefined);
  vi.restoreAllMocks();
});

describe("RateLimiter", () => {
  it("rejects a bad rate or interval with ValidationError", () => {
    for (const rate of [-1, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number]) {
      expect(() => new RateLimiter(rate, 1000)).toThrow(ValidationError);
    }
    for (const interval of [0, -5, "0ms", "abc", Number.NaN, "5 parsecs"]) {
      expect(() => new RateLimiter(5, interval)).toThrow(ValidationError);
    }
    expect(() => new RateLimiter(5, 0)).toThrow(/rateInterval/);
    expect(() => new RateLimiter(-1, 10)).toThrow(/rateLimit/);
  });

  it("starts full: tryAcquire grants exactly `rate` tokens, then refuses", () => {
    const rl = new RateLimiter(3, "1h");
    expect([rl.tryAcquire(), rl.tryAcquire(), rl.tryAcquire()]).toEqual([true, true, true]);
    expect(rl.tryAcquire()).toBe(false);
    expect(rl.interval).toBe(3_600_000);
  });

  it("refills continuously", async () => {
    const rl = new RateLimiter(2, 100);
    expect(rl.tryAcquire()).toBe(true);
    expect(rl.tryAcquire()).toBe(true);
    expect(rl.tryAcquire()).toBe(false);
    await sleep(70); // 1.4 tokens refilled
    expect(rl.tryAcquire()).toBe(true);
  });

  it("bursts `rate` at once, then paces the rest (5 per 200ms, 10 acquires)", async () => {
    const rl = new RateLimiter(5, 200);
    const start = performance.now();
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, () => rl.acquire().then(() => times.push(performance.now() - start))),
    );
    times.sort((a, b) => a - b);
    // First five immediate (the burst); generous bound for a loaded machine.
    expect(times[4]).toBeLessThan(100);
    // The 6th needs 1/5 of an interval, the 10th a whole interval.
    expect(times[5]).toBeGreaterThanOrEqual(35);
    expect(times[9]).toBeGreaterThanOrEqual(190);
    expect(times[9]).toBeLessThan(2000);
    // Paced, not bunched: consecutive paced grants are roughly 40ms apart, never all at once.
    expect((times[9] as number) - (times[5] as number)).toBeGreaterThanOrEqual(140);
  });

  it("serves waiters in FIFO order", async () => {
    const rl = new RateLimiter(1, 20);
    await rl.acquire();
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((i) => rl.acquire().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("tryAcquire does not take a token ahead of a waiter", async () => {
    const rl = new RateLimiter(1, 40);
    expect(rl.tryAcquire()).toBe(true);
    const waiting = rl.acquire();
    await sleep(60);
    // A token is due, but it belongs to the waiter.
    expect(rl.tryAcquire()).toBe(false);
    await waiting;
  });

  it("a fractional rate below 1 still admits one token at a time", async () => {
    const rl = new RateLimiter(0.5, 100); // one token per 200ms
    expect(rl.tryAcquire()).toBe(true);
    expect(rl.tryAcquire()).toBe(false);
    const start = performance.now();
    await rl.acquire();
    expect(performance.now() - start).toBeGreaterThanOrEqual(150);
  });

  it("rejects at once with signal.reason when already aborted", async () => {
    const rl = new RateLimiter(5, 1000);
    const reason = new Error("stop");
    await expect(rl.acquire(AbortSignal.abort(reason))).rejects.toBe(reason);
    // No token was spent.
    for (let i = 0; i < 5; i++) expect(rl.tryAcquire()).toBe(true);
  });

  it("abort while waiting rejects promptly and clears the timer", async () => {
    const rl = new RateLimiter(1, "10s");
    expect(rl.tryAcquire()).toBe(true);
    const timers = trackTimers();
    const ac = new AbortController();
    const p = rl.acquire(ac.signal);
    expect(timers.live()).toBe(1);
    await sleep(20);
    const reason = new Error("shutdown");
    const start = performance.now();
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(performance.now() - start).toBeLessThan(100);
    expect(rl.waiting).toBe(0);
    expect(timers.live()).toBe(0);
  });

  it("an aborted waiter leaves the queue; the next one still gets its token", async () => {
    const rl = new RateLimiter(1, 50);
    await rl.acquire();
    const ac = new AbortController();
    const first = rl.acquire(ac.signal);
    const second = rl.acquire();
    ac.abort();
    await expect(first).rejects.toBeInstanceOf(DOMException);
    const start = performance.now();
    await second;
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it("leaves no timer running once everyone is served", async () => {
    const timers = trackTimers();
    const rl = new RateLimiter(2, 40);
    const all = Promise.all([rl.acquire(), rl.acquire(), rl.acquire(), rl.acquire()]);
    // One timer for the head waiter, not one per waiter.
    expect(timers.live()).toBe(1);
    await all;
    expect(rl.waiting).toBe(0);
    expect(timers.live()).toBe(0);
  });

  it("rate 0 blocks every acquire, warns once, and an abort still ends the wait promptly", async () => {
    const warnings = captureWarnings();
    const rl = new RateLimiter(0, 1000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/rate limit is 0/);
    expect(rl.tryAcquire()).toBe(false);
    const ac = new AbortController();
    let settled = false;
    const timers = trackTimers();
    const p = rl.acquire(ac.signal).finally(() => {
      settled = true;
    });
    p.catch(() => {});
    // No timer of the limiter's own: nothing will ever refill.
    expect(timers.live()).toBe(0);
    timers.restore();
    const other = rl.acquire(AbortSignal.timeout(50));
    await expect(other).rejects.toMatchObject({ name: "TimeoutError" });
    expect(settled).toBe(false);
    const start = performance.now();
    ac.abort(new Error("bye"));
    await expect(p).rejects.toThrow("bye");
    expect(performance.now() - start).toBeLessThan(100);
    expect(warnings).toHaveLength(1);
    expect(rl.waiting).toBe(0);
  });
});
