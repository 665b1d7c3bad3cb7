import { expect, it } from "vitest";
import { AsyncMQError, isUnrecoverable, UnrecoverableError, ValidationError } from "../../src/errors.js";
import { RateLimitError, rateLimitDelay } from "../../src/rate-limit-error.js";

it("isUnrecoverable knows UnrecoverableError and its subclasses, from any copy of the module", async () => {
  class NoSuchCustomer extends UnrecoverableError {}
  expect(isUnrecoverable(new UnrecoverableError("x"))).toBe(true);
  expect(isUnrecoverable(new NoSuchCustomer("x"))).toBe(true);
  expect(new NoSuchCustomer("x").name).toBe("NoSuchCustomer");
  // A second copy of asyncmq in the process (a global CLI running a project's tasks).
  const copy = (await import("../../src/errors.js?copy" as string)) as typeof import("../../src/errors.js");
  expect(copy.UnrecoverableError).not.toBe(UnrecoverableError);
  expect(isUnrecoverable(new copy.UnrecoverableError("x"))).toBe(true);
  for (const other of [
    new AsyncMQError("x"),
    new Error("x"),
    "x",
    null,
    undefined,
    { name: "UnrecoverableError" },
  ]) {
    expect(isUnrecoverable(other)).toBe(false);
  }
});

it("RateLimitError carries its delay (default 1000 ms, durations parsed) and is known from any copy", async () => {
  expect(new RateLimitError().delay).toBe(1000);
  expect(new RateLimitError("30s").delay).toBe(30_000);
  expect(new RateLimitError(250).message).toBe("rate limited for 250 ms");
  expect(() => new RateLimitError(-1)).toThrow(ValidationError);
  expect(rateLimitDelay(new RateLimitError(5))).toBe(5);
  const copy = (await import(
    "../../src/rate-limit-error.js?copy" as string
  )) as typeof import("../../src/rate-limit-error.js");
  expect(copy.RateLimitError).not.toBe(RateLimitError);
  expect(rateLimitDelay(new copy.RateLimitError(7))).toBe(7);
  for (const other of [new Error("x"), { delay: 5 }, null]) expect(rateLimitDelay(other)).toBe(null);
});
