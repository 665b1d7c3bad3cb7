/**
 * `asyncmq job update-data | priority | delay`: change one job in place, through the Queue API
 * (`updateData`, `changePriority`, `changeDelay`), as an operator fixing a bad payload or reordering
 * a backlog would. Each checks the queue and the job first, so a typo fails with one clear line.
 */
import type { Command } from "commander";
import { backendFor, type CommonOptions, withCommonOptions } from "./backend-option.js";
import { command } from "./context.js";
import { CliError, UsageError } from "./errors.js";
import { dataSource, readJobData } from "./job-data.js";
import { queueOf, requireJob, unknownJob } from "./lookup.js";
import { humanDuration, paintState, print, printJson } from "./output.js";
import { parseDuration, parseInteger } from "./parse.js";

export function jobEditCommands(job: Command): void {
  withCommonOptions(
    job
      .command("update-data")
      .description("replace a job's data (a waiting job, or its next attempt, sees it)"),
  )
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .argument("[json-data]", "the new data as JSON; @file.json reads a file, - reads stdin")
    .option("--data <json>", "the new data, instead of [json-data]: JSON, @file.json or - (stdin)")
    .action(
      async (
        name: string,
        id: string,
        dataArgument: string | undefined,
        o: CommonOptions & { data?: string },
      ) => {
        const given = dataSource(dataArgument, o.data);
        if (given === undefined) {
          throw new UsageError(
            `give the new data as JSON, e.g. ${command(`job update-data ${name} ${id} '{"to":"ada@example.com"}'`)}, or with --data @file.json`,
          );
        }
        const data = await readJobData(given); // before any write: bad JSON changes nothing
        const backend = await backendFor(o);
        const j = await requireJob(backend, name, id);
        if (!(await queueOf(backend, name).updateData(id, data))) throw unknownJob(name, id);
        if (o.json) return printJson({ queue: name, id, state: j.state, data });
        print(`job ${id} of "${name}" (${paintState(j.state)}): data replaced`);
      },
    );

  withCommonOptions(
    job
      .command("priority")
      .description("set a job's priority (lower runs first; a waiting job moves at once)"),
  )
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .argument("<priority>", "an integer, lower runs first (the default is 5)", parseInteger)
    .action(async (name: string, id: string, priority: number, o: CommonOptions) => {
      const backend = await backendFor(o);
      const j = await requireJob(backend, name, id);
      if (!(await queueOf(backend, name).changePriority(id, priority))) throw unknownJob(name, id);
      if (o.json) return printJson({ queue: name, id, state: j.state, priority });
      print(`job ${id} of "${name}" (${paintState(j.state)}): priority ${j.priority} -> ${priority}`);
    });

  withCommonOptions(job.command("delay").description("make a delayed job due a duration from now"))
    .argument("<queue>", "queue name")
    .argument("<job-id>", "job id")
    .argument("<duration>", 'from now, e.g. 30s, 2h ("0" makes it due now)', parseDuration)
    .action(async (name: string, id: string, delay: number, o: CommonOptions) => {
      const backend = await backendFor(o);
      const j = await requireJob(backend, name, id);
      if (!(await queueOf(backend, name).changeDelay(id, delay))) {
        const now = (await backend.getJob(name, id))?.state ?? j.state;
        throw new CliError(
          `job "${id}" of "${name}" is ${now}; only delayed jobs can have their delay changed (run a delayed job now with: ${command(`job promote ${name} ${id}`)})`,
        );
      }
      const runAt = (await backend.getJob(name, id))?.runAt ?? null;
      if (o.json) return printJson({ queue: name, id, state: "delayed", runAt });
      print(`job ${id} of "${name}" is due ${delay > 0 ? `in ${humanDuration(delay)}` : "now"}`);
    });
}
