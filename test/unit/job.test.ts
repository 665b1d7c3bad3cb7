import { describe, expect, it } from "vitest";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import {
  backoffDelay,
  checkInt,
  checkJobId,
  checkJobRef,
  checkName,
  checkPriority,
  encodeJson,
  isBackoffPolicy,
  MAX_DURATION_MS,
  MAX_NAME_BYTES,
  MAX_PAYLOAD_DEPTH,
  normalizeBackoff,
  storableText,
  toMs,
} from "../../src/job.js";

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
  it("checks a scalar or a flat object (the common payload) as strictly as a nested one", () => {
    expect(() => encodeJson({ a: 1, n: Number.POSITIVE_INFINITY }, "data", null)).toThrow(
      /data\.n must be JSON-serialisable, but it holds the number Infinity/,
    );
    expect(() => encodeJson("x\ud800", "data", null)).toThrow(/data must not contain a lone surrogate/);
    expect(() => encodeJson(10n, "data", null)).toThrow(/BigInt/);
    expect(encodeJson({ a: undefined, b: true, c: null, d: "é" }, "data", null)).toBe(
      '{"b":true,"c":null,"d":"é"}',
    );
    expect(encodeJson(undefined, "data", null)).toBe("null");
    expect(encodeJson(Object.assign(Object.create(null), { a: 1 }), "data", null)).toBe('{"a":1}');
    expect(encodeJson(new Date(0), "data", null)).toBe('"1970-01-01T00:00:00.000Z"');
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

/** `value` nested `depth` levels deep in arrays ([[...[value]...]]), built without recursion. */
function nested(depth: number, value: unknown = 1): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = [out];
  return out;
}

// Issue 10 items 6-8: what every engine stores exactly, decided here once.
describe("input rules every engine accepts", () => {
  it("rounds fractional milliseconds to the nearest integer, numbers and strings alike", () => {
    expect(toMs(123.4)).toBe(123);
    expect(toMs(1.5)).toBe(2);
    expect(toMs(0.4)).toBe(0);
    expect(Object.is(toMs(-0), 0)).toBe(true);
    expect(toMs("1.0004s")).toBe(1000);
  });
  it("bounds every duration by MAX_DURATION_MS (100 years), refusing more with a ValidationError", () => {
    expect(MAX_DURATION_MS).toBe(36_525 * 86_400_000);
    expect(toMs(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(toMs("36525d")).toBe(MAX_DURATION_MS);
    for (const bad of [MAX_DURATION_MS + 1, 1e300, "36526d", `${"9".repeat(400)}d`]) {
      expect(() => toMs(bad, "ttl")).toThrow(ValidationError);
      expect(() => toMs(bad, "ttl")).toThrow(/ttl must be at most 3155760000000 ms \(100 years\)/);
    }
  });
  it("keeps integers in the ranges the engines store: priority 32-bit, counts safe integers", () => {
    expect(checkPriority(2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(checkPriority(-(2 ** 31))).toBe(-(2 ** 31));
    expect(() => checkPriority(2 ** 31)).toThrow(
      /priority must be an integer from -2147483648 to 2147483647/,
    );
    expect(() => checkPriority(-(2 ** 31) - 1)).toThrow(ValidationError);
    expect(Object.is(checkPriority(-0), 0)).toBe(true);
    expect(() => checkInt(1e300, "limit")).toThrow(/limit must be at most 9007199254740991/);
    expect(() => checkInt(2 ** 31, "retries", 0, 2 ** 31 - 2)).toThrow(/retries must be at most 2147483646/);
  });
  it("refuses NUL, lone surrogates and names over MAX_NAME_BYTES UTF-8 bytes", () => {
    expect(MAX_NAME_BYTES).toBe(512);
    for (const check of [
      (v: string) => checkName(v, "queue name"),
      checkJobId,
      (v: string) => checkJobRef(v, "id"),
    ]) {
      expect(() => check("a\u0000b")).toThrow(/NUL/);
      expect(() => check("a\ud800")).toThrow(/lone surrogate/);
      expect(() => check("\udc00b")).toThrow(/lone surrogate/);
      expect(() => check("x".repeat(513))).toThrow(/at most 512 bytes in UTF-8, got 513/);
      expect(() => check("é".repeat(257))).toThrow(/got 514/);
      expect(check("é".repeat(256))).toBe("é".repeat(256));
      expect(check("job-\ud83d\ude00")).toBe("job-\ud83d\ude00"); // a surrogate pair is one emoji
    }
    expect(checkJobRef("42", "dependsOn id")).toBe("42"); // generated ids are looked up too
  });
  it("refuses lone surrogates in payload strings and keys, naming where", () => {
    expect(() => encodeJson({ a: ["ok", "x\ud800"] }, "data", null)).toThrow(ValidationError);
    expect(() => encodeJson({ a: ["ok", "x\ud800"] }, "data", null)).toThrow(/data\.a\[1\].*lone surrogate/);
    expect(() => encodeJson({ "k\udfff": 1 }, "data", null)).toThrow(
      /data: the key "k\\udfff".*lone surrogate/,
    );
    expect(encodeJson({ s: "\ud83d\ude00" }, "data", null)).toBe('{"s":"\ud83d\ude00"}');
  });
  it(`limits payload nesting to MAX_PAYLOAD_DEPTH (${MAX_PAYLOAD_DEPTH}) levels, checked without recursion`, () => {
    expect(MAX_PAYLOAD_DEPTH).toBe(1000);
    expect(encodeJson(nested(MAX_PAYLOAD_DEPTH), "data", null)).toHaveLength(2 * MAX_PAYLOAD_DEPTH + 1);
    expect(encodeJson({ a: nested(MAX_PAYLOAD_DEPTH - 1) }, "data", null)).toMatch(/^\{"a":\[\[/);
    for (const depth of [MAX_PAYLOAD_DEPTH + 1, 5000, 200_000]) {
      expect(() => encodeJson(nested(depth), "data", null)).toThrow(ValidationError);
      expect(() => encodeJson(nested(depth), "data", null)).toThrow(/nested more than 1000 levels deep/);
    }
  });
  it("stores free text (log lines) with U+FFFD for each NUL and lone surrogate, never refusing it", () => {
    expect(storableText("a\u0000b\ud800c\udc00\ud83d\ude00")).toBe("a\ufffdb\ufffdc\ufffd\ud83d\ude00");
    expect(storableText("plain")).toBe("plain");
  });
  it("stores a backoff jitter of -0 as 0, as every engine reads it back", () => {
    const spec = normalizeBackoff({ type: "fixed", delay: 1, jitter: -0 });
    expect(typeof spec === "object" && isBackoffPolicy(spec) && Object.is(spec.jitter, 0)).toBe(true);
  });
  it("caps a computed backoff at MAX_DURATION_MS instead of overflowing to Infinity", () => {
    const spec = { type: "exponential" as const, delay: 1000 };
    expect(backoffDelay(spec, 2000)).toBe(MAX_DURATION_MS);
    expect(backoffDelay(spec, 2 ** 31)).toBe(MAX_DURATION_MS);
  });
});
