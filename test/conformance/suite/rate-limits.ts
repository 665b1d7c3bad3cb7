/**
 * Conformance, rate limits: the optional token-bucket store (takeRateToken).
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { rateLimitsOf, T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function rateLimitsTests(fx: SuiteFixture): void {
  describe("takeRateToken", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("is a bucket of `rate` tokens that starts full and refills continuously", async () => {
      const q = uniqueQueue("rate");
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(0);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(0);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0)).toBe(500);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 250)).toBe(250);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 500)).toBe(0);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 500)).toBe(500);
      // Refill is capped at `rate`: after a long pause only two tokens are there.
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000)).toBe(0);
      expect(await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000)).toBe(0);
      const wait = await rateLimitsOf(b).take(q, 2, 1000, T0 + 60_000);
      expect(wait).toBe(500);
      // Buckets are per queue.
      expect(await rateLimitsOf(b).take(uniqueQueue("rate-other"), 2, 1000, T0 + 60_000)).toBe(0);
    });

    it("refund gives tokens back as if never taken: refilled to now, then up to `rate`", async () => {
      const store = rateLimitsOf(b);
      const q = uniqueQueue("rate-refund");
      await store.refund(q, 1, 2, 1000, T0); // never used: stays full, two tokens
      expect(await store.take(q, 2, 1000, T0)).toBe(0);
      expect(await store.take(q, 2, 1000, T0)).toBe(0);
      expect(await store.take(q, 2, 1000, T0)).toBe(500);
      await store.refund(q, 1, 2, 1000, T0 + 100); // 0.2 refilled + 1
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(0);
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(400); // 0.2 left: 0.8 to go at 2 per s
      await store.refund(q, 5, 2, 1000, T0 + 100); // capped at the bucket's size
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(0);
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(0);
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(500);
    });

    it("hold puts the next token `ms` away, then the rate resumes; a shorter hold does not shorten it", async () => {
      const store = rateLimitsOf(b);
      const q = uniqueQueue("rate-hold");
      await store.hold(q, 1000, 2, 1000, T0); // never used, full: held all the same
      expect(await store.take(q, 2, 1000, T0)).toBe(1000);
      await store.hold(q, 300, 2, 1000, T0 + 100); // the longer hold stays
      expect(await store.take(q, 2, 1000, T0 + 100)).toBe(900);
      expect(await store.take(q, 2, 1000, T0 + 1000)).toBe(0);
      expect(await store.take(q, 2, 1000, T0 + 1000)).toBe(500); // then 2 per s, from empty
      const other = uniqueQueue("rate-hold-other");
      // Exact binary fractions (4 per 1024 ms): 3 tokens left, a 512 ms hold keeps at most -1.
      expect(await store.take(other, 4, 1024, T0)).toBe(0);
      await store.hold(other, 512, 4, 1024, T0);
      expect(await store.take(other, 4, 1024, T0 + 256)).toBe(256);
      expect(await store.take(other, 4, 1024, T0 + 512)).toBe(0);
    });

    it("rate 0 always returns intervalMs", async () => {
      const q = uniqueQueue("rate-zero");
      expect(await rateLimitsOf(b).take(q, 0, 750, T0)).toBe(750);
      expect(await rateLimitsOf(b).take(q, 0, 750, T0 + 10_000)).toBe(750);
    });
  });
}
