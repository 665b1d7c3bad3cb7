/**
 * Thousands of random bad inputs, property-based (fast-check), through the public API on every
 * backend (memory, SQLite, Redis, Postgres) and through the CLI (`asyncmq job enqueue`). The
 * property, for every input: it either works identically everywhere (the same stored record read
 * back) or is refused with the same ValidationError everywhere, and a refusal leaves no job behind
 * (a refused addBulk included). Any other error (BackendError, RangeError, a crash, exit code 1)
 * fails the test with the input that caused it, shrunk.
 *
 * Short form by default (CI: the file runs well under a minute); ASYNCMQ_CHAOS_LONG=1 (`npm run
 * chaos`) runs many more inputs; ASYNCMQ_CHAOS_SEED replays a failing run's seed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JOB_STATES, type JobState, toMs } from "../../src/job.js";
import type { EnqueueOptions } from "../../src/job-options.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import {
  cliArgs,
  data,
  duration,
  enqueueOptions,
  listing,
  name,
  number,
  taskOptions,
  text,
} from "./input/arbitraries.js";
import { asArgv, enqueueByCli } from "./input/cli.js";
import { useEngines } from "./input/engines.js";
import { acrossEngines, comparable, onEveryEngine, outcome, same, totalJobs } from "./input/outcome.js";

const LONG = process.env.ASYNCMQ_CHAOS_LONG === "1";
/** Inputs per property: the short form for CI, the long form for `npm run chaos`. */
const RUNS = LONG
  ? { add: 3000, bulk: 800, task: 800, lookup: 800, cli: 80 }
  : { add: 100, bulk: 30, task: 30, lookup: 30, cli: 3 };
/**
 * The short form (CI) always draws the same inputs, so a red run is this change's doing and replays
 * as it is; the long form explores with a fresh seed each run (fast-check prints it on failure).
 */
const SHORT_FORM_SEED = 20261201;
const SEED =
  process.env.ASYNCMQ_CHAOS_SEED !== undefined
    ? { seed: Number(process.env.ASYNCMQ_CHAOS_SEED) }
    : LONG
      ? {}
      : { seed: SHORT_FORM_SEED };
const TIMEOUT = LONG ? 3_600_000 : 120_000;
const START = Date.now();

const engines = useEngines();

let counter = 0;
/** A queue no earlier input used, the same name on every engine. */
function freshQueue(label: string): string {
  return `bi-${label}-${++counter}`;
}

/** The JSON round trip a stored payload must equal. */
function asStored(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value === undefined ? null : value));
}

const relative = (options: EnqueueOptions | undefined) => options?.runAt === undefined;

describe("bad input through the API, on memory, SQLite, Redis and Postgres", () => {
  it(
    "Queue.add: the same stored job everywhere, or the same ValidationError and nothing stored",
    async () => {
      const options = fc.option(enqueueOptions(START), { nil: undefined });
      await fc.assert(
        fc.asyncProperty(name, data, options, async (taskName, payload, opts) => {
          const got = same(
            await onEveryEngine(engines(), freshQueue("add"), async (q) => {
              const id = await q.add(taskName, payload, opts);
              return comparable(await q.getJob(id), relative(opts));
            }),
          );
          if (got.ok) expect(got.value?.data).toEqual(asStored(payload));
        }),
        { numRuns: RUNS.add, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "Queue.addBulk: all stored the same everywhere, or a ValidationError and no job at all",
    async () => {
      const item = fc.record({
        task: name,
        data,
        options: fc.option(enqueueOptions(START), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 4 }), async (items) => {
          same(
            await onEveryEngine(engines(), freshQueue("bulk"), async (q) => {
              const ids = await q.addBulk(items);
              const jobs = await Promise.all(ids.map((id) => q.getJob(id)));
              // A duplicate (same jobId or deduplication id) returns the job the first item made.
              return jobs.map((j, i) =>
                comparable(j, relative(items[ids.indexOf(ids[i] as string)]?.options)),
              );
            }),
          );
        }),
        { numRuns: RUNS.bulk, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "task() options: refused at task(), or Task.enqueue stores the same job everywhere",
    async () => {
      await fc.assert(
        fc.asyncProperty(taskOptions, data, async (defaults, payload) => {
          const queue = freshQueue("task");
          const taskName = `${queue}-t`;
          const made = await outcome(() => task(taskName, { queue, ...defaults }, () => null));
          if (!made.ok) return; // refused before any backend: the same for all of them
          try {
            same(
              await onEveryEngine(engines(), queue, async (q, { backend }) => {
                const id = await made.value.enqueue(payload, { backend });
                return comparable(await q.getJob(id));
              }),
            );
          } finally {
            unregisterTask(taskName);
          }
        }),
        { numRuns: RUNS.task, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "lookups and admin calls (getJob, getJobs, cancel, retry, remove, promote, clean): the same answer everywhere",
    async () => {
      const op = fc.constantFrom(
        "getJob",
        "cancelJob",
        "retryJob",
        "removeJob",
        "promoteJob",
        "getDependants",
      );
      // A grace the jobs just added are within: what clean removes must not depend on how many ms
      // each engine took to get there.
      const grace = duration.map((d) => ((validMs(d) ?? 60_000) < 60_000 ? "1h" : d));
      const clean = fc.record({
        state: fc.oneof(fc.constantFrom(...JOB_STATES), text),
        grace,
        limit: number,
      });
      await fc.assert(
        fc.asyncProperty(op, text, listing, clean, async (call, id, list, c) => {
          same(
            await onEveryEngine(engines(), freshQueue("admin"), async (q) => {
              await q.addBulk([
                { task: "t", data: 1, options: { jobId: "a" } },
                { task: "t", data: 2, options: { delay: 60_000 } },
                { task: "t", data: 3, options: { jobId: "c", dependsOn: ["a"] } },
              ]);
              const answer = await outcome(() => (q[call] as (id: string) => Promise<unknown>).call(q, id));
              const listed = await outcome(async () =>
                (await q.getJobs(list.states as JobState[] | undefined, list.range)).map((j) =>
                  comparable(j),
                ),
              );
              const cleaned = await outcome(() =>
                q.clean(c.state as JobState, { grace: c.grace, limit: c.limit }),
              );
              const after = await q.getJobCounts();
              return {
                answer: answer.ok ? { ok: true, value: anyJob(answer.value) } : answer,
                listed,
                cleaned,
                after,
              };
            }),
          );
        }),
        { numRuns: RUNS.lookup, ...SEED },
      );
    },
    TIMEOUT,
  );

  it(
    "job changes and bulk calls (updateData, changePriority, changeDelay, getJobLogs, retryJobs, promoteJobs): the same answer everywhere",
    async () => {
      const change = fc.oneof(
        fc.record({ call: fc.constant("updateData" as const), value: data }),
        fc.record({ call: fc.constant("changePriority" as const), value: number }),
        fc.record({ call: fc.constant("changeDelay" as const), value: duration }),
      );
      const jobId = fc.oneof(fc.constantFrom("a", "2", "c", "x"), text);
      const range = fc.record({ start: number, end: number }, { requiredKeys: [] });
      // An age the jobs just finished are within, or none: what retryJobs takes must not depend on
      // how many ms each engine took to get there.
      const olderThan = fc.option(
        duration.map((d) => ((validMs(d) ?? 60_000) < 60_000 ? 0 : d)),
        { nil: undefined },
      );
      const bulk = fc.record(
        { state: fc.oneof(fc.constantFrom(...JOB_STATES), text), olderThan, limit: number },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(change, jobId, range, bulk, async (c, id, r, b) => {
          same(
            await onEveryEngine(engines(), freshQueue("change"), async (q, { backend }) => {
              await q.addBulk([
                { task: "t", data: 1, options: { jobId: "a" } },
                { task: "t", data: 2, options: { delay: 60_000 } },
                { task: "t", data: 3, options: { jobId: "c", dependsOn: ["a"] } },
                { task: "t", data: 4, options: { jobId: "x" } },
              ]);
              await q.cancelJob("x");
              await backend.addLog(q.name, "a", "one");
              await backend.addLog(q.name, "a", "two");
              const call = q[c.call] as (id: string, value: unknown) => Promise<boolean>;
              const answer = await outcome(() => call.call(q, id, c.value));
              const logs = await outcome(() => q.getJobLogs(id, r));
              const retried = await outcome(() => q.retryJobs(b as Parameters<typeof q.retryJobs>[0]));
              const promoted = await outcome(() => q.promoteJobs({ limit: b.limit }));
              // A changed delay is the clock's plus the input: compared as present.
              const jobs = (await q.getJobs([], { asc: true })).map((j) => {
                const { runAfter, ...rest } = comparable(j) as Record<string, unknown>;
                return runAfter === undefined ? rest : { ...rest, runAfter: true };
              });
              return { answer, logs, retried, promoted, jobs };
            }),
          );
        }),
        { numRuns: RUNS.lookup, ...SEED },
      );
    },
    TIMEOUT,
  );
});

/** `d` in ms if it is a valid duration, else undefined. */
function validMs(d: number | string): number | undefined {
  try {
    return toMs(d);
  } catch {
    return undefined;
  }
}

/** A lookup's answer, with a job record made comparable. */
function anyJob(value: unknown): unknown {
  if (value !== null && typeof value === "object" && "createdAt" in value) {
    return comparable(value as Parameters<typeof comparable>[0]);
  }
  return value;
}

describe("bad input through the CLI: asyncmq job enqueue with random arguments", () => {
  it(
    "exits 0 with the same job everywhere, or 2 with the same message and nothing stored; never 1",
    async () => {
      const queueArg = fc.oneof(
        { arbitrary: name.map((n) => ({ fresh: true, n })), weight: 4 },
        fc.constantFrom("", " ", "a:b", "a:\ud800").map((n) => ({ fresh: false, n })),
      );
      await fc.assert(
        fc.asyncProperty(queueArg, name, cliArgs, async (q, taskName, args) => {
          const queue = (q.fresh ? `${freshQueue("cli")}-${q.n}` : q.n).replaceAll("\u0000", "0");
          const t = taskName.replaceAll("\u0000", "0");
          const runs = await Promise.all(engines().map((e) => enqueueByCli(queue, t, args, e.url)));
          for (const [i, run] of runs.entries()) {
            const engine = engines()[i]?.name;
            expect({ engine, code: run.code }).toEqual({ engine, code: runs[0]?.code });
            expect([0, 2]).toContain(run.code);
            expect({ engine, answer: run.answer }).toEqual({ engine, answer: runs[0]?.answer });
          }
          // The durable engines (not memory://, which lives in the child): same record, or none.
          const stored = await acrossEngines(
            engines().filter((e) => e.name !== "memory"),
            async ({ backend }) => {
              const readBack = new Queue(asArgv(queue), { backend });
              if (runs[0]?.code !== 0) return totalJobs(readBack);
              const { id } = runs[0].answer as { id: string };
              return comparable(await readBack.getJob(id));
            },
          );
          const first = stored.sqlite;
          for (const got of Object.values(stored)) expect(got).toEqual(first);
          if (runs[0]?.code !== 0 && first?.ok) expect(first.value).toBe(0);
        }),
        { numRuns: RUNS.cli, ...SEED },
      );
    },
    TIMEOUT,
  );
});
