/**
 * Conformance, leaders: the optional leader leases (one holder per scope at a time, renewal,
 * takeover after expiry, resign). Registered by backend-suite.ts with the shared fixture.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend, LeaderStore } from "../../../src/backends/backend.js";
import { T0, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

function leadersOf(backend: Backend): LeaderStore {
  if (!backend.leaders || !backend.capabilities.leaders) throw new Error("no leader store");
  return backend.leaders;
}

export function leadersTests(fx: SuiteFixture): void {
  describe("leaders", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("a free scope is taken; another holder is refused until it expires; the holder renews it", async () => {
      const scope = uniqueQueue("lead");
      const l = leadersOf(b);
      expect(await l.tryLead([scope], "a", 1000, T0)).toEqual([scope]);
      expect(await l.tryLead([scope], "b", 1000, T0 + 999)).toEqual([]);
      // Renewed at T0 + 500: now held until T0 + 1500.
      expect(await l.tryLead([scope], "a", 1000, T0 + 500)).toEqual([scope]);
      expect(await l.tryLead([scope], "b", 1000, T0 + 1499)).toEqual([]);
      expect(await l.tryLead([scope], "b", 1000, T0 + 1500)).toEqual([scope]);
      // Taken over: the old holder is refused now.
      expect(await l.tryLead([scope], "a", 1000, T0 + 1600)).toEqual([]);
    });

    it("answers per scope: the scopes the holder holds afterwards", async () => {
      const [s1, s2, s3] = [uniqueQueue("lead"), uniqueQueue("lead"), uniqueQueue("lead")];
      const l = leadersOf(b);
      expect(await l.tryLead([s2], "b", 1000, T0)).toEqual([s2]);
      expect((await l.tryLead([s1, s2, s3], "a", 1000, T0)).sort()).toEqual([s1, s3].sort());
      expect((await l.tryLead([s3, s2, s1], "a", 1000, T0 + 1000)).sort()).toEqual([s1, s2, s3].sort());
      expect(await l.tryLead([], "a", 1000, T0)).toEqual([]);
    });

    it("resign frees the holder's scopes at once and leaves others' alone", async () => {
      const [s1, s2] = [uniqueQueue("lead"), uniqueQueue("lead")];
      const l = leadersOf(b);
      await l.tryLead([s1], "a", 60_000, T0);
      await l.tryLead([s2], "b", 60_000, T0);
      await l.resign([s1, s2], "a");
      expect(await l.tryLead([s1, s2], "c", 60_000, T0 + 1)).toEqual([s1]);
      await l.resign([], "c");
    });

    it("one holder wins a race for a free or expired scope (several connections where the engine has them)", async () => {
      const others = b.capabilities.multiProcess
        ? await Promise.all([fx.makeBackend(), fx.makeBackend(), fx.makeBackend()])
        : [];
      try {
        const stores = [b, ...others].map(leadersOf);
        for (const now of [T0, T0 + 10_000]) {
          const scope = uniqueQueue("race");
          if (now > T0) await leadersOf(b).tryLead([scope], "old", 1000, T0);
          const won = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              (stores[i % stores.length] as LeaderStore).tryLead([scope], `h${i}`, 1000, now),
            ),
          );
          expect(won.filter((held) => held.length === 1)).toHaveLength(1);
        }
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    });
  });
}
