import { events, type JobEventName, type JobEventPayload } from "../src/events.js";

let counter = 0;
/** A queue name no other test uses. */
export function uniqueQueue(prefix = "q"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Resolves with the payloads once `count` events `name` of `queue` were emitted; rejects after `ms`. */
export function nextEvents(
  name: JobEventName,
  queue: string,
  count = 1,
  ms = 5000,
): Promise<JobEventPayload[]> {
  return new Promise((resolve, reject) => {
    const seen: JobEventPayload[] = [];
    const timer = setTimeout(() => {
      events.off(name, listener);
      reject(
        new Error(`timed out after ${ms} ms waiting for ${count} x ${name} on ${queue} (saw ${seen.length})`),
      );
    }, ms);
    const listener = (p: JobEventPayload) => {
      if (p.queue !== queue) return;
      seen.push(p);
      if (seen.length >= count) {
        clearTimeout(timer);
        events.off(name, listener);
        resolve(seen);
      }
    };
    events.on(name, listener);
  });
}

/** Polls `check` every few ms until it returns truthy; rejects after `ms`. */
export async function until<T>(
  check: () => T | Promise<T>,
  ms = 5000,
  what: string | (() => string) = "condition",
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise with its resolve function, for handlers the test releases. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** A view of `target` with `overrides` in place of its own members; every other member is its own, bound to it. */
export function withMembers<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof T];
      const value = Reflect.get(t, prop, receiver);
      return typeof value === "function" ? value.bind(t) : value;
    },
  });
}
