/**
 * The PostgreSQL array literals the bulk insert builds itself (src/backends/postgres/array-literal.ts).
 */
import { describe, expect, it } from "vitest";
import { arrayLiteral, columnLiteral, repeatedLiteral } from "../../src/backends/postgres/array-literal.js";

describe("PostgreSQL array literals", () => {
  it("quote strings, escape quotes and backslashes, print numbers, and write NULL", () => {
    expect(arrayLiteral(['a "b"', "c\\d", 3, null, undefined, ""])).toBe(
      '{"a \\"b\\"","c\\\\d",3,NULL,NULL,""}',
    );
  });

  it("a column of nulls only is no array at all", () => {
    expect(columnLiteral([null, undefined])).toBeNull();
    expect(columnLiteral([null, 1])).toBe("{NULL,1}");
  });

  it("a repeated value is the literal of that many copies", () => {
    for (const value of ['say "hi" \\ there', 42, "plain"]) {
      for (const count of [1, 2, 5]) {
        expect(repeatedLiteral(value, count)).toBe(arrayLiteral(Array(count).fill(value)));
      }
    }
    expect(repeatedLiteral(null, 3)).toBeNull();
  });
});
