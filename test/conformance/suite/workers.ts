/**
 * Conformance, workers: the optional worker registry (heartbeats and listing).
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import { T0, uniqueQueue, workersOf } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function workersTests(fx: SuiteFixture): void {
  describe("workers", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("heartbeatWorker upserts; listWorkers returns those whose heartbeat is within their ttl", async () => {
      const id = uniqueQueue("worker");
      const info = {
        id,
        queues: ["a", "b"],
        host: "h",
        pid: 42,
        concurrency: 3,
        startedAt: T0,
        heartbeatAt: T0,
        active: 0,
      };
      const mine = async (now: number) => (await workersOf(b).list(now)).filter((w) => w.id.startsWith(id));
      await workersOf(b).heartbeat(info, 1000);
      expect(await mine(T0 + 999)).toEqual([info]);
      expect(await mine(T0 + 1000)).toEqual([]);
      await workersOf(b).heartbeat({ ...info, heartbeatAt: T0 + 1500, active: 2 }, 1000);
      expect(await mine(T0 + 2000)).toEqual([{ ...info, heartbeatAt: T0 + 1500, active: 2 }]);
      await workersOf(b).heartbeat({ ...info, id: `${id}-2`, heartbeatAt: T0 + 1500 }, 5000);
      expect((await mine(T0 + 2000)).map((w) => w.id).sort()).toEqual([id, `${id}-2`]);
      await workersOf(b).remove(id);
      expect((await mine(T0 + 2000)).map((w) => w.id)).toEqual([`${id}-2`]);
      expect((await mine(T0 + 6499)).map((w) => w.id)).toEqual([`${id}-2`]);
      expect(await mine(T0 + 6500)).toEqual([]);
    });
  });
}
