/**
 * `asyncmq worker start | list | inspect`. `start` loads the tasks module, runs one runWorker over
 * all its queues (one concurrency pool, one registry entry), logs each job's outcome, drains on
 * SIGINT/SIGTERM and exits at once on a second signal.
 */
import type { Command } from "commander";
import type { Backend, WorkerInfo } from "../backends/backend.js";
import { ValidationError } from "../errors.js";
import { events, type JobEventName, type JobEventPayload } from "../events.js";
import { configure, getSettings } from "../settings.js";
import { listTasks } from "../task.js";
import { type GivenUp, onGivenUp } from "../worker/given-up.js";
import { type RunWorkerOptions, runWorker } from "../worker/runners.js";
import { setTasksSource } from "../worker/tasks-source.js";
import { checkQueues, type WorkerQueue } from "../worker/worker-queues.js";
import {
  backendFor,
  type CommonOptions,
  chooseBackend,
  describeSource,
  openBackend,
  shownUrl,
  withCommonOptions,
} from "./backend-option.js";
import { handStopSignals } from "./early-signals.js";
import { CliError, EXIT_FAILURE, oneLine } from "./errors.js";
import { withLogOptions } from "./log-options.js";
import {
  compactJson,
  humanDuration,
  isoTime,
  keyValues,
  paint,
  print,
  printJson,
  printJsonLine,
  relativeTime,
  type Style,
  table,
  truncate,
  warn,
} from "./output.js";
import { intParser, parseDuration, parseRateScope } from "./parse.js";
import { loadTasksModule } from "./tasks-module.js";

interface StartOptions extends CommonOptions {
  tasks: string;
  concurrency?: number;
  rateLimit?: number;
  rateInterval?: number;
  rateScope?: "worker" | "queue";
  scanInterval?: number;
  shutdownGrace?: number;
}

export function workerCommand(program: Command): void {
  const worker = program.command("worker").description("run workers and see the live ones");

  withLogOptions(
    withCommonOptions(
      worker.command("start").description("run a worker on one or more queues until SIGINT/SIGTERM"),
    ),
  )
    .argument(
      "<queue...>",
      "queues to work on, each as name or name:weight (its weight in the turns of --concurrency)",
    )
    .requiredOption(
      "--tasks <module>",
      "module that defines the tasks (.js/.mjs, or .ts through tsx: npm install tsx)",
    )
    .option(
      "--concurrency <n>",
      "jobs run at once, over all the queues (default ASYNCMQ_CONCURRENCY or 3)",
      intParser(1),
    )
    .option("--rate-limit <n>", "at most this many job starts per --rate-interval (0 blocks)", intParser(0))
    .option("--rate-interval <duration>", "the rate limit's window (default 1s)", parseDuration)
    .option(
      "--rate-scope <scope>",
      "worker: a bucket per worker; queue: one bucket for all workers",
      parseRateScope,
    )
    .option(
      "--scan-interval <duration>",
      "longest sleep of the maintenance loops (default 1s)",
      parseDuration,
    )
    .option(
      "--shutdown-grace <duration>",
      "how long running jobs may finish after a stop signal (default 10s)",
      parseDuration,
    )
    .addHelpText(
      "after",
      "\nThe worker prints one line per job (--json: one JSON object per line). The first SIGINT/SIGTERM\nstops claiming and lets running jobs finish; a second one exits at once.",
    )
    .action(startWorker);

  withCommonOptions(worker.command("list").description("list the live workers (by heartbeat)")).action(
    async (o: CommonOptions) => {
      const backend = await backendFor(o);
      const workers = (await backend.workers?.list(Date.now())) ?? [];
      if (o.json) return printJson(workers);
      print(
        table(
          ["ID", "QUEUES", "HOST", "PID", "CONCURRENCY", "ACTIVE", "STARTED", "LAST SEEN"],
          workers.map((w) => [
            w.id,
            w.queues.join(","),
            w.host,
            String(w.pid),
            String(w.concurrency),
            String(w.active),
            relativeTime(w.startedAt),
            relativeTime(w.heartbeatAt),
          ]),
          "no live workers (start one with: asyncmq worker start <queue> --tasks <module>)",
        ),
      );
    },
  );

  withCommonOptions(worker.command("inspect").description("show one live worker"))
    .argument("<worker-id>", "worker id (see worker list)")
    .action(async (id: string, o: CommonOptions) => {
      const backend = await backendFor(o);
      const workers = (await backend.workers?.list(Date.now())) ?? [];
      const w = workers.find((x) => x.id === id);
      if (!w) {
        throw new CliError(
          `no live worker "${id}" on this backend; run "asyncmq worker list" to see the worker ids`,
        );
      }
      if (o.json) return printJson(w);
      print(describeWorker(w));
    });
}

function describeWorker(w: WorkerInfo): string {
  return keyValues([
    ["id", w.id],
    ["queues", w.queues.join(", ")],
    ["host", w.host],
    ["pid", String(w.pid)],
    ["concurrency", String(w.concurrency)],
    ["active jobs", String(w.active)],
    ["started", `${isoTime(w.startedAt)} (${relativeTime(w.startedAt)})`],
    ["last heartbeat", `${isoTime(w.heartbeatAt)} (${relativeTime(w.heartbeatAt)})`],
  ]);
}

async function startWorker(args: string[], o: StartOptions): Promise<void> {
  const specs = args.map(workerQueue);
  checkQueues(specs); // a repeated or bad name: a usage error before anything starts
  const queues = specs.map((q) => q.name);
  const controller = new AbortController();
  let log: ReturnType<typeof jobLogger> | undefined;
  let stopping = false;
  let crashed = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(
        o.json,
        { event: "worker:exit-now", signal },
        `received ${signal} again: exiting now; unfinished jobs go back to their queues when their leases expire`,
      );
      process.exit(EXIT_FAILURE);
    }
    stopping = true;
    const grace = o.shutdownGrace ?? getSettings().shutdownGrace;
    const running = log?.running() ?? 0;
    say(
      o.json,
      { event: "worker:stopping", signal, running },
      log
        ? `received ${signal}: finishing ${running} running job(s) (up to ${humanDuration(grace)}), then exiting; send it again to exit now`
        : `received ${signal} while starting: not starting the worker; exiting; send it again to exit now`,
    );
    controller.abort(new Error(`worker stopped by ${signal}`));
  };
  const onCrash = (err: unknown) => {
    process.stderr.write(`error: uncaught error in task code: ${oneLine(err)}; stopping the worker\n`);
    crashed = true;
    if (!stopping) {
      stopping = true;
      controller.abort(err);
    }
  };
  // Before anything slow (opening the backend, importing the tasks module): a stop signal sent
  // meanwhile ends the start cleanly (main.ts held the ones sent even earlier).
  const releaseSignals = handStopSignals(onSignal);
  try {
    const choice = await chooseBackend(o);
    const backend = await openBackend(choice, true);
    // Everything in this process (the tasks module's own task.enqueue, new Queue(...)) uses this backend.
    configure({ backend: choice.url });
    if (!stopping) {
      await loadTasksModule(o.tasks);
      setTasksSource(o.tasks);
    }
    if (stopping) {
      say(o.json, { event: "worker:stopped" }, "worker stopped");
      return;
    }

    const registered = listTasks();
    if (!queues.some((q) => registered.some((t) => t.queue === q))) {
      // Every job would fail for good ("no task named ..."): refuse rather than run.
      const names = registered.map((t) => `${t.name} (queue "${t.queue}")`).join(", ") || "none";
      throw new CliError(
        `no task in ${o.tasks} is bound to ${queues.map((q) => `"${q}"`).join(" or ")} (tasks registered: ${names}); bind one with task(name, { queue }) in that module, make it import the asyncmq of this project, or start the worker on the right queue`,
      );
    }
    for (const q of queues) {
      if (!registered.some((t) => t.queue === q)) {
        warn(
          `no task in ${o.tasks} is bound to queue "${q}"; its jobs fail unless their task is registered (check the module imports this asyncmq)`,
        );
      }
    }

    log = jobLogger(new Set(queues), o.json === true, backend);
    process.on("uncaughtException", onCrash);
    process.on("unhandledRejection", onCrash);

    const options: RunWorkerOptions = { backend: choice.url, signal: controller.signal };
    if (o.concurrency !== undefined) options.concurrency = o.concurrency;
    if (o.rateLimit !== undefined) options.rateLimit = o.rateLimit;
    if (o.rateInterval !== undefined) options.rateInterval = o.rateInterval;
    if (o.rateScope !== undefined) options.rateScope = o.rateScope;
    if (o.scanInterval !== undefined) options.scanInterval = o.scanInterval;
    if (o.shutdownGrace !== undefined) options.shutdownGrace = o.shutdownGrace;

    const tasks = registered.map((t) => t.name).sort();
    const concurrency = o.concurrency ?? getSettings().concurrency;
    // The URL may hold a password: the banner shows it without, as error messages do.
    const shown = shownUrl(choice);
    say(
      o.json,
      { event: "worker:started", pid: process.pid, queues, tasks, backend: shown, concurrency },
      `worker started (pid ${process.pid}) on ${queues.map((q) => `"${q}"`).join(", ")} with concurrency ${concurrency}; ` +
        `${tasks.length} task(s): ${tasks.join(", ") || "none"}; backend ${shown} (${describeSource(choice)}); Ctrl+C to stop`,
    );
    await runWorker(specs, options);
    say(o.json, { event: "worker:stopped" }, "worker stopped");
    if (crashed) process.exitCode = EXIT_FAILURE;
  } finally {
    log?.stop();
    releaseSignals();
    process.off("uncaughtException", onCrash);
    process.off("unhandledRejection", onCrash);
  }
}

/** A queue argument: `name`, or `name:weight` (a queue name cannot hold ":"). */
function workerQueue(arg: string): WorkerQueue {
  const at = arg.lastIndexOf(":");
  if (at < 0) return { name: arg };
  const weight = arg.slice(at + 1);
  if (!/^[0-9]+$/.test(weight)) {
    throw new ValidationError(
      `queue argument "${arg}": the part after ":" is the queue's weight, an integer >= 1, like ${arg.slice(0, at)}:2`,
    );
  }
  return { name: arg.slice(0, at), weight: Number(weight) };
}

function say(json: boolean | undefined, record: Record<string, unknown>, text: string): void {
  if (json) printJsonLine({ time: new Date().toISOString(), ...record });
  else print(`${paint("dim", clock())} ${text}`);
}

function clock(): string {
  return new Date().toISOString().slice(11, 23);
}

const LOGGED: Array<[JobEventName, string, Style | null]> = [
  ["job:started", "started", null],
  ["job:completed", "completed", "green"],
  ["job:retrying", "retrying", "yellow"],
  ["job:failed", "failed", "red"],
  ["job:expired", "expired", "magenta"],
  ["job:cancelled", "cancelled", "gray"],
  ["job:stalled", "stalled", "yellow"],
];

/**
 * Prints one line per job event of `queues`, and per running job this process gave up (cancelled,
 * removed, its lease lost, handed back at shutdown: no job event reaches this process for those);
 * tracks the running jobs for the shutdown message.
 */
function jobLogger(
  queues: Set<string>,
  json: boolean,
  backend: Backend,
): { running: () => number; stop: () => void } {
  const started = new Map<string, number>();
  // Jobs whose give-up line is printed, so the job:cancelled of a cancel made here is not a second line.
  const givenUp = new Set<string>();
  const line = (event: string, label: string, style: Style | null, p: JobEventPayload, extra: string) => {
    const key = `${p.queue}#${p.jobId}`;
    const now = Date.now();
    const since = started.get(key);
    if (event === "job:started") started.set(key, now);
    else started.delete(key);
    if (json) {
      const { error, ...rest } = p;
      printJsonLine({
        time: new Date(now).toISOString(),
        event,
        ...rest,
        ...(error ? { error: { name: error.name, message: error.message } } : {}),
        ...(since !== undefined && event !== "job:started" ? { durationMs: now - since } : {}),
      });
      return;
    }
    const word = (style ? paint(style, label) : label) + " ".repeat(Math.max(0, 9 - label.length));
    const took = since !== undefined && event !== "job:started" ? ` in ${humanDuration(now - since)}` : "";
    print(`${paint("dim", clock())} ${word} ${key} ${p.task ?? ""}${took}${extra}`);
  };
  const listeners: Array<[JobEventName, (p: JobEventPayload) => void]> = [];
  for (const [name, label, style] of LOGGED) {
    const listener = (p: JobEventPayload) => {
      if (!queues.has(p.queue) || p.jobId === undefined) return;
      if (name === "job:cancelled" && givenUp.delete(`${p.queue}#${p.jobId}`)) return;
      line(name, label, style, p, describe(name, p, Date.now()));
    };
    listeners.push([name, listener]);
    events.on(name, listener);
  }
  const stopGivenUp = onGivenUp((attempt) => {
    if (!queues.has(attempt.queue)) return;
    void givenUpLine(backend, attempt).then(([event, label, why]) => {
      const key = `${attempt.queue}#${attempt.jobId}`;
      if (!started.has(key)) return; // already logged by its job:cancelled event
      if (event === "job:cancelled") givenUp.add(key);
      const p: JobEventPayload = {
        queue: attempt.queue,
        jobId: attempt.jobId,
        task: attempt.task,
        reason: why,
      };
      line(event, label, event === "job:cancelled" ? "gray" : "yellow", p, `: ${why}`);
    });
  });
  return {
    running: () => started.size,
    stop: () => {
      for (const [name, listener] of listeners) events.off(name, listener);
      stopGivenUp();
    },
  };
}

/** The event name (for --json), label and words of a given-up attempt's line. */
async function givenUpLine(backend: Backend, attempt: GivenUp): Promise<[string, string, string]> {
  switch (attempt.cause) {
    case "shutdown":
      return ["job:handed-back", "handed back", attempt.reason];
    case "cancelled":
      return ["job:cancelled", "cancelled", "while running; its handler's signal was aborted"];
    case "lost": {
      // Another process moved the job: its state says whether it was cancelled, removed or recovered.
      const job = await backend.getJob(attempt.queue, attempt.jobId).catch(() => undefined);
      if (job?.state === "cancelled") {
        return [
          "job:cancelled",
          "cancelled",
          "while running (by another process); its handler's signal was aborted",
        ];
      }
      if (job === null) {
        return [
          "job:removed",
          "removed",
          "while running (by another process); its handler's signal was aborted",
        ];
      }
      return ["job:lost", "lost", `${attempt.reason}; its handler's signal was aborted`];
    }
  }
}

function describe(name: JobEventName, p: JobEventPayload, now: number): string {
  const message = p.error ? truncate(p.error.message, 200) : "";
  switch (name) {
    case "job:started":
      return p.attempts !== undefined ? ` (attempt ${p.attempts})` : "";
    case "job:completed":
      return p.result !== undefined ? ` -> ${compactJson(p.result, 80)}` : "";
    case "job:retrying":
      return `: ${message}${p.runAt !== undefined ? `; ${nextAttempt(p.runAt, now)}` : ""}`;
    case "job:failed":
    case "job:stalled":
      return message ? `: ${message}` : "";
    default:
      return "";
  }
}

/** When a retry runs: its backoff from now, to the tenth of a second, and the time of day. */
function nextAttempt(runAt: number, now: number): string {
  const delay = runAt - now;
  if (delay <= 0) return "next attempt now";
  const wait =
    delay >= 1000 && delay < 60_000 ? `${Number((delay / 1000).toFixed(1))}s` : humanDuration(delay);
  return `next attempt in ${wait} (at ${new Date(runAt).toISOString().slice(11, 23)})`;
}
