/**
 * The `asyncmq` command line. One file per command group; this file wires them together and owns
 * the exit codes: 0 ok, 1 failure, 2 usage. Every error is one line on stderr, never a stack trace.
 * `main.ts` is the executable that runs it.
 */
import { Command, CommanderError } from "commander";
import { BACKEND_URL_FORMS } from "./backend-help.js";
import { closeBackends } from "./backend-option.js";
import { dashboardCommand } from "./dashboard.js";
import { EXIT_OK, EXIT_USAGE, exitCodeOf, oneLine } from "./errors.js";
import { infoCommand, packageVersion } from "./info.js";
import { jobCommand } from "./job.js";
import { paint } from "./output.js";
import { queueCommand } from "./queue.js";
import { workerCommand } from "./worker.js";

export function buildProgram(): Command {
  const program = new Command("asyncmq")
    .description("asyncmq: run workers and manage queues and jobs")
    .version(packageVersion(), "-V, --version", "print the version")
    .helpCommand(true)
    .exitOverride()
    .showSuggestionAfterError(true)
    // `asyncmq --backend URL job list q` works as well as `asyncmq job list q --backend URL`.
    .enablePositionalOptions()
    .option("--backend <url>", `backend URL for the command: ${BACKEND_URL_FORMS} (see below)`)
    .option("--json", "print JSON instead of text")
    .hook("preAction", (root, action) => {
      for (const [key, value] of Object.entries(root.opts())) {
        if (value !== undefined && action.getOptionValue(key) === undefined)
          action.setOptionValue(key, value);
      }
    })
    .addHelpText(
      "after",
      "\nEvery command takes --backend URL (else ASYNCMQ_BACKEND, else asyncmq.config.{js,mjs,json},\nelse sqlite://./.asyncmq/asyncmq.db) and --json. Exit codes: 0 ok, 1 failure, 2 usage.",
    );
  workerCommand(program);
  queueCommand(program);
  jobCommand(program);
  infoCommand(program);
  dashboardCommand(program);
  configureErrors(program, "asyncmq");
  return program;
}

/** Commander's own errors (unknown command or option, missing argument, bad value): one line each, naming the help to read. */
function configureErrors(cmd: Command, path: string): void {
  cmd.configureOutput({
    outputError: (text, write) => {
      const message = text
        .replace(/^error:\s*/i, "")
        .replace(/\s*\n\s*/g, " ")
        .trim()
        .replace(/[.\s]+$/, "");
      write(`${paint("red", "error:", process.stderr)} ${message}; see "${path} --help"\n`);
    },
  });
  for (const sub of cmd.commands) configureErrors(sub, `${path} ${sub.name()}`);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with 0; a group without its subcommand shows help: usage.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT_OK;
      return err.exitCode === 0 && err.code !== "commander.help" ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`${paint("red", "error:", process.stderr)} ${oneLine(err)}\n`);
    return exitCodeOf(err);
  } finally {
    await closeBackends();
  }
}
