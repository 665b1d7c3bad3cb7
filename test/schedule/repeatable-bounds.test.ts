/**
 * Repeatable bounds (src/schedule/repeatable-def.ts, schedule.ts): offset, startDate, endDate,
 * limit and immediately, as the scheduler and upsertRepeatable compute them. The backends' part
 * (the run count, atomically) is in the conformance suite (repeatables.ts, runtime-suite.ts).
 */
import { afterAll, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import {
  firstSlot,
  hasEnded,
  latestSlot,
  prepareRepeatable,
  type RepeatableDef,
} from "../../src/schedule/repeatable-def.js";
import { createSchedule, repeatableId } from "../../src/schedule/schedule.js";
import { uniqueQueue } from "../helpers.js";

const T = Date.parse("2030-01-01T10:07:00Z");
const min = 60_000;
const prepare = (def: Partial<RepeatableDef>) => prepareRepeatable({ task: "t", every: "5m", ...def });

describe("offset", () => {
  it("shifts every slot of an every schedule", () => {
    const s = createSchedule({ every: "5m", offset: "1m" });
    expect(s.nextAfter(T) - Date.parse("2030-01-01T10:11:00Z")).toBe(0);
    expect(s.latestAtOrBefore(T)).toBe(Date.parse("2030-01-01T10:06:00Z"));
    expect(s.nextAfter(Date.parse("2030-01-01T10:11:00Z"))).toBe(Date.parse("2030-01-01T10:16:00Z"));
  });

  it("must be under every, and works with every only", () => {
    expect(() => createSchedule({ every: "5m", offset: "5m" })).toThrow(/offset must be less than every/);
    expect(() => createSchedule({ every: "5m", offset: -1 })).toThrow(ValidationError);
    expect(() => createSchedule({ cron: "* * * * *", offset: 10 })).toThrow(/with cron, write the time/);
  });

  it("is part of a derived id only when not 0, so existing ids do not change", () => {
    const plain = repeatableId({ task: "t", every: "5m" });
    expect(repeatableId({ task: "t", every: "5m", offset: 0 })).toBe(plain);
    expect(repeatableId({ task: "t", every: "5m", offset: "1m" })).not.toBe(plain);
  });
});

describe("startDate and endDate", () => {
  it("no slot before startDate; past endDate the definition has ended", () => {
    const p = prepare({ startDate: new Date(T + 20 * min), endDate: "2030-01-01T10:40:00Z" });
    expect(firstSlot(p, T, false)).toBe(Date.parse("2030-01-01T10:30:00Z"));
    expect(latestSlot(p, T)).toBeNull();
    expect(latestSlot(p, T + 60 * min)).toBe(Date.parse("2030-01-01T10:40:00Z")); // not past the end
    expect(hasEnded(p, 0, Date.parse("2030-01-01T10:40:00Z"))).toBe(false);
    expect(hasEnded(p, 0, Date.parse("2030-01-01T10:45:00Z"))).toBe(true);
  });

  it("takes epoch ms, Dates and ISO strings; refuses anything else, and an end before the start", () => {
    expect(prepare({ endDate: T }).endAt).toBe(T);
    for (const bad of ["soon", Number.NaN, new Date("x"), 1e20, {}]) {
      expect(() => prepare({ startDate: bad as never })).toThrow(/startDate must be epoch ms/);
    }
    expect(() => prepare({ startDate: T, endDate: T - 1 })).toThrow(/endDate .* is before startDate/);
  });
});

describe("limit and immediately", () => {
  it("limit: a whole number from 1; ended once that many ran", () => {
    for (const bad of [0, -1, 1.5, "3"]) expect(() => prepare({ limit: bad as never })).toThrow(/limit/);
    const p = prepare({ limit: 2 });
    expect(hasEnded(p, 1, T)).toBe(false);
    expect(hasEnded(p, 2, T)).toBe(true);
  });

  it("immediately: the current slot, only when it never fired, and not before startDate", () => {
    const p = prepare({ immediately: true });
    expect(firstSlot(p, T, false)).toBe(Date.parse("2030-01-01T10:05:00Z"));
    expect(firstSlot(p, T, true)).toBe(Date.parse("2030-01-01T10:10:00Z"));
    const later = prepare({ immediately: true, startDate: T + 20 * min });
    expect(firstSlot(later, T, false)).toBe(Date.parse("2030-01-01T10:30:00Z"));
    expect(() => prepare({ immediately: "yes" as never })).toThrow(/immediately must be true or false/);
  });
});

describe("upsertRepeatable", () => {
  const backend = new InMemoryBackend();
  afterAll(() => backend.close());

  it("refuses a new definition whose endDate leaves no slot, storing nothing", async () => {
    const queue = new Queue(uniqueQueue("ended"), { backend });
    await expect(
      queue.upsertRepeatable({ task: "t", every: "1h", endDate: Date.now() - 1000 }),
    ).rejects.toThrow(/would never fire: its first slot .* is after its endDate/);
    expect(await queue.listRepeatables()).toEqual([]);
  });

  it("lists runs and ended; replacing a definition keeps its runs", async () => {
    const queue = new Queue(uniqueQueue("listed"), { backend });
    const def = { task: "t", every: 1000, limit: 1, id: "once" };
    await queue.upsertRepeatable(def);
    expect(await queue.listRepeatables()).toMatchObject([{ id: "once", runs: 0, ended: false }]);
    const job = { task: "t", dataJson: "null", priority: 5, maxRetries: 0, createdAt: 0 };
    await backend.repeatables?.fire(queue.name, {
      repeatId: "once",
      slot: 1000,
      job,
      nextRun: 2000,
      limit: 1,
    });
    expect(await queue.listRepeatables()).toMatchObject([{ id: "once", runs: 1, ended: true }]);
    await queue.upsertRepeatable({ ...def, data: { v: 2 } });
    expect(await queue.listRepeatables()).toMatchObject([{ runs: 1, ended: true, def: { data: { v: 2 } } }]);
  });
});
