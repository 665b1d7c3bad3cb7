import { expect, it } from "vitest";
import { AsyncMQError, isUnrecoverable, UnrecoverableError } from "../../src/errors.js";

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
