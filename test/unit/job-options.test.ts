/**
 * buildNewJob (src/job-options.ts): how enqueue options and a task's defaults become the NewJob a
 * backend stores, and what it refuses before any backend call.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import { checkDefaultJobOptions, type DefaultJobOptions } from "../../src/job-defaults.js";
import { buildNewJob, type EnqueueOptions, type TaskDefaults } from "../../src/job-options.js";
import { configure, resetSettings } from "../../src/settings.js";

const NOW = 1_700_000_000_000;
/**
 * The options a job leaves to its worker's task when the producer does not know the task. Not
 * priority: it orders the claim, so it must be known when the job is stored.
 */
const INHERITABLE = ["retries", "backoff", "ttl", "timeout"];

/** buildNewJob for a task the producer knows (by default one without defaults), payload check off. */
function build(options?: EnqueueOptions, defaults: TaskDefaults = {}) {
  return buildNewJob("t", { n: 1 }, options, defaults, NOW, null);
}

/** buildNewJob for a task the producer does not know (no defaults at all). */
function unknownTask(options?: EnqueueOptions) {
  return buildNewJob("t", { n: 1 }, options, undefined, NOW, null);
}

afterEach(() => resetSettings());

describe("buildNewJob defaults", () => {
  it("gives a job with no options priority 5, no retries and nothing else", () => {
    expect(buildNewJob("t", { a: [1, 2] }, undefined, {}, NOW, null)).toStrictEqual({
      task: "t",
      dataJson: '{"a":[1,2]}',
      priority: 5,
      maxRetries: 0,
      createdAt: NOW,
    });
    expect(build({})).toStrictEqual(build());
  });

  it("stores undefined data as null", () => {
    expect(buildNewJob("t", undefined, undefined, {}, NOW, null).dataJson).toBe("null");
  });
});

describe("buildNewJob task defaults and enqueue options", () => {
  const defaults: TaskDefaults = {
    retries: 3,
    priority: 2,
    timeout: 2000,
    ttl: "1m",
    backoff: { type: "fixed", delay: 10 },
  };

  it("applies the task's defaults, with durations in ms and the backoff normalised", () => {
    expect(build(undefined, defaults)).toMatchObject({
      maxRetries: 3,
      priority: 2,
      timeout: 2000,
      ttl: 60_000,
      backoff: { type: "fixed", delay: 10 },
    });
  });

  it("lets each enqueue option win over the task's, 0 included", () => {
    const job = build(
      { retries: 0, priority: 9, timeout: "5s", ttl: 0, backoff: { type: "exponential", delay: 7 } },
      defaults,
    );
    expect(job).toMatchObject({
      maxRetries: 0,
      priority: 9,
      timeout: 5000,
      ttl: 0,
      backoff: { type: "exponential", delay: 7 },
    });
  });

  it("marks nothing inherit when the producer knows the task", () => {
    expect(build(undefined, {}).inherit).toBeUndefined();
    expect(build({ retries: 1 }, defaults).inherit).toBeUndefined();
  });
});

describe("buildNewJob inherit (the producer does not know the task)", () => {
  it("leaves every inheritable option to the worker's task when none is given", () => {
    expect(unknownTask().inherit).toEqual(INHERITABLE);
    expect(unknownTask({}).inherit).toEqual(INHERITABLE);
  });

  it("never inherits priority: the job keeps the default or its own", () => {
    expect(unknownTask().inherit).not.toContain("priority");
    expect(unknownTask().priority).toBe(5);
    expect(unknownTask({ priority: 1 })).toMatchObject({ priority: 1, inherit: INHERITABLE });
  });

  it("inherits only what the job leaves unset", () => {
    const job = unknownTask({ retries: 1, ttl: "5s" });
    expect(job.inherit).toEqual(INHERITABLE.filter((o) => o !== "retries" && o !== "ttl"));
    expect([job.maxRetries, job.ttl]).toEqual([1, 5000]);
  });

  it("inherits nothing when the job sets every inheritable option", () => {
    const all: EnqueueOptions = { retries: 1, backoff: { type: "fixed", delay: 1 }, ttl: 1, timeout: 1 };
    expect(unknownTask(all).inherit).toBeUndefined();
  });

  it("options that are not inheritable do not affect the list", () => {
    expect(unknownTask({ jobId: "x", delay: 5, dependsOn: ["p"] }).inherit).toEqual(INHERITABLE);
  });
});

describe("buildNewJob delay and runAt", () => {
  it("delay sets runAt = now + delay; a delay of 0 leaves the job ready", () => {
    expect(build({ delay: "5s" }).runAt).toBe(NOW + 5000);
    expect(build({ delay: 250 }).runAt).toBe(NOW + 250);
    expect(build({ delay: 0 })).not.toHaveProperty("runAt");
  });

  it("runAt takes epoch ms or a Date; a time not after now leaves the job ready", () => {
    expect(build({ runAt: NOW + 1000 }).runAt).toBe(NOW + 1000);
    expect(build({ runAt: new Date(NOW + 2000) }).runAt).toBe(NOW + 2000);
    expect(build({ runAt: NOW })).not.toHaveProperty("runAt");
    expect(build({ runAt: NOW - 1 })).not.toHaveProperty("runAt");
  });

  it("refuses both at once, and a runAt that is not a time", () => {
    expect(() => build({ delay: 1, runAt: NOW + 1 })).toThrow(/either delay or runAt/);
    expect(() => build({ runAt: new Date("nonsense") })).toThrow(ValidationError);
    expect(() => build({ runAt: Number.NaN })).toThrow(/runAt must be an epoch-ms number or a valid Date/);
    expect(() => build({ runAt: "tomorrow" as never })).toThrow(ValidationError);
  });
});

describe("buildNewJob other options", () => {
  it("keeps dependsOn without duplicates, drops an empty list, refuses non-ids", () => {
    expect(build({ dependsOn: ["a", "b", "a"] }).dependsOn).toEqual(["a", "b"]);
    expect(build({ dependsOn: [] })).not.toHaveProperty("dependsOn");
    expect(() => build({ dependsOn: ["a", ""] })).toThrow(/dependsOn must be an array of job ids/);
    expect(() => build({ dependsOn: "a" as never })).toThrow(ValidationError);
  });

  it("takes { queue, id } refs to jobs of other queues, as '<queue>:<id>' entries, and refuses bad ones", () => {
    expect(
      build({ dependsOn: ["a", { queue: "other", id: "7" }, { queue: "other", id: "7" }] }).dependsOn,
    ).toEqual(["a", "other:7"]);
    expect(() => build({ dependsOn: ["other:7"] })).toThrow(/name a job of another queue as \{ queue, id \}/);
    expect(() => build({ dependsOn: [{ queue: "q:x", id: "1" }] })).toThrow(
      /dependsOn\[0\]\.queue "q:x" contains ":"/,
    );
    expect(() => build({ dependsOn: [{ queue: "q", id: "a:b" }] })).toThrow(/dependsOn\[0\]\.id "a:b"/);
    expect(() => build({ dependsOn: [{ queue: "q" } as never] })).toThrow(
      /dependsOn\[0\]\.id must be a string/,
    );
    expect(() => build({ dependsOn: [{ queue: "q", id: "1", parent: true } as never] })).toThrow(
      /unknown key\(s\) parent/,
    );
    expect(() => build({ dependsOn: [7 as never] })).toThrow(/dependsOn\[0\] is 7/);
  });

  it("checks onParentFailure, retention specs and deduplication", () => {
    expect(build({ onParentFailure: "ignore" }).onParentFailure).toBe("ignore");
    expect(build({ onParentFailure: "continue" }).onParentFailure).toBe("continue");
    expect(() => build({ onParentFailure: "skip" as never })).toThrow(
      /onParentFailure must be "fail", "ignore" or "continue"/,
    );
    expect(build({ removeOnComplete: { age: "1h", count: 2 }, removeOnFail: true })).toMatchObject({
      removeOnComplete: { age: 3_600_000, count: 2 },
      removeOnFail: true,
    });
    expect(() => build({ removeOnComplete: {} })).toThrow(/removeOnComplete needs age or count/);
    expect(() => build({ removeOnFail: { count: -1 } })).toThrow(/removeOnFail.count must be an integer/);
    expect(build({ deduplication: { id: "k", ttl: "2s" } }).dedup).toEqual({ key: "k", ttl: 2000 });
    expect(build({ deduplication: { id: "k" } }).dedup).toEqual({ key: "k" });
    expect(() => build({ deduplication: { id: "" } })).toThrow(/deduplication must be/);
  });
});

describe("buildNewJob validation", () => {
  it("refuses a bad duration, naming the option", () => {
    expect(() => build({ ttl: "soon" })).toThrow(/ttl must be milliseconds or a string like/);
    expect(() => build({ delay: -1 })).toThrow(/delay must be a non-negative number/);
    expect(() => build({ timeout: 0 })).toThrow(/timeout must be greater than 0/);
    expect(() => build({ deduplication: { id: "k", ttl: "later" } })).toThrow(/deduplication.ttl/);
    expect(build({ deduplication: { id: "k", ttl: "1s", extend: true } }).dedup).toEqual({
      key: "k",
      ttl: 1000,
      extend: true,
    });
    expect(build({ deduplication: { id: "k", ttl: 5, extend: false } }).dedup).toEqual({ key: "k", ttl: 5 });
    expect(() => build({ deduplication: { id: "k", extend: true } })).toThrow(
      /deduplication.extend restarts the ttl, so it needs one/,
    );
    expect(() => build({ deduplication: { id: "k", ttl: 5, extend: "yes" as never } })).toThrow(
      /deduplication.extend must be true or false, got "yes"/,
    );
    expect(build({ deduplication: { id: "k", replace: true } }).dedup).toEqual({ key: "k", replace: true });
    expect(() => build({ deduplication: { id: "k", replace: 1 as never } })).toThrow(
      /deduplication.replace must be true or false, got 1/,
    );
    expect(() => build(undefined, { timeout: "forever" })).toThrow(ValidationError);
  });

  it("takes lifo as a boolean, stored only when true", () => {
    expect(build({ lifo: true }).lifo).toBe(true);
    expect("lifo" in build({ lifo: false })).toBe(false);
    expect(() => build({ lifo: "yes" as never })).toThrow(/lifo must be true or false, got "yes"/);
  });

  it("refuses a payload over maxPayloadBytes, by argument or by the settings", () => {
    const data = "x".repeat(50);
    expect(() => buildNewJob("t", data, undefined, {}, NOW, 20)).toThrow(PayloadTooLargeError);
    expect(buildNewJob("t", data, undefined, {}, NOW, null).dataJson).toBe(JSON.stringify(data));
    configure({ maxPayloadBytes: 20 });
    expect(() => buildNewJob("t", data, undefined, {}, NOW)).toThrow(PayloadTooLargeError);
    expect(() => buildNewJob("t", { f: () => 1 }, undefined, {}, NOW, null)).toThrow(/function/);
  });

  it("refuses a bad jobId, task name, priority, retries or options object", () => {
    expect(build({ jobId: "order-1" }).id).toBe("order-1");
    expect(() => build({ jobId: "123" })).toThrow(/all digits/);
    expect(() => build({ jobId: "a:b" })).toThrow(/contains ":"/);
    expect(() => build({ jobId: "" })).toThrow(/jobId must be a non-empty string/);
    expect(() => buildNewJob(" ", 1, undefined, {}, NOW, null)).toThrow(
      /task name must be a non-empty string/,
    );
    expect(() => build({ priority: 1.5 })).toThrow(/priority must be an integer/);
    expect(() => build({ retries: -1 })).toThrow(/retries must be an integer >= 0/);
    expect(() => build("fast" as never)).toThrow(/enqueue options must be an object/);
  });
});

// Issue 10 item 6: buildNewJob gives every engine the same integers and strings it can store.
describe("buildNewJob engine limits", () => {
  it("rounds fractional milliseconds in delay, runAt, ttl, timeout and backoff", () => {
    const job = build({ delay: 123.4, ttl: 1.5, timeout: 1.5, backoff: { type: "fixed", delay: 0.6 } });
    expect(job).toMatchObject({ runAt: NOW + 123, ttl: 2, timeout: 2, backoff: { type: "fixed", delay: 1 } });
    expect(build({ runAt: NOW + 1000.5 }).runAt).toBe(NOW + 1001);
    expect(build({ runAt: new Date(NOW + 2000) }).runAt).toBe(NOW + 2000);
  });
  it("refuses runAt and delay more than MAX_DURATION_MS ahead, and huge numbers", () => {
    expect(() => build({ delay: 1e300 })).toThrow(/delay must be at most 3155760000000 ms/);
    expect(() => build({ runAt: NOW + 36_526 * 86_400_000 })).toThrow(
      /runAt must be at most 3155760000000 ms ahead/,
    );
    expect(() => build({ ttl: 1e300 })).toThrow(ValidationError);
    expect(() => build({ deduplication: { id: "k", ttl: 1e300 } })).toThrow(ValidationError);
    expect(() => build({ removeOnComplete: { age: 1e300 } })).toThrow(ValidationError);
  });
  it("keeps priority, retries and retention counts within 32 bits", () => {
    expect(() => build({ priority: 2 ** 31 })).toThrow(/priority must be an integer from -2147483648/);
    expect(() => build({ retries: 2 ** 31 })).toThrow(/retries must be at most 2147483646/);
    expect(build({ retries: 2 ** 31 - 2 }).maxRetries).toBe(2 ** 31 - 2);
    expect(() => build({ removeOnFail: { count: 2 ** 31 } })).toThrow(/removeOnFail.count must be at most/);
  });
  it("refuses NUL, lone surrogates and over-long strings in every name, id and key", () => {
    const bads = ["a\u0000b", "a\ud800", "k".repeat(513)];
    for (const bad of bads) {
      expect(() => buildNewJob(bad, 1, undefined, {}, NOW, null)).toThrow(ValidationError);
      expect(() => build({ jobId: `j${bad}` })).toThrow(ValidationError);
      expect(() => build({ dependsOn: [bad] })).toThrow(ValidationError);
      expect(() => build({ deduplication: { id: bad } })).toThrow(ValidationError);
    }
    expect(() => build({ dependsOn: ["7", "a\u0000"] })).toThrow(/dependsOn\[1\] must not contain NUL/);
  });
});

describe("defaults for many jobs: job > task > queue defaultJobOptions > setting", () => {
  /** buildNewJob with a task's options and a base (the queue's defaultJobOptions over the setting). */
  function layered(
    options: EnqueueOptions | undefined,
    task: TaskDefaults | undefined,
    base: DefaultJobOptions,
  ) {
    return buildNewJob("t", 1, options, task, NOW, null, base);
  }
  const base: DefaultJobOptions = {
    retries: 4,
    priority: 7,
    removeOnComplete: { count: 1000 },
    removeOnFail: { age: 86_400_000 },
    onParentFailure: "ignore",
    delay: 500,
  };

  it("the base fills what the job and its task leave unset", () => {
    expect(layered(undefined, {}, base)).toMatchObject({
      maxRetries: 4,
      priority: 7,
      removeOnComplete: { count: 1000 },
      removeOnFail: { age: 86_400_000 },
      onParentFailure: "ignore",
      runAt: NOW + 500,
    });
  });

  it("the task's options win over the base, the job's over both", () => {
    const task: TaskDefaults = { retries: 1, removeOnComplete: true };
    expect(layered(undefined, task, base)).toMatchObject({ maxRetries: 1, removeOnComplete: true });
    expect(layered({ retries: 0, removeOnComplete: false, delay: 0 }, task, base)).toMatchObject({
      maxRetries: 0,
      removeOnComplete: false,
    });
    expect(layered({ delay: 0 }, task, base)).not.toHaveProperty("runAt");
    // A job's runAt replaces the base's delay rather than clashing with it.
    expect(layered({ runAt: NOW + 9 }, task, base).runAt).toBe(NOW + 9);
  });

  it("a job whose task is unknown here still leaves retries to the worker's task, over the base", () => {
    const job = layered(undefined, undefined, base);
    expect(job).toMatchObject({ maxRetries: 4, inherit: INHERITABLE });
  });

  it("the setting is the base when buildNewJob is given none", () => {
    configure({ defaultJobOptions: { removeOnComplete: { count: 3 }, retries: 2 } });
    expect(buildNewJob("t", 1, undefined, {}, NOW, null)).toMatchObject({
      removeOnComplete: { count: 3 },
      maxRetries: 2,
    });
  });
});

describe("checkDefaultJobOptions", () => {
  it("normalises durations and retention, refusing bad values by name", () => {
    expect(checkDefaultJobOptions({ ttl: "1m", removeOnComplete: { age: "1h" } }, "d")).toEqual({
      ttl: 60_000,
      removeOnComplete: { age: 3_600_000 },
    });
    expect(() => checkDefaultJobOptions({ retries: -1 }, "defaultJobOptions of q")).toThrow(
      /defaultJobOptions of q: retries must be an integer/,
    );
    expect(() => checkDefaultJobOptions({ removeOnComplete: 5 } as never, "d")).toThrow(/\{ count: 5 \}/);
    expect(() => checkDefaultJobOptions(null as never, "d")).toThrow(/d must be an object/);
  });

  it("refuses options that name one job, and unknown keys", () => {
    for (const key of ["jobId", "runAt", "dependsOn", "deduplication"]) {
      expect(() => checkDefaultJobOptions({ [key]: "x" } as never, "d")).toThrow(
        `unknown key "${key}" in d: it names one job`,
      );
    }
    expect(() => checkDefaultJobOptions({ attempts: 3 } as never, "d")).toThrow(/did you mean "retries"/);
  });
});
