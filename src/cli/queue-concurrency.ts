/**
 * `asyncmq queue concurrency <queue> [n] [--clear]`: shows, sets or lifts the queue's global
 * concurrency (`queue.setGlobalConcurrency`): how many of its jobs run at once across every worker.
 */
import type { Command } from "commander";
import { backendFor, type CommonOptions, withCommonOptions } from "./backend-option.js";
import { command } from "./context.js";
import { UsageError } from "./errors.js";
import { queueOf } from "./lookup.js";
import { print, printJson } from "./output.js";
import { intParser } from "./parse.js";

export function queueConcurrencyCommand(queue: Command): void {
  withCommonOptions(
    queue
      .command("concurrency")
      .description(
        "show, set (n) or lift (--clear) how many of the queue's jobs run at once across all workers",
      ),
  )
    .argument("<queue>", "queue name")
    .argument("[n]", "the most jobs of the queue running at once, over every worker", intParser(1))
    .option("--clear", "lift the limit (each worker's own concurrency still applies)")
    .action(async (name: string, n: number | undefined, o: CommonOptions & { clear?: boolean }) => {
      if (n !== undefined && o.clear) throw new UsageError("give either a limit <n> or --clear, not both");
      const backend = await backendFor(o);
      const q = queueOf(backend, name); // like pause: a limit may be set before the queue's first job
      if (n !== undefined) await q.setGlobalConcurrency(n);
      else if (o.clear) await q.removeGlobalConcurrency();
      const limit = await q.getGlobalConcurrency();
      if (o.json) return printJson({ queue: name, globalConcurrency: limit });
      if (limit === null) {
        print(
          `queue "${name}" has no global concurrency limit (set one with: ${command(`queue concurrency ${name} <n>`)})`,
        );
      } else
        print(
          `queue "${name}" runs at most ${limit} job${limit === 1 ? "" : "s"} at once across all workers`,
        );
    });
}
