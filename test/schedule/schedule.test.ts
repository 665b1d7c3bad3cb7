import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/errors.js";
import { createSchedule, MIN_EVERY_MS, repeatableId } from "../../src/schedule/schedule.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe("createSchedule: every", () => {
  it("uses slots aligned to epoch multiples of the interval", () => {
    const s = createSchedule({ every: 1000 });
    expect(s.nextAfter(0)).toBe(1000);
    expect(s.nextAfter(999)).toBe(1000);
    expect(s.nextAfter(1000)).toBe(2000); // strictly after
    expect(s.nextAfter(1000.5)).toBe(2000);
    expect(s.latestAtOrBefore(1000)).toBe(1000); // at or before
    expect(s.latestAtOrBefore(1999)).toBe(1000);
    expect(s.describe()).toBe("every 1000ms");
  });

  it("gives every process the same slots, whenever it starts", () => {
    const a = createSchedule({ every: "5m" });
    const b = createSchedule({ every: 300_000 });
    const t = at("2024-05-01T10:07:13.123Z");
    expect(iso(a.nextAfter(t))).toBe("2024-05-01T10:10:00.000Z");
    expect(b.nextAfter(t + 1234)).toBe(a.nextAfter(t));
    expect(iso(a.latestAtOrBefore(t))).toBe("2024-05-01T10:05:00.000Z");
  });

  it("accepts tz but ignores it", () => {
    const s = createSchedule({ every: "1h", tz: "Asia/Kolkata" });
    expect(iso(s.nextAfter(at("2024-01-01T00:10:00Z")))).toBe("2024-01-01T01:00:00.000Z");
  });

  it("rejects intervals below the minimum and bad durations; rounds fractional ms, as every duration", () => {
    for (const every of [0, MIN_EVERY_MS - 1, -1000, MIN_EVERY_MS - 0.6, "5 parsecs", "", Number.NaN]) {
      expect(() => createSchedule({ every })).toThrow(ValidationError);
    }
    expect(createSchedule({ every: MIN_EVERY_MS }).nextAfter(0)).toBe(MIN_EVERY_MS);
    expect(createSchedule({ every: 1000.4 }).nextAfter(0)).toBe(1000);
  });
});

describe("createSchedule: cron", () => {
  it("defaults to UTC", () => {
    const s = createSchedule({ cron: "0 9 * * *" });
    expect(iso(s.nextAfter(at("2024-01-15T00:00:00Z")))).toBe("2024-01-15T09:00:00.000Z");
    expect(s.describe()).toBe('cron "0 9 * * *" (UTC)');
  });

  it("honours tz across daylight saving time", () => {
    const s = createSchedule({ cron: "0 9 * * *", tz: "America/New_York" });
    // EST (UTC-5) in winter, EDT (UTC-4) in summer.
    expect(iso(s.nextAfter(at("2024-01-15T00:00:00Z")))).toBe("2024-01-15T14:00:00.000Z");
    expect(iso(s.nextAfter(at("2024-07-15T00:00:00Z")))).toBe("2024-07-15T13:00:00.000Z");
    // Across the spring-forward night (2024-03-10).
    expect(iso(s.nextAfter(at("2024-03-09T14:00:00Z")))).toBe("2024-03-10T13:00:00.000Z");
    expect(iso(s.latestAtOrBefore(at("2024-07-15T12:59:59Z")))).toBe("2024-07-14T13:00:00.000Z");
    expect(s.describe()).toContain("America/New_York");
  });

  it("nextAfter is strict, latestAtOrBefore is inclusive", () => {
    const s = createSchedule({ cron: "*/15 * * * *" });
    const slot = at("2024-02-01T10:15:00Z");
    expect(s.nextAfter(slot)).toBe(at("2024-02-01T10:30:00Z"));
    expect(s.nextAfter(slot - 1)).toBe(slot);
    expect(s.latestAtOrBefore(slot)).toBe(slot);
    expect(s.latestAtOrBefore(slot - 1)).toBe(at("2024-02-01T10:00:00Z"));
    expect(s.latestAtOrBefore(slot + 999)).toBe(slot);
  });

  it("supports seconds (6 fields) and nicknames", () => {
    const s = createSchedule({ cron: "*/10 * * * * *" });
    expect(s.nextAfter(at("2024-02-01T10:00:05.500Z"))).toBe(at("2024-02-01T10:00:10Z"));
    const d = createSchedule({ cron: "@daily", tz: "Europe/Berlin" });
    expect(iso(d.nextAfter(at("2024-06-01T12:00:00Z")))).toBe("2024-06-01T22:00:00.000Z");
  });

  it("catches up over long downtime for sparse schedules", () => {
    const leap = createSchedule({ cron: "0 0 29 2 *" });
    expect(iso(leap.latestAtOrBefore(at("2027-06-01T00:00:00Z")))).toBe("2024-02-29T00:00:00.000Z");
    expect(iso(leap.nextAfter(at("2024-03-01T00:00:00Z")))).toBe("2028-02-29T00:00:00.000Z");
  });

  it("reports no slot for a cron that never fires in the range", () => {
    const once = createSchedule({ cron: "0 0 0 1 1 * 2030" });
    expect(once.latestAtOrBefore(at("2029-12-31T00:00:00Z"))).toBeNull();
    expect(iso(once.nextAfter(at("2025-01-01T00:00:00Z")))).toBe("2030-01-01T00:00:00.000Z");
    expect(once.nextAfter(at("2030-01-01T00:00:00Z"))).toBe(Number.POSITIVE_INFINITY);
  });

  it("rejects bad cron expressions with a ValidationError naming the expression", () => {
    for (const cron of ["bogus", "61 * * * *", "* * * *", "", "* * * * * * * *", "0 25 * * *", "@reboot"]) {
      expect(() => createSchedule({ cron })).toThrow(ValidationError);
    }
    expect(() => createSchedule({ cron: "61 * * * *" })).toThrow(
      /"61 \* \* \* \*".*e\.g\.|like "0 9 \* \* 1-5"/,
    );
    expect(() => createSchedule({ cron: 5 as unknown as string })).toThrow(ValidationError);
  });

  it("rejects unknown time zones with a ValidationError naming the zone", () => {
    expect(() => createSchedule({ cron: "0 9 * * *", tz: "Mars/Olympus" })).toThrow(ValidationError);
    expect(() => createSchedule({ cron: "0 9 * * *", tz: "Mars/Olympus" })).toThrow(/Mars\/Olympus.*IANA/);
    expect(() => createSchedule({ every: 1000, tz: "Nowhere" })).toThrow(ValidationError);
    expect(() => createSchedule({ cron: "0 9 * * *", tz: "" })).toThrow(ValidationError);
  });
});

describe("createSchedule: definition", () => {
  it("needs exactly one of every / cron", () => {
    expect(() => createSchedule({})).toThrow(ValidationError);
    expect(() => createSchedule({ every: 1000, cron: "* * * * *" })).toThrow(ValidationError);
    expect(() => createSchedule({})).toThrow(/exactly one of "every".*"cron"/);
    expect(() => createSchedule(null as unknown as object)).toThrow(ValidationError);
  });
});

describe("repeatableId", () => {
  it("is stable, readable and free of ':'", () => {
    const id = repeatableId({ task: "send-report", data: { a: 1 }, cron: "0 9 * * *" });
    expect(id).toMatch(/^send-report-[0-9a-f]{16}$/);
    expect(id).not.toContain(":");
    expect(repeatableId({ task: "send-report", data: { a: 1 }, cron: "0 9 * * *" })).toBe(id);
  });

  it("ignores key order, duration spelling and cron spacing", () => {
    const a = repeatableId({ task: "t", data: { x: 1, y: { b: 2, a: [1, { d: 1, c: 2 }] } }, every: "5s" });
    const b = repeatableId({ task: "t", data: { y: { a: [1, { c: 2, d: 1 }], b: 2 }, x: 1 }, every: 5000 });
    expect(a).toBe(b);
    expect(repeatableId({ task: "t", cron: " 0  9 * * * " })).toBe(
      repeatableId({ task: "t", cron: "0 9 * * *" }),
    );
    expect(repeatableId({ task: "t", cron: "0 9 * * *" })).toBe(
      repeatableId({ task: "t", cron: "0 9 * * *", tz: "UTC" }),
    );
    // tz does not change an `every` schedule, so it does not change its id either.
    expect(repeatableId({ task: "t", every: 1000, tz: "Europe/Paris" })).toBe(
      repeatableId({ task: "t", every: 1000 }),
    );
  });

  it("differs when the task, data or schedule differs", () => {
    const ids = new Set([
      repeatableId({ task: "t", every: 1000 }),
      repeatableId({ task: "u", every: 1000 }),
      repeatableId({ task: "t", every: 2000 }),
      repeatableId({ task: "t", data: { a: 1 }, every: 1000 }),
      repeatableId({ task: "t", data: { a: 2 }, every: 1000 }),
      repeatableId({ task: "t", data: [1, 2], every: 1000 }),
      repeatableId({ task: "t", data: [2, 1], every: 1000 }),
      repeatableId({ task: "t", cron: "0 9 * * *" }),
      repeatableId({ task: "t", cron: "0 9 * * *", tz: "America/New_York" }),
    ]);
    expect(ids.size).toBe(9);
  });

  it("rejects invalid definitions", () => {
    expect(() => repeatableId({ task: "a:b", every: 1000 })).toThrow(ValidationError);
    expect(() => repeatableId({ task: "", every: 1000 })).toThrow(ValidationError);
    expect(() => repeatableId({ task: "t" })).toThrow(ValidationError);
    expect(() => repeatableId({ task: "t", cron: "nope" })).toThrow(ValidationError);
    expect(() => repeatableId({ task: "t", every: 1000, data: { f: () => 1 } })).toThrow(ValidationError);
  });
});
