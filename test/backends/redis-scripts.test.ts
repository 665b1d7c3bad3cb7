/** The `-- @include` resolution of the Redis Lua scripts (no server needed). */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { defineScripts, functionLibrary, withIncludes } from "../../src/backends/redis/scripts.js";
import { BackendError } from "../../src/errors.js";

const pieces = new Map(
  Object.entries({
    a: "-- a\n-- @begin beginA",
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

  it("calls the begin functions of the pieces after them, before the script", () => {
    const text = withIncludes("s.lua", "-- @include b\nreturn 1", pieces);
    const lines = text.split("\n");
    expect(lines.indexOf("beginA()")).toBeGreaterThan(lines.indexOf("-- b"));
    expect(lines.indexOf("beginA()")).toBeLessThan(lines.indexOf("return 1"));
    expect(lines.filter((line) => line === "beginA()")).toHaveLength(1);
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

  it("the function library: every script a function that begins its pieces, each piece once", () => {
    const { name, text, functionOf } = functionLibrary();
    expect(name).toMatch(/^asyncmq_[0-9a-f]{12}$/);
    expect(text.split("\n")[0]).toBe(`#!lua name=${name}`);
    const registered = [...text.matchAll(/redis\.register_function\{function_name = '(\w+)'/g)].map(
      (m) => m[1],
    );
    expect(registered.sort()).toEqual(scripts.map((f) => functionOf(f.slice(0, -".lua".length))).sort());
    const headers = text.split("\n").filter((line) => /^-- [a-z-]+: /.test(line) && !line.includes(".lua"));
    const pieceNames = headers.map((line) => line.slice(3, line.indexOf(":")));
    expect(new Set(pieceNames).size).toBe(pieceNames.length);
    // finish.lua's function: the call's keys, then base's begin before events' and deferred's.
    const finish = text.slice(text.indexOf(`'${functionOf("finish")}'`));
    const body = finish.slice(0, finish.indexOf("-- finish.lua"));
    expect(body).toContain("KEYS, ARGV = keys, args");
    expect(body.indexOf("beginBase()")).toBeGreaterThan(0);
    expect(body.indexOf("beginBase()")).toBeLessThan(body.indexOf("beginEvents()"));
    expect(body).toContain("beginDeferred()");
  });
});
