/** The `-- @include` resolution of the Redis Lua scripts (no server needed). */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineScripts, withIncludes } from "../../src/backends/redis/scripts.js";
import { BackendError } from "../../src/errors.js";

const pieces = new Map(
  Object.entries({
    a: "-- a",
    b: "-- b\n-- @include a",
    c: "-- c\n-- @include a\n-- @include b",
    loop: "-- loop\n-- @include loop2",
    loop2: "-- loop2\n-- @include loop",
  }),
);
const scripts = readdirSync(new URL("../../src/backends/redis/lua/", import.meta.url)).filter((f) =>
  f.endsWith(".lua"),
);

describe("Redis scripts: includes", () => {
  it("puts each piece once, after the pieces it includes, then the script", () => {
    const text = withIncludes("s.lua", "-- @include c\n-- @include b\nreturn 1", pieces);
    expect(text.split("\n").filter((line) => /^-- [abc]$/.test(line))).toEqual(["-- a", "-- b", "-- c"]);
    expect(text.trimEnd().endsWith("return 1")).toBe(true);
  });

  it("a missing piece or a cycle is a BackendError naming it", () => {
    expect(() => withIncludes("s.lua", "-- @include nope", pieces)).toThrow(BackendError);
    expect(() => withIncludes("s.lua", "-- @include nope", pieces)).toThrow(/s\.lua includes "nope"/);
    expect(() => withIncludes("s.lua", "-- @include loop", pieces)).toThrow(/cycle: loop -> loop2 -> loop/);
  });

  it("every transition script resolves, each piece once and base first", () => {
    const defined = new Map<string, string>();
    defineScripts({ defineCommand: (name, { lua }) => void defined.set(name, lua) });
    expect(defined.size).toBe(scripts.length);
    for (const [name, lua] of defined) {
      const headers = lua.split("\n").filter((line) => /^-- [a-z]+: /.test(line));
      const names = headers.map((line) => line.slice(3, line.indexOf(":")));
      expect(new Set(names).size, name).toBe(names.length);
      if (names.includes("events")) expect(names.indexOf("base"), name).toBeLessThan(names.indexOf("events"));
    }
  });
});
