/**
 * fast-check arbitraries for the bad-input property test: values a careless or hostile caller may
 * pass, mixed with good ones so that both the refusals and the round trips are exercised. They aim
 * at the edges that broke engines before (issue 10): NUL, lone surrogates, names near the 512-byte
 * limit, 32-bit and 2^53 integers, fractional and huge durations, deep or non-JSON payloads.
 */
import fc from "fast-check";
import { JOB_STATES, MAX_DURATION_MS, MAX_PAYLOAD_DEPTH, toMs } from "../../../src/job.js";
import type { EnqueueOptions, TaskDefaults } from "../../../src/job-options.js";

/** Characters that engines have mishandled, and a few ordinary ones. */
const TRICKY = fc.constantFrom(
  "\u0000",
  "\ud800",
  "\udc00",
  ":",
  " ",
  "é",
  "\ud83d\ude00",
  "\n",
  "a",
  "1",
  "%",
  "'",
);

/** Strings of every kind: short ASCII, any code points, tricky characters, near and past the byte limits. */
export const text: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 10 }), weight: 3 },
  fc.string({ unit: "binary", maxLength: 6 }),
  { arbitrary: fc.string({ unit: TRICKY, minLength: 1, maxLength: 6 }), weight: 3 },
  fc.constantFrom("", " ", "123", "a:b", "__proto__", "constructor"),
  fc.integer({ min: 505, max: 518 }).map((n) => "x".repeat(n)),
  fc.integer({ min: 253, max: 259 }).map((n) => "é".repeat(n)),
  fc.constant("z".repeat(8200)),
);

/**
 * `good` nine times in ten, else `bad`: a job has a dozen options, and most jobs must pass
 * validation for the round trips to be tested too.
 */
function mostly<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: good, weight: 9 }, { arbitrary: bad, weight: 1 });
}

/** A name that is usually valid (so the rest of the input gets tested), sometimes not. */
export const name: fc.Arbitrary<string> = mostly(
  fc.constantFrom("t", "send-mail", "é-task", "t\ud83d\ude00"),
  text,
);

/** Numbers at the edges the engines store (32-bit, 2^53, fractions, non-finite, the duration bound). */
export const number: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -10, max: 10 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    ...[0, -0, 0.4, 0.5, 1.5, 123.4, -1, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1],
    ...[2 ** 53, 1e300, Number.NaN, Number.POSITIVE_INFINITY, MAX_DURATION_MS, MAX_DURATION_MS + 1],
  ),
);

/** An integer option (priority, retries, counts): mostly in `min`..`max`, else any number. */
function integer(min: number, max: number): fc.Arbitrary<number> {
  return mostly(fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, Math.max(min, 0))), number);
}

/** A duration option: mostly valid numbers and unit strings, else bad ones. */
export const duration: fc.Arbitrary<number | string> = mostly<number | string>(
  fc.oneof(
    fc.nat({ max: 100_000 }),
    fc.double({ min: 0, max: 1e7, noNaN: true }),
    fc.constantFrom("250ms", "1.5s", "2m", "1h", "25d", "36525d", " 5s ", MAX_DURATION_MS),
  ),
  fc.oneof(number, fc.constantFrom("36526d", "5 seconds", "", "1e3ms", "-1s"), text),
);

/** Whether `d` is not a valid duration that rounds to 0 (a timeout must be longer). */
function notZero(d: number | string): boolean {
  try {
    return toMs(d) > 0;
  } catch {
    return true;
  }
}

/** A job id or key: mostly valid (one at the 512-byte limit), else anything. */
const id = mostly(fc.constantFrom("job-1", "é-2", "k\ud83d\ude00", "x".repeat(512), "a b"), text);

/** `value` nested `depth` levels deep in arrays, built without recursion. */
export function nested(depth: number, value: unknown = 1): unknown {
  let out = value;
  for (let i = 0; i < depth; i++) out = [out];
  return out;
}

/** A payload: JSON values, anything JavaScript has (Maps, BigInt, boxed values...), deep nesting, tricky keys. */
export const data: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 12 },
  fc.anything({
    maxDepth: 2,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withNullPrototype: true,
    withObjectString: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  fc.integer({ min: MAX_PAYLOAD_DEPTH - 2, max: MAX_PAYLOAD_DEPTH + 2 }).map((d) => nested(d)),
  fc.constant(nested(5000)),
  fc.dictionary(text, fc.oneof(text, number), { maxKeys: 3 }),
  fc.constantFrom(undefined, null, Number.NaN, () => 1, Symbol("s"), 10n),
);

/** A backoff option: numbers, specs good and bad. */
const backoff = fc.oneof(
  duration,
  fc.record(
    {
      type: mostly(fc.constantFrom("fixed", "exponential"), fc.constantFrom("linear", "")),
      delay: duration,
      jitter: mostly(fc.double({ min: 0, max: 1, noNaN: true }), number),
      maxDelay: duration,
    },
    { requiredKeys: ["type", "delay"] },
  ),
);

const retention = fc.oneof(
  fc.boolean(),
  fc.record({ age: duration, count: integer(0, 2 ** 31 - 1) }, { requiredKeys: [] }),
);

/**
 * A runAt: past, far future (never within a few ms of now, where two engines' calls could land on
 * either side), or not a time. `now` is when the test started.
 */
function runAt(now: number): fc.Arbitrary<number | Date> {
  return fc.oneof(
    fc.integer({ min: 0, max: 1000 }).map((k) => now - 3_600_000 - k),
    fc.integer({ min: 0, max: 1000 }).map((k) => now + 3_600_000 + k + 0.5),
    fc.constantFrom(now + MAX_DURATION_MS * 2, -1e300, 1e300, Number.NaN),
    fc.constant(new Date(now + 7_200_000)),
    fc.constant(new Date(Number.NaN)),
  );
}

/** Enqueue options, each present half of the time (so `delay` and `runAt` together a quarter). */
export function enqueueOptions(now: number): fc.Arbitrary<EnqueueOptions> {
  return fc
    .record(
      {
        priority: integer(-(2 ** 31), 2 ** 31 - 1),
        retries: integer(0, 2 ** 31 - 2),
        backoff,
        ttl: duration,
        timeout: mostly(duration.filter(notZero), fc.constant(0)),
        jobId: id,
        // "job-1" exists when an earlier item of the same addBulk took that id; others are refused.
        dependsOn: mostly(
          fc.constant<string[]>([]),
          fc.array(fc.oneof(id, fc.constant("job-1")), { maxLength: 2 }),
        ),
        onParentFailure: mostly(fc.constantFrom("fail", "ignore"), fc.constant("skip")),
        removeOnComplete: retention,
        removeOnFail: retention,
        deduplication: fc.record({ id, ttl: duration }, { requiredKeys: ["id"] }),
      },
      { requiredKeys: [] },
    )
    .chain((options) =>
      // Mostly one of delay and runAt (or neither), sometimes both (refused).
      fc
        .oneof(
          { arbitrary: fc.record({ delay: duration }), weight: 4 },
          { arbitrary: fc.record({ runAt: runAt(now) }), weight: 3 },
          { arbitrary: fc.constant({}), weight: 4 },
          { arbitrary: fc.record({ delay: duration, runAt: runAt(now) }), weight: 1 },
        )
        .map((when) => ({ ...options, ...when })),
    ) as fc.Arbitrary<EnqueueOptions>;
}

/** A task's options. */
export const taskOptions: fc.Arbitrary<TaskDefaults> = fc.record(
  {
    retries: integer(0, 2 ** 31 - 2),
    backoff,
    ttl: duration,
    timeout: mostly(duration.filter(notZero), fc.constant(0)),
    priority: integer(-(2 ** 31), 2 ** 31 - 1),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<TaskDefaults>;

/** getJobs arguments. */
export const listing = fc.record({
  states: fc.option(fc.array(fc.oneof(fc.constantFrom(...JOB_STATES), text), { maxLength: 3 }), {
    nil: undefined,
  }),
  range: fc.option(fc.record({ start: number, end: number, asc: fc.boolean() }, { requiredKeys: [] }), {
    nil: undefined,
  }),
});

/** Arguments of `asyncmq job enqueue` after `<queue> <task>` (no NUL: a process argument cannot hold one). */
export const cliArgs: fc.Arbitrary<string[]> = fc
  .record(
    {
      json: fc.oneof(fc.json({ maxDepth: 2 }), text),
      delay: fc.oneof(duration.map(String), text),
      priority: fc.oneof(number.map(String), fc.constantFrom("1.5", "1e3", "0x10", "abc", "")),
      jobId: text,
      retries: fc.oneof(number.map(String), text),
    },
    { requiredKeys: [] },
  )
  .map((o) => {
    const args: string[] = [];
    if (o.json !== undefined) args.push(o.json);
    if (o.delay !== undefined) args.push("--delay", o.delay);
    if (o.priority !== undefined) args.push("--priority", o.priority);
    if (o.jobId !== undefined) args.push("--job-id", o.jobId);
    if (o.retries !== undefined) args.push("--retries", o.retries);
    return args.map((a) => a.replaceAll("\u0000", "0"));
  });
