/**
 * `asyncmq job ...`: list, inspect, enqueue, retry, promote, remove, cancel, and the in-place edits of
 * job-edit.ts. Every command that names a job takes `<queue> <job-id>`, in that order.
 */
import type { Command } from "commander";
import type { JobState } from "../job.js";
import type { EnqueueOptions } from "../job-options.js";
import { type JobView, showJob } from "../job-view.js";
import type { Queue } from "../queue.js";
import { backendFor, type CommonOptions, withCommonOptions } from "./backend-option.js";
import { CliError } from "./errors.js";
import { dataSource, readJobData } from "./job-data.js";
import { jobEditCommands } from "./job-edit.js";
import { attemptsCell, attemptsText, UNKNOWN_LIMIT_NOTE } from "./job-view.js";
import { queueOf, requireJob, requireQueue, unknownJob } from "./lookup.js";
import {
  compactJson,
  humanDuration,
  isoTime,
  keyValues,
  paint,
  paintState,
  print,
  printJson,
  relativeTime,
  table,
  truncate,
} from "./output.js";
import { intParser, parseDuration, parseInteger, parseJobId, parseStates } from "./parse.js";
import { loadTasksOption, requireTaskIn, type TasksOption, withTasksOption } from "./tasks-option.js";
import { unusedWarning } from "./unused.js";

const SHOW_TASK_OPTIONS = "to show the retries, backoff, ttl and timeout jobs get from their task";

export function jobCommand(program: Command): void {
  const job = program.command("job").description("enqueue, inspect and manage jobs");

  withTasksOption(
    withCommonOptions(job.command("list").description("list a queue's jobs, newest first")),
    SHOW_TASK_OPTIONS,
  )
    .argument("<queue>", "queue name")
    .option(
      "--state <states>",
      "only jobs in these states (comma-separated, e.g. failed,expired)",
      parseStates,
    )
    .option("--limit <n>", "show at most this many", intParser(1), 50)
    .option("--asc", "oldest first")
    .action(
      async (
        name: string,
        o: CommonOptions & TasksOption & { state?: JobState[]; limit: number; asc?: boolean },
      ) => {
        const backend = await backendFor(o);
        await loadTasksOption(o, backend);
        const q = await requireQueue(backend, name);
        const records = await q.getJobs(o.state ?? [], { start: 0, end: o.limit - 1, asc: o.asc === true });
        const jobs = records.map((j) => showJob(j).view);
        if (o.json) return printJson(jobs);
        const what = o.state ? `${o.state.join(" or ")} jobs` : "jobs";
        print(
          table(
            ["ID", "STATE", "TASK", "ATTEMPTS", "PRIORITY", "CREATED", "DETAIL"],
            jobs.map((j) => [
              j.id,
              paintState(j.state),
              j.task,
              attemptsCell(j),
              String(j.priority),
              relativeTime(j.createdAt),
              detail(j),
            ]),
            `no ${what} in "${name}"`,
          ),
        );
        if (jobs.some((j) => j.maxRetries === null)) print(UNKNOWN_LIMIT_NOTE);
      },
    );

  withTasksOption(
    withCommonOptions(job.command("inspect").description("show everything about one job, with its log")),
    SHOW_TASK_OPTIONS,
  )
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .action(async (name: string, id: string, o: CommonOptions & TasksOption) => {
      const backend = await backendFor(o);
      await loadTasksOption(o, backend);
      const { view: j, fromTask } = showJob(await requireJob(backend, name, id));
      const logs = await backend.getLogs(name, id);
      if (o.json) return printJson({ ...j, logs });
      const pairs: Array<[string, string]> = [
        ["id", j.id],
        ["queue", j.queue],
        ["task", j.task],
        ["state", paintState(j.state)],
        ["attempts", attemptsText(j)],
        ["priority", String(j.priority)],
        ["created", `${isoTime(j.createdAt)} (${relativeTime(j.createdAt)})`],
      ];
      if (j.runAt !== undefined) pairs.push(["run at", `${isoTime(j.runAt)} (${relativeTime(j.runAt)})`]);
      if (j.startedAt !== undefined) pairs.push(["started", isoTime(j.startedAt)]);
      if (j.finishedAt !== undefined) {
        const took = j.startedAt !== undefined ? ` (took ${humanDuration(j.finishedAt - j.startedAt)})` : "";
        pairs.push(["finished", `${isoTime(j.finishedAt)}${took}`]);
      }
      if (j.ttl !== undefined) pairs.push(["ttl", humanDuration(j.ttl)]);
      if (j.timeout !== undefined) pairs.push(["timeout", humanDuration(j.timeout)]);
      const others = fromTask.filter((k) => k !== "retries");
      if (others.length)
        pairs.push(["from task", `${others.join(", ")} as task "${j.task}" sets them in the worker`]);
      if (j.stalledCount) pairs.push(["stalled", `${j.stalledCount} time(s)`]);
      // Every dependency, those of other queues as <queue>:<id> (as getDependants names them).
      const parents = j.parents?.map((p) => (p.queue === j.queue ? p.id : `${p.queue}:${p.id}`));
      if (parents?.length) pairs.push(["depends on", parents.join(", ")]);
      else if (j.dependsOn?.length) pairs.push(["depends on", j.dependsOn.join(", ")]);
      if (j.progress !== undefined) pairs.push(["progress", compactJson(j.progress, 200)]);
      pairs.push(["data", compactJson(j.data, 500)]);
      if (j.result !== undefined) pairs.push(["result", compactJson(j.result, 500)]);
      if (j.error) pairs.push(["error", paint("red", `${j.error.name}: ${truncate(j.error.message, 500)}`)]);
      pairs.push(["log", logs.length ? "" : "(empty)"]);
      print(keyValues(pairs));
      for (const line of logs) print(`  ${line}`);
    });

  withTasksOption(
    withCommonOptions(job.command("enqueue").description("add a job of a task to a queue")),
    "to apply the task's options now and check its name",
  )
    .argument("<queue>", "queue name")
    .argument("<task>", "task name, as registered by the worker's tasks module")
    .argument(
      "[json-data]",
      'the job\'s data as JSON, e.g. \'{"to":"ada@example.com"}\'; @file.json reads a file, - reads stdin',
    )
    .option("--data <json>", "the job's data, instead of [json-data]: JSON, @file.json or - (stdin)")
    .option("--delay <duration>", "start no sooner than this from now, e.g. 30s", parseDuration)
    .option("--priority <n>", "lower runs first (default 5)", parseInteger)
    .option("--job-id <id>", "a custom id; if it exists already nothing is enqueued", parseJobId)
    .option("--retries <n>", "retries after the first failure", intParser(0))
    .action(
      async (
        name: string,
        task: string,
        dataArgument: string | undefined,
        o: CommonOptions &
          TasksOption & {
            data?: string;
            delay?: number;
            priority?: number;
            jobId?: string;
            retries?: number;
          },
      ) => {
        const given = dataSource(dataArgument, o.data);
        const data = given === undefined ? null : await readJobData(given);
        const backend = await backendFor(o, true, true);
        await loadTasksOption(o, backend);
        requireTaskIn(o, task);
        const q = queueOf(backend, name);
        const unused = await unusedWarning(backend, name, task);
        const options: EnqueueOptions = {};
        if (o.delay !== undefined) options.delay = o.delay;
        if (o.priority !== undefined) options.priority = o.priority;
        if (o.jobId !== undefined) options.jobId = o.jobId;
        if (o.retries !== undefined) options.retries = o.retries;
        const existing = o.jobId !== undefined ? await q.getJob(o.jobId) : null;
        const id = await q.add(task, data, options);
        unused?.();
        const j = await q.getJob(id);
        const state = j?.state ?? (o.delay ? "delayed" : "waiting");
        if (o.json) return printJson({ id, queue: name, task, state, duplicate: existing !== null });
        if (existing) {
          print(`job "${id}" already exists in "${name}" (${existing.state}); nothing enqueued`);
          return;
        }
        const when = state === "delayed" && j?.runAt ? `, runs ${relativeTime(j.runAt)}` : "";
        print(`enqueued job ${id} (task "${task}") on "${name}" as ${paintState(state)}${when}`);
      },
    );

  moveCommand(job, {
    name: "retry",
    description: "put a failed, expired, cancelled or completed job back to waiting",
    move: (q, id) => q.retryJob(id, { completed: true }),
    allowed: "failed, expired, cancelled or completed",
    past: "retried",
    state: "waiting",
    done: "is waiting again (attempts reset)",
  });

  moveCommand(job, {
    name: "promote",
    description: "run a delayed job now",
    move: (q, id) => q.promoteJob(id),
    allowed: "delayed",
    past: "promoted",
    state: "waiting",
    done: "is waiting (promoted from delayed)",
  });

  withCommonOptions(job.command("remove").description("delete a job (an active one is aborted)"))
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      await requireJob(backend, name, id);
      if (!(await queueOf(backend, name).removeJob(id))) throw unknownJob(name, id);
      if (o.json) return printJson({ queue: name, id, removed: true });
      print(`job ${id} removed from "${name}"`);
    });

  moveCommand(job, {
    name: "cancel",
    description: "cancel a waiting, delayed or active job",
    move: (q, id) => q.cancelJob(id),
    allowed: "waiting, delayed or active",
    past: "cancelled",
    state: "cancelled",
    done: "cancelled",
  });

  jobEditCommands(job);
}

/** The most telling fact about a job for a list: its error, result, or when it runs. */
function detail(j: JobView): string {
  if (j.error) return paint("red", truncate(j.error.message, 50));
  if (j.state === "delayed") return `runs ${relativeTime(j.runAt)}`;
  if (j.state === "completed" && j.result !== undefined) return compactJson(j.result, 50);
  if (j.state === "active" && j.progress !== undefined) return `progress ${compactJson(j.progress, 40)}`;
  return "";
}

/** A command that moves one job to another state through the Queue API, or says why it cannot. */
function moveCommand(
  job: Command,
  spec: {
    name: string;
    description: string;
    move: (queue: Queue, id: string) => Promise<boolean>;
    /** The states the move accepts, as a phrase. */
    allowed: string;
    /** The verb's past participle, for the refusal ("retried"). */
    past: string;
    /** The state it leaves the job in (for --json). */
    state: JobState;
    done: string;
  },
): void {
  withCommonOptions(job.command(spec.name).description(spec.description))
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const j = await requireJob(backend, name, id);
      if (!(await spec.move(queueOf(backend, name), id))) {
        const now = (await backend.getJob(name, id))?.state ?? j.state;
        throw new CliError(
          `job "${id}" of "${name}" is ${now}; only ${spec.allowed} jobs can be ${spec.past}`,
        );
      }
      if (o.json) return printJson({ queue: name, id, state: spec.state });
      print(`job ${id} of "${name}" ${spec.done}`);
    });
}
