import { describe, expect, it } from "vitest";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import { backoffDelay, checkJobId, encodeJson, normalizeBackoff, toMs } from "../../src/job.js";

describe("durations", () => {
  it("parses numbers and unit strings", () => {
    expect(toMs(250)).toBe(250);
    expect(toMs("250ms")).toBe(250);
    expect(toMs("5s")).toBe(5000);
    expect(toMs("2m")).toBe(120_000);
    expect(toMs("1h")).toBe(3_600_000);
    expect(toMs("1d")).toBe(86_400_000);
    expect(toMs("1.5s")).toBe(1500);
  });
  it.each([["5 seconds"], ["-1s"], ["abc"], [""], [-5], [Number.NaN], [Number.POSITIVE_INFINITY], ["5x"]])(
    "rejects %s with a ValidationError that names the option",
    (bad) => {
      expect(() => toMs(bad as never, "delay")).toThrow(ValidationError);
      expect(() => toMs(bad as never, "delay")).toThrow(/delay/);
    },
  );
});

describe("payloads", () => {
  it.each([
    ["a function", { f: () => 1 }, /function/],
    ["a symbol", { s: Symbol("x") }, /symbol/],
    ["a BigInt", { n: 10n }, /BigInt/],
    ["NaN", { n: Number.NaN }, /NaN/],
    ["a class instance", { m: new Map() }, /Map/],
  ])("rejects %s", (_what, value, message) => {
    expect(() => encodeJson(value, "data", null)).toThrow(ValidationError);
    expect(() => encodeJson(value, "data", null)).toThrow(message);
  });
  it("rejects cycles but accepts shared references", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => encodeJson(a, "data", null)).toThrow(/circular/);
    const shared = { x: 1 };
    expect(encodeJson({ a: shared, b: shared }, "data", null)).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
  it("enforces the size limit in UTF-8 bytes", () => {
    expect(() => encodeJson("é".repeat(600), "data", 1000)).toThrow(PayloadTooLargeError);
    expect(encodeJson("e".repeat(900), "data", 1000)).toHaveLength(902);
    expect(encodeJson("e".repeat(5000), "data", null)).toHaveLength(5002);
  });
});

describe("job ids", () => {
  it("accepts ids with a prefix and rejects empty, all-digit and colon ids", () => {
    expect(checkJobId("order-42")).toBe("order-42");
    expect(() => checkJobId("")).toThrow(ValidationError);
    expect(() => checkJobId("42")).toThrow(/digits/);
    expect(() => checkJobId("a:b")).toThrow(/":"/);
  });
});

describe("backoff", () => {
  it("fixed and exponential with cap", () => {
    expect(backoffDelay(300, 3)).toBe(300);
    expect(backoffDelay({ type: "fixed", delay: "1s" }, 4)).toBe(1000);
    const exp = { type: "exponential" as const, delay: 100, maxDelay: 500 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(exp, n))).toEqual([100, 200, 400, 500, 500]);
  });
  it("jitter only lowers a delay, between delay x (1 - jitter) and delay", () => {
    const spec = { type: "fixed" as const, delay: 1000, jitter: 0.2 };
    expect(backoffDelay(spec, 1, () => 0)).toBe(1000);
    expect(backoffDelay(spec, 1, () => 0.5)).toBe(900);
    expect(backoffDelay(spec, 1, () => 1)).toBe(800);
    expect(backoffDelay(undefined, 2, () => 0.5)).toBe(1900); // default: exponential from 1s, 10% jitter
  });
  it("maxDelay stays a cap with jitter", () => {
    const spec = { type: "exponential" as const, delay: 100, maxDelay: 500, jitter: 0.5 };
    for (const r of [0, 0.3, 0.999]) {
      for (let attempt = 1; attempt <= 12; attempt++) {
        expect(backoffDelay(spec, attempt, () => r)).toBeLessThanOrEqual(500);
      }
    }
    expect(backoffDelay(spec, 10, () => 1)).toBe(250); // capped at 500, then lowered by up to half
  });
  it("validates specs", () => {
    expect(() => normalizeBackoff({ type: "linear", delay: 1 } as never)).toThrow(ValidationError);
    expect(() => normalizeBackoff({ type: "fixed", delay: 1, jitter: 2 })).toThrow(/jitter/);
    expect(normalizeBackoff({ type: "exponential", delay: "2s", maxDelay: "1m" })).toEqual({
      type: "exponential",
      delay: 2000,
      maxDelay: 60_000,
    });
  });
});
