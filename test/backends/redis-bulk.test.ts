/**
 * Issue 10, item 1: a Redis enqueue larger than one script chunk is all or nothing, even for input
 * that reaches the engine without the producer's validation (a NewJob built by hand) and that a
 * later chunk's script refuses: no chunk writes before every chunk has been checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewJob } from "../../src/backends/backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { JOB_STATES } from "../../src/job.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const prefix = uniquePrefix("bulk");
let b: RedisBackend;
beforeAll(async () => {
  b = new RedisBackend({ url: await redisUrl(), prefix });
});
afterAll(async () => {
  await b.close();
  await dropPrefix(prefix);
});

let counter = 0;
const queueName = (label: string) => `${label}-${++counter}`;

function jobs(n: number, at: number, bad: Partial<NewJob>): NewJob[] {
  return Array.from({ length: n }, (_, i) => ({
    task: "t",
    dataJson: JSON.stringify({ i }),
    priority: 5,
    maxRetries: 0,
    createdAt: Date.now(),
    ...(i === at ? bad : {}),
  }));
}

async function stored(queue: string): Promise<number> {
  const counts = await b.getJobCounts(queue);
  return JOB_STATES.reduce((sum, s) => sum + counts[s], 0);
}

describe("RedisBackend: a chunked enqueue is all or nothing", () => {
  it.each<[string, number, number, Partial<NewJob>]>([
    // A lone surrogate is what Redis's cjson refuses ("invalid unicode escape"); the producer's
    // validation refuses it first, so only a hand-made NewJob can bring it this far.
    ["a lone surrogate in item 2,500 of 3,000 (the second chunk)", 3000, 2499, { task: "bad\ud800" }],
    ["a lone surrogate in the last of 5,001 (the third chunk, alone)", 5001, 5000, { id: "j\ud800" }],
    ["a createdAt that is no number in item 4,001 of 4,500", 4500, 4000, { createdAt: "soon" as never }],
  ])("%s: rejected, nothing stored", async (_what, n, at, bad) => {
    const queue = queueName("bad");
    await expect(b.enqueue(queue, jobs(n, at, bad))).rejects.toThrow(/nothing was stored/);
    expect(await stored(queue)).toBe(0);
    expect(await b.listQueues()).not.toContain(queue);
    // The queue is untouched: a good batch afterwards gets the first generated ids.
    const ok = await b.enqueue(queue, jobs(3000, -1, {}));
    expect(ok.map((r) => r.id).slice(0, 2)).toEqual(["1", "2"]);
    expect(await stored(queue)).toBe(3000);
  });

  it("names the job it could not read", async () => {
    await expect(
      b.enqueue(queueName("which"), jobs(3000, 2499, { createdAt: "x" as never })),
    ).rejects.toThrow(
      /cannot store job 2500 of this batch for queue "which-\d+": its createdAt is not a finite number/,
    );
  });

  it("a batch whose later chunk names a missing parent stores nothing (checked before the first write)", async () => {
    const queue = queueName("parent");
    await expect(b.enqueue(queue, jobs(4500, 4200, { dependsOn: ["nope"] }))).rejects.toThrow(
      /dependsOn: job "nope" does not exist/,
    );
    expect(await stored(queue)).toBe(0);
  });
});

describe("RedisBackend: a batch mixing plain jobs with others", () => {
  it("keeps the batch's order, ids and index entries whatever path each job takes", async () => {
    const queue = queueName("mixed");
    const batch = jobs(8, -1, {});
    // Jobs 3, 6 and 8 take the general path (a dedup key, a parent); the others are batched.
    batch[0] = { ...(batch[0] as NewJob), id: "p" };
    batch[2] = { ...(batch[2] as NewJob), dedup: { key: "k" } };
    batch[5] = { ...(batch[5] as NewJob), dependsOn: ["p"] };
    batch[6] = { ...(batch[6] as NewJob), id: "custom" };
    batch[7] = { ...(batch[7] as NewJob), dedup: { key: "k" } };
    const results = await b.enqueue(queue, batch);
    expect(results.map((r) => [r.id, r.state, r.duplicate])).toEqual([
      ["p", "waiting", false],
      ["1", "waiting", false],
      ["2", "waiting", false],
      ["3", "waiting", false],
      ["4", "waiting", false],
      ["5", "waiting-children", false],
      ["custom", "waiting", false],
      ["2", "waiting", true],
    ]);
    // The counters went on from where the batch left them.
    const [next] = await b.enqueue(queue, jobs(1, -1, {}));
    expect(next?.id).toBe("6");
    const counts = await b.getJobCounts(queue);
    expect([counts.waiting, counts["waiting-children"]]).toEqual([7, 1]);
    // Claimed in the order they were added (equal priorities are FIFO).
    const claimed = await b.claim(queue, { workerId: "w", limit: 10, leaseMs: 60_000, now: Date.now() });
    expect(claimed.map((j) => j.id)).toEqual(["p", "1", "2", "3", "4", "custom", "6"]);
  });
});
