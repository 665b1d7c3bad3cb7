import { describe, expect, it } from "vitest";
import { GRID_MS, onGrid } from "../../src/worker/timer.js";

describe("onGrid", () => {
  it("keeps delays shorter than half the grid as they are", () => {
    for (const ms of [0, 1, 20, GRID_MS / 2 - 1]) expect(onGrid(ms, 123_456)).toBe(ms);
  });

  it("moves longer delays onto one grid: near the ask, at least half of it, and shared", () => {
    const ends = new Set<number>();
    for (let now = 1_000_000; now < 1_000_000 + 3 * GRID_MS; now += 37) {
      for (const ms of [GRID_MS / 2, 1667, 5000, 30_000, 86_400_000]) {
        const got = onGrid(ms, now);
        expect(got).toBeGreaterThanOrEqual(ms / 2);
        expect(Math.abs(got - ms)).toBeLessThanOrEqual(ms >= GRID_MS ? GRID_MS / 2 : GRID_MS - ms / 2);
        ends.add((now + got) % GRID_MS);
      }
    }
    // Every end lands on the same point of the grid: timers set at different times fire together.
    expect(ends.size).toBe(1);
  });
});
