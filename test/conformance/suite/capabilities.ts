/**
 * Conformance, capabilities: each optional store is reported exactly when the backend has it.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../../src/backends/backend.js";
import type { SuiteFixture } from "./fixture.js";

export function capabilitiesTests(fx: SuiteFixture): void {
  describe("capabilities", () => {
    let b: Backend;
    beforeEach(() => {
      b = fx.backend();
    });

    it("report each optional store exactly when the backend has it", () => {
      const c = b.capabilities;
      expect(c.repeatables).toBe(b.repeatables !== undefined);
      expect(c.rateLimits).toBe(b.rateLimits !== undefined);
      expect(c.workers).toBe(b.workers !== undefined);
      expect(c.metrics).toBe(b.metrics !== undefined);
      expect(c.leaders).toBe(b.leaders !== undefined);
      expect(typeof c.reliableWakeups).toBe("boolean");
      expect(typeof c.durable).toBe("boolean");
      expect(typeof c.multiProcess).toBe("boolean");
    });
  });
}
