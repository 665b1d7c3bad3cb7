/**
 * PostgreSQL array literals built here rather than by the driver: node-postgres turns a JS array
 * parameter into text when it sends the statement, in the turn the connection frees up, while the
 * server waits; a literal built beforehand lets the bulk insert build a chunk while the one before
 * it runs (enqueue.ts). Building one costs about what the driver's does (~0.8 us per 5 short
 * elements here): the gain is only in when it is built.
 */

/** Characters that must be escaped with a backslash inside a quoted array element. */
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/**
 * The literal of a one-dimensional array (`{"a",NULL,3}`): strings quoted (and escaped), numbers
 * as they print, null and undefined as NULL. Cast it in SQL (`$1::text[]`, `$2::bigint[]`).
 */
export function arrayLiteral(values: ReadonlyArray<string | number | null | undefined>): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    out += element(values[i]);
  }
  return `${out}}`;
}

/** One element of an array literal. */
function element(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return String(v);
  return `"${NEEDS_ESCAPE.test(v) ? v.replace(ESCAPED, "\\$&") : v}"`;
}

/**
 * One column of a multi-argument `unnest(...)`: its array literal, or null when every value is
 * null. unnest pads an array shorter than the others (a NULL array counts as empty) with NULLs, so
 * the rows are the same, and the server parses no array of NULLs: most columns of a bulk insert
 * (ttl, backoff, retention...) are unset, and parsing their arrays took ~10% of the statement.
 * Only for an unnest with another argument that is never null.
 */
export function columnLiteral(values: ReadonlyArray<string | number | null | undefined>): string | null {
  return values.every((v) => v === null || v === undefined) ? null : arrayLiteral(values);
}

/**
 * columnLiteral of `count` copies of `value` (count >= 1), built by repeating its one element: the
 * columns a chunk of jobs that differ only in their data share.
 */
export function repeatedLiteral(value: string | number | null | undefined, count: number): string | null {
  if (value === null || value === undefined) return null;
  const one = element(value);
  return `{${`${one},`.repeat(count - 1)}${one}}`;
}
