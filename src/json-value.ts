/**
 * Payloads and results as JSON text every engine stores and returns unchanged. The check walks the
 * value with its own stack, not by recursion, so no payload can exhaust the call stack, however
 * deep; `src/job.ts` re-exports what producers use.
 */
import { PayloadTooLargeError, ValidationError } from "./errors.js";

/**
 * The deepest a payload, result or progress value may nest (objects and arrays inside each other):
 * 1,000 levels. Deeper values are refused with a ValidationError. The limit is Redis cjson's default
 * decoding depth, and well within what JSON.stringify and JSON.parse handle on every platform.
 */
export const MAX_PAYLOAD_DEPTH = 1000;

/** String.prototype.isWellFormed (Node 20+), which the ES2023 typings do not declare yet. */
type WellFormed = { isWellFormed(): boolean };

/**
 * Whether `text` is well-formed Unicode: no lone surrogate (half of a UTF-16 pair, as cutting a
 * string inside an emoji leaves). UTF-8 cannot encode one: engines store U+FFFD instead, or refuse.
 */
export function isWellFormed(text: string): boolean {
  return (text as unknown as WellFormed).isWellFormed();
}

/** `text` with each lone surrogate replaced by U+FFFD, as a UTF-8 encoder would (Node 20+). */
export function toWellFormed(text: string): string {
  return (text as unknown as { toWellFormed(): string }).toWellFormed();
}

/** What every message about a lone surrogate says. */
export const LONE_SURROGATE =
  "must not contain a lone surrogate (half of a UTF-16 pair); use well-formed Unicode";

/**
 * Serialises a payload or result to JSON, refusing what JSON would silently drop or mangle
 * (functions, symbols, BigInt, cycles, non-finite numbers, class instances other than Date), lone
 * surrogates in strings and keys, nesting deeper than {@link MAX_PAYLOAD_DEPTH}, and enforcing
 * `maxBytes`. `undefined` becomes `null`. Returns the JSON text.
 * @throws ValidationError naming where in the value the problem is; PayloadTooLargeError.
 */
export function encodeJson(value: unknown, what: string, maxBytes: number | null): string {
  if (!isFlatJson(value)) checkJsonValue(value, what);
  const text = JSON.stringify(value === undefined ? null : value);
  if (maxBytes !== null) {
    // Cheap upper bound first: UTF-8 uses at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > maxBytes) {
      const size = Buffer.byteLength(text, "utf8");
      if (size > maxBytes) throw new PayloadTooLargeError(size, maxBytes);
    }
  }
  return text;
}

/**
 * Whether `value` is a scalar JSON carries (undefined: null, or a property left out), or a plain
 * object of such scalars: the common payload, checked without the walk's allocations. False for
 * anything else, valid or not: the walk then checks it and names what is wrong.
 */
function isFlatJson(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return isJsonScalar(value);
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key of Object.keys(value)) {
    if (!isWellFormed(key) || !isJsonScalar((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Whether `value` is undefined, null, a boolean, a finite number or a well-formed string. */
function isJsonScalar(value: unknown): boolean {
  switch (typeof value) {
    case "string":
      return isWellFormed(value);
    case "number":
      return Number.isFinite(value);
    case "boolean":
    case "undefined":
      return true;
    default:
      return value === null;
  }
}

/** An object or array being walked: its entries and the next one to visit. */
interface Frame {
  container: object;
  /** The object's own enumerable keys; null for an array. */
  keys: string[] | null;
  length: number;
  next: number;
}

/** Walks `root` depth-first with an explicit stack; throws at the first value JSON cannot carry. */
function checkJsonValue(root: unknown, what: string): void {
  const stack: Frame[] = [];
  // Containers on the current path: meeting one again is a cycle (a shared reference is fine).
  const onPath = new Set<object>();
  let value = root;
  for (;;) {
    if (typeof value === "object" && value !== null && !(value instanceof Date)) {
      if (onPath.has(value)) throw notJson(pathOf(stack, what), "a circular reference");
      if (stack.length === MAX_PAYLOAD_DEPTH) {
        throw new ValidationError(
          `${what} is nested more than ${MAX_PAYLOAD_DEPTH} levels deep (at ${pathOf(stack, what)}); flatten it, or store it elsewhere and pass a reference`,
        );
      }
      stack.push(frameOf(value, stack, what));
      onPath.add(value);
    } else {
      checkScalar(value, stack, what);
    }
    // On to the next entry of the innermost container with one left (undefined properties are
    // skipped, as JSON.stringify drops them; undefined array items become null).
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) return;
      if (top.next < top.length) {
        const i = top.next++;
        const c = top.container as Record<string, unknown>;
        value = top.keys === null ? c[i] : c[top.keys[i] as string];
        if (value !== undefined || top.keys === null) break;
      } else {
        stack.pop();
        onPath.delete(top.container);
      }
    }
  }
}

function frameOf(obj: object, stack: Frame[], what: string): Frame {
  if (Array.isArray(obj)) return { container: obj, keys: null, length: obj.length, next: 0 };
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    throw notJson(
      pathOf(stack, what),
      `an instance of ${obj.constructor?.name ?? "a class"} (pass a plain object)`,
    );
  }
  const keys = Object.keys(obj);
  for (const key of keys) {
    if (!isWellFormed(key)) {
      throw new ValidationError(`${pathOf(stack, what)}: the key ${JSON.stringify(key)} ${LONE_SURROGATE}`);
    }
  }
  return { container: obj, keys, length: keys.length, next: 0 };
}

/** Throws, naming where, unless `value` is a scalar JSON carries (isJsonScalar) or a Date. */
function checkScalar(value: unknown, stack: Frame[], what: string): void {
  if (isJsonScalar(value) || value instanceof Date) return;
  const path = pathOf(stack, what);
  switch (typeof value) {
    case "string":
      throw new ValidationError(`${path} ${LONE_SURROGATE}`);
    case "number":
      throw notJson(path, `the number ${value}`);
    case "bigint":
      throw notJson(path, "a BigInt (convert it to a string)");
    case "function":
      throw notJson(path, "a function");
    default:
      throw notJson(path, "a symbol");
  }
}

/** Where the walk is, as `data.a[1].b`: built only for a message. */
function pathOf(stack: Frame[], what: string): string {
  let path = what;
  for (const frame of stack) {
    const i = frame.next - 1;
    if (i < 0) break;
    path += frame.keys === null ? `[${i}]` : `.${frame.keys[i]}`;
  }
  return path;
}

function notJson(path: string, what: string): ValidationError {
  return new ValidationError(`${path} must be JSON-serialisable, but it holds ${what}`);
}
