/**
 * Conformance, close: idempotent, and a closed backend refuses every call.
 * Registered by backend-suite.ts with the shared fixture; see docs/backend-contract.md.
 */
import { describe, expect, it } from "vitest";
import { BackendError } from "../../../src/errors.js";
import { claimOpts, newJob, uniqueQueue } from "../helpers.js";
import type { SuiteFixture } from "./fixture.js";

export function closeTests(fx: SuiteFixture): void {
  const { makeBackend } = fx;
  describe("close", () => {
    it("is idempotent, and afterwards methods reject with BackendError", async () => {
      const own = await makeBackend();
      const q = uniqueQueue("close");
      await own.enqueue(q, [newJob()]);
      await own.close();
      await own.close();
      await expect(own.getJobCounts(q)).rejects.toBeInstanceOf(BackendError);
      await expect(own.enqueue(q, [newJob()])).rejects.toThrow(/closed/);
      await expect(own.claim(q, claimOpts())).rejects.toBeInstanceOf(BackendError);
    });
  });
}
