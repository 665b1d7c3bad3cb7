import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { NewJob } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { WakeFlag } from "../../src/worker/wait.js";

const job = (): NewJob => ({ task: "t", dataJson: "{}", priority: 0, maxRetries: 0, createdAt: Date.now() });

let backend: InMemoryBackend;
afterEach(async () => {
  await backend.close();
});

/** How long `wait` took (ms), and that it left no listener on `signal`. */
async function timed(
  flag: WakeFlag,
  ms: number,
  signal: AbortSignal,
  during?: () => unknown,
): Promise<number> {
  const t0 = performance.now();
  const waiting = flag.wait(ms, signal);
  await during?.();
  await waiting;
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
  return performance.now() - t0;
}

describe("WakeFlag", () => {
  it("a wake-up between arm() and wait() ends the wait at once", async () => {
    backend = new InMemoryBackend();
    const flag = new WakeFlag(backend, "q");
    flag.arm();
    await backend.enqueue("q", [job()]);
    expect(await timed(flag, 10_000, new AbortController().signal)).toBeLessThan(1000);
    flag.close();
  });

  it("ends on a wake-up, on its timeout, or when the signal aborts, whichever comes first", async () => {
    backend = new InMemoryBackend();
    const flag = new WakeFlag(backend, "q");
    const signal = new AbortController().signal;
    flag.arm();
    expect(await timed(flag, 10_000, signal, () => backend.enqueue("q", [job()]))).toBeLessThan(1000);
    flag.arm();
    const slept = await timed(flag, 30, signal);
    expect(slept).toBeGreaterThanOrEqual(25);
    expect(slept).toBeLessThan(1000);
    const ctl = new AbortController();
    flag.arm();
    expect(await timed(flag, 10_000, ctl.signal, () => ctl.abort())).toBeLessThan(1000);
    // An aborted signal, or a wake-up pending from before: no wait at all.
    expect(await timed(flag, 10_000, ctl.signal)).toBeLessThan(1000);
    flag.wake();
    expect(await timed(flag, 10_000, signal)).toBeLessThan(1000);
    flag.arm();
    expect(await timed(flag, 10_000, signal, () => flag.close())).toBeLessThan(1000);
  });

  it("waitSpaced: a wake-up ends the wait no sooner than `earliest`, and no later than its timeout", async () => {
    backend = new InMemoryBackend();
    const flag = new WakeFlag(backend, "q");
    const signal = new AbortController().signal;
    flag.arm();
    let t0 = performance.now();
    setTimeout(() => flag.wake(), 5);
    expect(await flag.waitSpaced(10_000, Date.now() + 150, signal)).toBe(true);
    const spaced = performance.now() - t0;
    expect(spaced).toBeGreaterThanOrEqual(140); // not at the wake-up, 5 ms in
    expect(spaced).toBeLessThan(5000);
    flag.arm();
    t0 = performance.now();
    expect(await flag.waitSpaced(30, Date.now() + 10_000, signal)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(5000); // its timeout, not `earliest`
    flag.arm();
    t0 = performance.now();
    setTimeout(() => flag.wake(), 5);
    expect(await flag.waitSpaced(100, Date.now() + 10_000, signal)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(5000); // woken, but not past its own end
    flag.close();
  });
});
