/**
 * The live hub: it holds backend subscriptions only while pages listen, coalesces a burst of events
 * into one count push per queue, sends a watched job's events to its page, and ends every stream
 * on close().
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { LiveHub } from "../../src/dashboard/live.js";
import { Queue } from "../../src/queue.js";
import { uniqueQueue, until } from "../helpers.js";
import { nextEvent } from "./helpers.js";

/** The real backend, counting the subscriptions it holds for the hub. */
function counted(backend: Backend): { backend: Backend; live: () => number } {
  let live = 0;
  const wrapped = new Proxy(backend, {
    get(target, key, receiver) {
      if (key !== "subscribe") return Reflect.get(target, key, receiver);
      return (queue: string, listener: Parameters<Backend["subscribe"]>[1]) => {
        const off = target.subscribe(queue, listener);
        live++;
        return () => {
          live--;
          off();
        };
      };
    },
  });
  return { backend: wrapped, live: () => live };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function open(hub: LiveHub, filter: { queue?: string; job?: string } = {}) {
  const reader = (hub.stream(filter).body as ReadableStream<Uint8Array>).getReader();
  return { reader, buffer: { text: "" } };
}

describe("LiveHub", () => {
  it("subscribes to every queue while a page listens, and to none once it left", async () => {
    const memory = new InMemoryBackend();
    const { backend, live } = counted(memory);
    const names = [uniqueQueue("live"), uniqueQueue("live")];
    for (const n of names) await new Queue(n, { backend: memory }).add("t", {});
    const hub = new LiveHub(backend);
    cleanups.push(
      () => hub.close(),
      () => memory.close(),
    );

    expect(live()).toBe(0);
    const page = open(hub);
    await until(() => live() === 2, 2000, "two subscriptions");
    expect(hub.clients).toBe(1);
    await page.reader.cancel();
    expect(hub.clients).toBe(0);
    expect(live()).toBe(0);
  });

  it("coalesces a burst of events into one push of fresh counts per queue", async () => {
    const memory = new InMemoryBackend();
    const name = uniqueQueue("burst");
    const q = new Queue(name, { backend: memory });
    await q.add("t", {});
    const hub = new LiveHub(memory, { coalesceMs: 50 });
    cleanups.push(
      () => hub.close(),
      () => memory.close(),
    );
    const page = open(hub, { queue: name });
    const counts = (e: string, d: unknown) => e === "counts" && (d as { queue: string }).queue === name;
    await nextEvent(page.reader, page.buffer, counts);

    await q.addBulk(Array.from({ length: 50 }, () => ({ task: "t" })));
    for (let i = 0; i < 20; i++) await q.add("t", {});
    // 70 events; the pushes until the final count are a handful (one per coalescing window).
    let pushes = 0;
    await nextEvent(page.reader, page.buffer, (e, d) => {
      if (!counts(e, d)) return false;
      pushes++;
      return (d as { counts: { waiting: number } }).counts.waiting === 71;
    });
    expect(pushes).toBeLessThanOrEqual(3);
    // Nothing more once the burst is over.
    await expect(nextEvent(page.reader, page.buffer, counts, 200)).rejects.toThrow(/no matching/);
  });

  it("rests a queue's subscription from its first event until the re-count, and misses no change", async () => {
    const memory = new InMemoryBackend();
    const { backend, live } = counted(memory);
    const name = uniqueQueue("rest");
    const q = new Queue(name, { backend: memory });
    await q.add("t", {});
    const hub = new LiveHub(backend, { coalesceMs: 60 });
    cleanups.push(
      () => hub.close(),
      () => memory.close(),
    );
    const page = open(hub, { queue: name });
    const counts = (e: string, d: unknown) => e === "counts" && (d as { queue: string }).queue === name;
    await nextEvent(page.reader, page.buffer, counts);
    expect(live()).toBe(1);
    await q.add("t", {});
    // The first event released the subscription: writers stop building events for this queue.
    expect(live()).toBe(0);
    // Changes while it rests are not delivered as events, but the re-count includes them.
    await q.addBulk([{ task: "t" }, { task: "t" }]);
    await nextEvent(page.reader, page.buffer, (e, d) => {
      return counts(e, d) && (d as { counts: { waiting: number } }).counts.waiting === 4;
    });
    await until(() => live() === 1, 2000, "subscribed again after the re-count");
  });

  it("a backend closed under a resting subscription costs a log line, not an unhandled rejection", async () => {
    const memory = new InMemoryBackend();
    const name = uniqueQueue("closed");
    const q = new Queue(name, { backend: memory });
    await q.add("t", {});
    const hub = new LiveHub(memory, { coalesceMs: 30 });
    cleanups.push(() => hub.close());
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on("unhandledRejection", onRejection);
    cleanups.push(() => void process.off("unhandledRejection", onRejection));
    const page = open(hub, { queue: name });
    await nextEvent(page.reader, page.buffer, (e) => e === "counts");
    await q.add("t", {}); // rests the subscription until the re-count
    await memory.close(); // the re-count's resubscription now throws
    await new Promise((r) => setTimeout(r, 150));
    expect(rejections).toEqual([]);
  });

  it("sends a watched job's events to its page only", async () => {
    const memory = new InMemoryBackend();
    const name = uniqueQueue("job");
    const q = new Queue(name, { backend: memory });
    const id = await q.add("t", {}, { delay: "1h" });
    const other = await q.add("t", {}, { delay: "1h" });
    const hub = new LiveHub(memory, { coalesceMs: 20 });
    cleanups.push(
      () => hub.close(),
      () => memory.close(),
    );
    const page = open(hub, { queue: name, job: id });
    await nextEvent(page.reader, page.buffer, (e) => e === "counts");
    // First where the job is now, so a page rendered before the subscription misses nothing.
    expect(await nextEvent(page.reader, page.buffer, (e) => e === "job")).toEqual({
      queue: name,
      id,
      event: "snapshot",
      state: "delayed",
    });
    await q.promoteJob(other);
    await q.promoteJob(id);
    // The page learns that its job is waiting: from the event, or (when the first promotion rested
    // the subscription) from the state sent after the re-count. The other job never reaches it.
    const event = (await nextEvent(page.reader, page.buffer, (e, d) => {
      if (e !== "job") return false;
      const m = d as { id: string; event: string; state?: string };
      expect(m.id).toBe(id);
      return m.event === "job:waiting" || m.state === "waiting";
    })) as { id: string };
    expect(event.id).toBe(id);
  });

  it("tells overview pages when a queue appears, and subscribes to it", async () => {
    const memory = new InMemoryBackend();
    const { backend, live } = counted(memory);
    const hub = new LiveHub(backend, { refreshMs: 30, coalesceMs: 20 });
    cleanups.push(
      () => hub.close(),
      () => memory.close(),
    );
    const page = open(hub);
    const name = uniqueQueue("new");
    await new Promise((r) => setTimeout(r, 60)); // a refresh that sees no queue
    const q = new Queue(name, { backend: memory });
    await q.add("t", {});
    expect(await nextEvent(page.reader, page.buffer, (e) => e === "queues")).toEqual([name]);
    expect(live()).toBe(1);
    await q.add("t", {});
    const counts = (await nextEvent(page.reader, page.buffer, (e) => e === "counts")) as {
      counts: { waiting: number };
    };
    expect(counts.counts.waiting).toBe(2);
  });

  it("ends every stream and drops every subscription on close(), and refuses new ones", async () => {
    const memory = new InMemoryBackend();
    const { backend, live } = counted(memory);
    const name = uniqueQueue("close");
    await new Queue(name, { backend: memory }).add("t", {});
    const hub = new LiveHub(backend);
    cleanups.push(() => memory.close());
    const page = open(hub);
    await until(() => live() === 1, 2000, "a subscription");
    hub.close();
    expect(live()).toBe(0);
    for (;;) {
      const chunk = await page.reader.read();
      if (chunk.done) break;
    }
    expect(hub.stream({}).status).toBe(503);
  });
});
