/**
 * Delivery (src/backends/delivery.ts): the one place that hands a transition's effects to the
 * process `events` emitter, `subscribe` listeners and `onWake` listeners. The unit under test is the
 * deliverer, not an engine, so a small hand-written notifier stub stands in for the transport
 * (engines are tested for real by the conformance suite).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueueEvent, WakeReason } from "../../src/backends/backend.js";
import { Delivery } from "../../src/backends/delivery.js";
import type { Notifier } from "../../src/backends/engine.js";
import { type EventListener, events, type JobEventName } from "../../src/events.js";
import { type Logger, setLogger } from "../../src/logger.js";

const Q = "q-delivery";
const waiting: QueueEvent = { name: "job:waiting", payload: { queue: Q, jobId: "1", task: "t" } };
const completed: QueueEvent = { name: "job:completed", payload: { queue: Q, jobId: "1", result: 1 } };

/** A notifier stub that records which queues and kinds it listens to, and which it stopped. */
class RecordingNotifier implements Notifier {
  readonly calls: string[] = [];
  listen(queue: string, kind: "wake" | "events"): () => void {
    this.calls.push(`listen ${kind} ${queue}`);
    return () => this.calls.push(`stop ${kind} ${queue}`);
  }
  async close(): Promise<void> {}
}

let delivery: Delivery;
let notifier: RecordingNotifier;
/** Everything every listener saw, in order, tagged with who saw it. */
let seen: string[];
const undo: Array<() => void> = [];

beforeEach(() => {
  delivery = new Delivery();
  notifier = new RecordingNotifier();
  delivery.attach(notifier);
  seen = [];
});
afterEach(() => {
  for (const u of undo.splice(0)) u();
  setLogger(undefined);
});

/** Records the process `events` emitter's `name` events of Q as "events <name>". */
function onEmitter(name: JobEventName): void {
  const listener: EventListener = (p) => {
    if (p.queue === Q) seen.push(`events ${name}`);
  };
  events.on(name, listener);
  undo.push(() => events.off(name, listener));
}

function subscribe(tag: string, queue = Q): () => void {
  return delivery.subscribe(queue, (e) => seen.push(`${tag} ${e.name}`));
}

function onWake(tag: string, queue = Q): () => void {
  return delivery.onWake(queue, (r: WakeReason) => seen.push(`${tag} ${r}`));
}

describe("Delivery of this process's effects", () => {
  it("sends each event to the events emitter then to subscribers, then each wake-up, in order", () => {
    onEmitter("job:waiting");
    onEmitter("job:completed");
    subscribe("sub1");
    subscribe("sub2");
    onWake("wake1");
    onWake("wake2");
    delivery.deliver(Q, { events: [waiting, completed], wakes: ["job", "delayed"] });
    expect(seen).toEqual([
      "events job:waiting",
      "sub1 job:waiting",
      "sub2 job:waiting",
      "events job:completed",
      "sub1 job:completed",
      "sub2 job:completed",
      "wake1 job",
      "wake2 job",
      "wake1 delayed",
      "wake2 delayed",
    ]);
  });

  it("reaches only the listeners of that queue, and nothing for no effects", () => {
    subscribe("other", "q-other");
    onWake("other", "q-other");
    delivery.deliver(Q, { events: [waiting], wakes: ["job"] });
    delivery.deliver("q-other", undefined);
    delivery.deliver("q-other", { events: [], wakes: [] });
    expect(seen).toEqual([]);
  });

  it("wantsEvents is true while the queue has a subscriber or anyone listens to the events emitter", () => {
    expect(delivery.wantsEvents(Q)).toBe(false);
    const stop = subscribe("sub");
    expect(delivery.wantsEvents(Q)).toBe(true);
    expect(delivery.wantsEvents("q-other")).toBe(false);
    stop();
    expect(delivery.wantsEvents(Q)).toBe(false);
    onEmitter("job:failed");
    expect(delivery.wantsEvents("q-other")).toBe(true);
  });
});

describe("Delivery of other processes' effects (received)", () => {
  it("reaches subscribers and wake listeners but not the process events emitter", () => {
    onEmitter("job:waiting");
    subscribe("sub");
    onWake("wake");
    delivery.received(Q, { events: [waiting], wakes: ["resume"] });
    expect(seen).toEqual(["sub job:waiting", "wake resume"]);
  });
});

describe("Delivery and throwing listeners", () => {
  it("logs a throwing listener and still calls the others", () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
    setLogger(logger);
    delivery.subscribe(Q, () => {
      throw new Error("subscriber bug");
    });
    subscribe("sub");
    delivery.onWake(Q, () => {
      throw new Error("wake bug");
    });
    onWake("wake");
    expect(() => delivery.deliver(Q, { events: [waiting], wakes: ["job"] })).not.toThrow();
    expect(() => delivery.received(Q, { events: [completed] })).not.toThrow();
    expect(seen).toEqual(["sub job:waiting", "wake job", "sub job:completed"]);
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toMatch(/listener threw/);
  });
});

describe("Delivery and the notifier", () => {
  it("listens once per queue and kind on the first listener, and stops when the last one leaves", () => {
    const wakeA = onWake("a");
    const wakeB = onWake("b");
    const sub = subscribe("s");
    onWake("other", "q-other");
    expect(notifier.calls).toEqual([`listen wake ${Q}`, `listen events ${Q}`, "listen wake q-other"]);
    wakeA();
    expect(notifier.calls).toHaveLength(3);
    wakeB();
    expect(notifier.calls.at(-1)).toBe(`stop wake ${Q}`);
    wakeB();
    sub();
    expect(notifier.calls.slice(3)).toEqual([`stop wake ${Q}`, `stop events ${Q}`]);
    onWake("again");
    expect(notifier.calls.at(-1)).toBe(`listen wake ${Q}`);
  });

  it("one function registered twice is two registrations, removed one at a time", () => {
    const listener = (r: WakeReason) => seen.push(`same ${r}`);
    const first = delivery.onWake(Q, listener);
    const second = delivery.onWake(Q, listener);
    delivery.deliver(Q, { wakes: ["job"] });
    first();
    delivery.deliver(Q, { wakes: ["delayed"] });
    expect(seen).toEqual(["same job", "same job", "same delayed"]);
    expect(notifier.calls).toEqual([`listen wake ${Q}`]);
    second();
    expect(notifier.calls).toEqual([`listen wake ${Q}`, `stop wake ${Q}`]);
  });

  it("clear drops every listener; their stop functions then do nothing (the notifier is closed by its owner)", () => {
    const stop = onWake("wake");
    subscribe("sub");
    delivery.clear();
    delivery.deliver(Q, { events: [waiting], wakes: ["job"] });
    delivery.received(Q, { events: [waiting], wakes: ["job"] });
    stop();
    expect(seen).toEqual([]);
    expect(notifier.calls).toEqual([`listen wake ${Q}`, `listen events ${Q}`]);
  });
});
