/**
 * `asyncmq queue ...`: list, info, stats (queue-stats.ts), concurrency (queue-concurrency.ts), pause,
 * resume, drain, clean, obliterate, retry, promote, and the delayed and repeatable views. Read commands
 * (info, list-delayed, list-repeatables, ...) fail on a queue the backend does not know; pause, resume,
 * drain, clean, obliterate and concurrency do not (they are idempotent, and a queue may be paused or
 * limited before its first job).
 */
import type { Command } from "commander";
import type { Backend } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { JOB_STATES, type JobState } from "../job.js";
import type { Queue } from "../queue.js";
import type { RepeatableInfo } from "../schedule/repeatable-def.js";
import { backendFor, type CommonOptions, withCommonOptions } from "./backend-option.js";
import { promoteInBatches, type RetryableState, removeInBatches, retryInBatches } from "./batches.js";
import { command } from "./context.js";
import { CliError, UsageError } from "./errors.js";
import { queueOf, requireJob, requireQueue } from "./lookup.js";
import {
  compactJson,
  humanDuration,
  isoTime,
  keyValues,
  ProgressLine,
  paint,
  print,
  printJson,
  relativeTime,
  table,
} from "./output.js";
import { intParser, parseDuration, parseState, parseStates } from "./parse.js";
import { queueConcurrencyCommand } from "./queue-concurrency.js";
import { queueStatsCommand } from "./queue-stats.js";

const COUNT_COLUMNS: JobState[] = ["waiting", "active", "delayed", "completed", "failed"];
/** The states `queue retry` takes by default: the dead-letter list. */
const DEAD_LETTERS: RetryableState[] = ["failed", "expired", "cancelled"];
/** The states `queue retry --state` accepts: the finished ones. */
const RETRYABLE: RetryableState[] = [...DEAD_LETTERS, "completed"];

export function queueCommand(program: Command): void {
  const queue = program.command("queue").description("inspect and manage queues");

  withCommonOptions(queue.command("list").description("list the queues with their job counts")).action(
    async (o: CommonOptions) => {
      const backend = await backendFor(o);
      const names = (await backend.listQueues()).sort();
      const rows = await Promise.all(
        names.map(async (name) => ({
          name,
          paused: await backend.isPaused(name),
          counts: await backend.getJobCounts(name),
        })),
      );
      if (o.json) return printJson(rows);
      print(
        table(
          ["QUEUE", "STATUS", ...COUNT_COLUMNS.map((s) => s.toUpperCase()), "OTHER"],
          rows.map((r) => [
            r.name,
            r.paused ? paint("yellow", "paused") : "running",
            ...COUNT_COLUMNS.map((s) => String(r.counts[s] ?? 0)),
            String(otherCount(r.counts)),
          ]),
          `no queues yet (enqueue a job with: ${command("job enqueue <queue> <task>")})`,
        ),
      );
    },
  );

  withCommonOptions(
    queue.command("info").description("show a queue's counts, pause state, repeatables and workers"),
  )
    .argument("<queue>", "queue name")
    .action(async (name: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = await requireQueue(backend, name);
      const [paused, counts, repeatables, workers, globalConcurrency] = await Promise.all([
        q.isPaused(),
        q.getJobCounts(),
        q.listRepeatables(),
        backend.workers?.list(Date.now()) ?? [],
        q.getGlobalConcurrency(),
      ]);
      const mine = workers.filter((w) => w.queues.includes(name));
      if (o.json) {
        return printJson({
          name,
          paused,
          counts,
          repeatables: repeatables.length,
          workers: mine,
          globalConcurrency,
        });
      }
      print(
        keyValues([
          ["queue", name],
          ["status", paused ? paint("yellow", "paused") : "running"],
          ["global concurrency", globalConcurrency === null ? "none" : String(globalConcurrency)],
          ...JOB_STATES.map((s): [string, string] => [s, String(counts[s] ?? 0)]),
          ["repeatables", String(repeatables.length)],
          ["workers", mine.length ? mine.map((w) => w.id).join(", ") : "none"],
        ]),
      );
    });

  queueStatsCommand(queue);
  queueConcurrencyCommand(queue);

  withCommonOptions(queue.command("pause").description("stop every worker of the queue from starting jobs"))
    .argument("<queue>", "queue name")
    .action(async (name: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = queueOf(backend, name);
      await q.pause();
      if (o.json) return printJson({ queue: name, paused: true });
      print(
        `queue "${name}" paused; running jobs finish, no new ones start (resume with: ${command(`queue resume ${name}`)})`,
      );
    });

  withCommonOptions(queue.command("resume").description("let workers start jobs of the queue again"))
    .argument("<queue>", "queue name")
    .action(async (name: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = queueOf(backend, name);
      await q.resume();
      if (o.json) return printJson({ queue: name, paused: false });
      print(`queue "${name}" resumed`);
    });

  withCommonOptions(
    queue.command("drain").description("remove the queue's waiting jobs (and delayed ones with --delayed)"),
  )
    .argument("<queue>", "queue name")
    .option("--delayed", "remove delayed jobs too")
    .action(async (name: string, o: CommonOptions & { delayed?: boolean }) => {
      const backend = await backendFor(o);
      const q = queueOf(backend, name);
      const states: JobState[] = o.delayed ? ["waiting", "delayed"] : ["waiting"];
      const counts = await q.getJobCounts();
      const total = states.reduce((n, s) => n + counts[s], 0);
      const progress = new ProgressLine(!o.json);
      let removed: number;
      try {
        const what = `draining "${name}"`;
        removed = (await removeInBatches(q, states, { progress, what, total })).length;
        // What the batches left (jobs added meanwhile, or created in the same millisecond), at once.
        removed += await q.drain({ includeDelayed: o.delayed === true });
      } finally {
        progress.done();
      }
      if (o.json) return printJson({ queue: name, removed, includeDelayed: o.delayed === true });
      print(
        `removed ${removed} ${o.delayed ? "waiting and delayed" : "waiting"} job${removed === 1 ? "" : "s"} from "${name}"`,
      );
    });

  withCommonOptions(queue.command("clean").description("remove jobs in one state older than a grace period"))
    .argument("<queue>", "queue name")
    .requiredOption(
      "--state <state>",
      `state to clean: ${JOB_STATES.filter((s) => s !== "active").join(", ")}`,
      parseState,
    )
    .option(
      "--grace <duration>",
      "only jobs finished (or created) longer ago than this, e.g. 1h",
      parseDuration,
      0,
    )
    .option("--limit <n>", "remove at most this many", intParser(1))
    .action(async (name: string, o: CommonOptions & { state: JobState; grace: number; limit?: number }) => {
      const backend = await backendFor(o);
      const q = queueOf(backend, name); // idempotent like drain: an unknown queue has nothing to clean
      const inState = (await q.getJobCounts())[o.state];
      const total = Math.min(inState, o.limit ?? inState);
      const progress = new ProgressLine(!o.json);
      let ids: string[];
      try {
        // With a grace, some of them may be too young: the count is then an upper bound.
        const what = `cleaning ${o.state} jobs of "${name}"${o.grace > 0 ? " (at most)" : ""}`;
        ids = await removeInBatches(q, [o.state], { progress, what, total }, o);
      } finally {
        progress.done();
      }
      if (o.json) return printJson({ queue: name, state: o.state, removed: ids.length, ids });
      const age = o.grace > 0 ? ` older than ${humanDuration(o.grace)}` : "";
      print(`removed ${ids.length} ${o.state} job${ids.length === 1 ? "" : "s"}${age} from "${name}"`);
    });

  withCommonOptions(queue.command("obliterate").description("remove the queue and everything in it"))
    .argument("<queue>", "queue name")
    .option("--force", "even while jobs are active")
    .action(async (name: string, o: CommonOptions & { force?: boolean }) => {
      const backend = await backendFor(o);
      const q = queueOf(backend, name);
      const refused = new CliError(
        `queue "${name}" has active jobs, so it was not obliterated; stop its workers first or pass --force`,
      );
      const counts = await q.getJobCounts();
      if (counts.active > 0 && !o.force) throw refused;
      // The jobs first, in counted batches; then what is left (active jobs, repeatables, flags).
      const states = JOB_STATES.filter((s) => s !== "active");
      const total = states.reduce((n, s) => n + counts[s], 0);
      const progress = new ProgressLine(!o.json);
      let removed: number;
      try {
        removed = (await removeInBatches(q, states, { progress, what: `obliterating "${name}"`, total }))
          .length;
        await q.obliterate({ force: o.force === true });
      } catch (err) {
        if (err instanceof ValidationError) throw refused;
        throw err;
      } finally {
        progress.done();
      }
      removed += counts.active;
      if (o.json) return printJson({ queue: name, obliterated: true, removed });
      print(`queue "${name}" obliterated (${removed} job${removed === 1 ? "" : "s"} removed)`);
    });

  withCommonOptions(
    queue
      .command("retry")
      .description(
        "put the queue's dead letters (failed, expired, cancelled), or completed jobs, back to waiting",
      ),
  )
    .argument("<queue>", "queue name")
    .option(
      "--state <states>",
      "only jobs in these states (comma-separated: failed, expired, cancelled, completed; default failed,expired,cancelled)",
      parseStates,
    )
    .option("--limit <n>", "retry at most this many", intParser(1))
    .action(async (name: string, o: CommonOptions & { state?: JobState[]; limit?: number }) => {
      const backend = await backendFor(o);
      const q = await requireQueue(backend, name);
      const states = o.state ?? DEAD_LETTERS;
      const wrong = states.filter((s) => !RETRYABLE.includes(s as RetryableState));
      if (wrong.length) {
        throw new UsageError(
          `only failed, expired, cancelled and completed jobs can be retried, not ${wrong.join(", ")}; leave out --state for the first three`,
        );
      }
      const counts = await q.getJobCounts();
      const found = states.reduce((n, s) => n + counts[s], 0);
      const total = Math.min(found, o.limit ?? found);
      const progress = new ProgressLine(!o.json);
      let retried: number;
      try {
        const what = `retrying jobs of "${name}"`;
        retried = await retryInBatches(q, states as RetryableState[], { progress, what, total }, total);
      } finally {
        progress.done();
      }
      if (o.json) return printJson({ queue: name, states, retried });
      print(
        `retried ${retried} ${states.join(", ")} job${retried === 1 ? "" : "s"} of "${name}": waiting again, attempts reset`,
      );
    });

  withCommonOptions(
    queue.command("promote").description("run the queue's delayed jobs now, soonest due first"),
  )
    .argument("<queue>", "queue name")
    .option("--limit <n>", "promote at most this many", intParser(1))
    .action(async (name: string, o: CommonOptions & { limit?: number }) => {
      const backend = await backendFor(o);
      const q = await requireQueue(backend, name);
      const delayed = (await q.getJobCounts()).delayed;
      const total = Math.min(delayed, o.limit ?? delayed);
      const progress = new ProgressLine(!o.json);
      let promoted: number;
      try {
        const what = `promoting delayed jobs of "${name}"`;
        promoted = await promoteInBatches(q, { progress, what, total }, total);
      } finally {
        progress.done();
      }
      if (o.json) return printJson({ queue: name, promoted });
      print(`promoted ${promoted} delayed job${promoted === 1 ? "" : "s"} of "${name}": waiting now`);
    });

  withCommonOptions(queue.command("list-delayed").description("list the queue's delayed jobs, soonest first"))
    .argument("<queue>", "queue name")
    .option("--limit <n>", "show at most this many", intParser(1), 100)
    .action(async (name: string, o: CommonOptions & { limit: number }) => {
      const backend = await backendFor(o);
      const q = await requireQueue(backend, name);
      const jobs = await q.getJobs(["delayed"], { start: 0, end: -1, asc: true });
      jobs.sort((a, b) => (a.runAt ?? 0) - (b.runAt ?? 0));
      const shown = jobs.slice(0, o.limit);
      if (o.json) return printJson(shown);
      print(
        table(
          ["ID", "TASK", "RUNS", "RUN AT", "PRIORITY", "ATTEMPTS", "DATA"],
          shown.map((j) => [
            j.id,
            j.task,
            relativeTime(j.runAt),
            isoTime(j.runAt),
            String(j.priority),
            String(j.attempts),
            compactJson(j.data, 40),
          ]),
          `no delayed jobs in "${name}"`,
        ),
      );
      if (jobs.length > shown.length)
        print(paint("dim", `… and ${jobs.length - shown.length} more (--limit)`));
    });

  withCommonOptions(queue.command("remove-delayed").description("remove one delayed job"))
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const job = await requireJob(backend, name, id);
      if (job.state !== "delayed") {
        throw new CliError(
          `job "${id}" of "${name}" is ${job.state}, not delayed; use "${command(`job remove ${name} ${id}`)}" to remove it anyway`,
        );
      }
      const removed = await backend.removeJob(name, id, Date.now());
      if (!removed) throw new CliError(`job "${id}" of "${name}" was removed by someone else meanwhile`);
      if (o.json) return printJson({ queue: name, id, removed: true });
      print(`removed delayed job "${id}" from "${name}"`);
    });

  withCommonOptions(
    queue.command("list-repeatables").description("list the queue's durable repeatable definitions"),
  )
    .argument("<queue>", "queue name")
    .action(async (name: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = await requireQueue(backend, name);
      const list = await q.listRepeatables();
      if (o.json) return printJson(list);
      print(
        table(
          ["ID", "TASK", "SCHEDULE", "STATUS", "NEXT RUN", "DATA"],
          list.map((r) => [
            r.id,
            r.def.task,
            schedule(r),
            r.ended ? `ended (${r.runs} runs)` : r.paused ? paint("yellow", "paused") : "active",
            r.paused || r.ended ? "-" : `${relativeTime(r.nextRun)} (${isoTime(r.nextRun)})`,
            compactJson(r.def.data, 40),
          ]),
          `no repeatables in "${name}"`,
        ),
      );
    });

  withCommonOptions(queue.command("pause-repeatable").description("stop a repeatable from firing"))
    .argument("<queue>", "queue name")
    .argument("<id>", "repeatable id (see list-repeatables)")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = await requireRepeatable(backend, name, id);
      await q.pauseRepeatable(id);
      if (o.json) return printJson({ queue: name, id, paused: true });
      print(`repeatable "${id}" of "${name}" paused`);
    });

  withCommonOptions(queue.command("resume-repeatable").description("let a paused repeatable fire again"))
    .argument("<queue>", "queue name")
    .argument("<id>", "repeatable id (see list-repeatables)")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = await requireRepeatable(backend, name, id);
      const nextRun = await q.resumeRepeatable(id);
      if (o.json) return printJson({ queue: name, id, paused: false, nextRun });
      print(
        `repeatable "${id}" of "${name}" resumed; next run ${relativeTime(nextRun)} (${isoTime(nextRun)})`,
      );
    });

  withCommonOptions(queue.command("remove-repeatable").description("delete a repeatable definition"))
    .argument("<queue>", "queue name")
    .argument("<id>", "repeatable id (see list-repeatables)")
    .action(async (name: string, id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const q = await requireRepeatable(backend, name, id);
      if (!(await q.removeRepeatable(id))) throw unknownRepeatable(name, id);
      if (o.json) return printJson({ queue: name, id, removed: true });
      print(`repeatable "${id}" removed from "${name}"`);
    });
}

async function requireRepeatable(backend: Backend, name: string, id: string): Promise<Queue> {
  const q = await requireQueue(backend, name);
  const list = await q.listRepeatables();
  if (!list.some((r) => r.id === id)) throw unknownRepeatable(name, id);
  return q;
}

function unknownRepeatable(name: string, id: string): CliError {
  return new CliError(
    `queue "${name}" has no repeatable "${id}"; run "${command(`queue list-repeatables ${name}`)}" to see the ids`,
  );
}

function schedule(r: RepeatableInfo): string {
  const def = r.def;
  if (def.cron) return `cron ${def.cron}${def.tz ? ` ${def.tz}` : ""}`;
  if (def.every !== undefined) {
    return `every ${typeof def.every === "number" ? humanDuration(def.every) : def.every}`;
  }
  return "-";
}

function otherCount(counts: Record<JobState, number>): number {
  return JOB_STATES.filter((s) => !COUNT_COLUMNS.includes(s)).reduce((n, s) => n + (counts[s] ?? 0), 0);
}
