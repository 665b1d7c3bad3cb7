/**
 * The backend conformance suite: one set of tests, written against the `Backend` interface only,
 * that every backend runs (see docs/backend-contract.md, which each test follows bullet by bullet).
 * This file holds the fixture; the tests live in suite/, one file per area of the contract.
 *
 * Rules that let one suite serve every engine: each test uses its own queue name (so a durable
 * backend may be shared across tests), passes `now` explicitly wherever the contract takes it (no
 * sleeping), and waits for events and wake-ups only through `eventually` (a backend may deliver
 * them synchronously or a moment later).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from "vitest";
import type { Backend, Finish } from "../../src/backends/backend.js";
import { type Cleanup, claimOne, T0 } from "./helpers.js";
import { adminTests } from "./suite/admin.js";
import { capabilitiesTests } from "./suite/capabilities.js";
import { claimTests } from "./suite/claim.js";
import { closeTests } from "./suite/close.js";
import { crossQueueRefusedTests, crossQueueTests } from "./suite/cross-queue.js";
import { deduplicationTests } from "./suite/deduplication.js";
import { enqueueTests } from "./suite/enqueue.js";
import { eventsTests } from "./suite/events.js";
import { finishTests } from "./suite/finish.js";
import { ERR, type SuiteFixture } from "./suite/fixture.js";
import { flowsTests } from "./suite/flows.js";
import { globalConcurrencyTests } from "./suite/global-concurrency.js";
import { jobAdminTests } from "./suite/job-admin.js";
import { leadersTests } from "./suite/leaders.js";
import { leasesTests } from "./suite/leases.js";
import { maintenanceTests } from "./suite/maintenance.js";
import { metricsTests } from "./suite/metrics.js";
import { rateLimitsTests } from "./suite/rate-limits.js";
import { repeatablesTests } from "./suite/repeatables.js";
import { retentionTests } from "./suite/retention.js";
import { stallsTests } from "./suite/stalls.js";
import { workersTests } from "./suite/workers.js";

/** How the suite obtains and disposes of backends. */
export interface ConformanceOptions {
  /**
   * Use one backend for the whole suite instead of a fresh one per test (for engines that are
   * costly to open). `makeBackend` must still return a new instance on every call: the close test
   * makes and closes its own.
   */
  shared?: boolean;
  /**
   * Whether jobs may depend on jobs of other queues. Default true. False (Redis Cluster with a hash
   * tag per queue) runs, instead of the cross-queue flow tests, the test that they are refused.
   */
  crossQueueFlows?: boolean;
}

/** The areas of the contract, in the order their tests run. */
const AREAS: ((fx: SuiteFixture) => void)[] = [
  enqueueTests,
  deduplicationTests,
  claimTests,
  globalConcurrencyTests,
  finishTests,
  retentionTests,
  flowsTests,
  crossQueueTests,
  leasesTests,
  maintenanceTests,
  stallsTests,
  repeatablesTests,
  rateLimitsTests,
  adminTests,
  jobAdminTests,
  workersTests,
  leadersTests,
  metricsTests,
  eventsTests,
  closeTests,
  capabilitiesTests,
];

/**
 * Registers the conformance tests for one backend.
 * @param name shown in the test names
 * @param makeBackend returns a new, open backend on each call
 */
export function backendConformance(
  name: string,
  makeBackend: () => Promise<Backend> | Backend,
  options: ConformanceOptions = {},
): void {
  describe(`backend conformance: ${name}`, () => {
    let shared: Backend | undefined;
    let b: Backend;
    const cleanups: Cleanup[] = [];

    beforeAll(async () => {
      if (options.shared) shared = await makeBackend();
    });
    afterAll(async () => {
      await shared?.close();
    });
    beforeEach(async () => {
      b = shared ?? (await makeBackend());
    });
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) cleanup();
      if (!shared) await b.close();
    });

    /** Claims `id`'s job (the only waiting one) and finishes it as `kind`. */
    async function runTo(queue: string, kind: "completed" | "failed", now = T0 + 20): Promise<string> {
      const job = await claimOne(b, queue, { now: now - 5 });
      const item: Finish =
        kind === "completed"
          ? { kind, jobId: job.id, token: job.token, resultJson: '"ok"' }
          : { kind, jobId: job.id, token: job.token, error: ERR };
      expect(await b.finish(queue, [item], now)).toEqual([true]);
      return job.id;
    }

    const fixture: SuiteFixture = { backend: () => b, cleanups, runTo, makeBackend };
    for (const registerArea of AREAS) {
      if (registerArea === crossQueueTests && options.crossQueueFlows === false)
        crossQueueRefusedTests(fixture);
      else registerArea(fixture);
    }
  });
}
