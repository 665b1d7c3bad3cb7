/**
 * The `asyncmq` command line. One file per command group; this file wires them together and owns
 * the exit codes: 0 ok, 1 failure, 2 usage. Every error is one line on stderr, never a stack trace.
 * `main.ts` is the executable that runs it.
 */
import { Command, CommanderError } from "commander";
import { BACKEND_URL_FORMS } from "./backend-help.js";
import { closeBackends } from "./backend-option.js";
import { jsonMode, setBackendFlag, setJsonMode } from "./context.js";
import { dashboardCommand } from "./dashboard.js";
import { EXIT_OK, EXIT_USAGE, exitCodeOf, oneLine } from "./errors.js";
import { infoCommand, packageVersion } from "./info.js";
import { jobCommand } from "./job.js";
import { applyLogOptions, withLogOptions } from "./log-options.js";
import { paint } from "./output.js";
import { queueCommand } from "./queue.js";
import { suggestion } from "./suggest.js";
import { workerCommand } from "./worker.js";

export function buildProgram(): Command {
  const program = withLogOptions(new Command("asyncmq"))
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
      setBackendFlag(action.getOptionValue("backend") as string | undefined);
      applyLogOptions(action.opts());
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

/**
 * Commander's own errors (unknown command or option, missing argument, bad value): one line each,
 * naming the command meant when commander has no close match, and the help to read.
 */
function configureErrors(cmd: Command, path: string): void {
  cmd.configureOutput({
    outputError: (text) => {
      let message = text
        .replace(/^error:\s*/i, "")
        .replace(/\s*\n\s*/g, " ")
        .trim()
        .replace(/[.\s]+$/, "");
      const unknown = /^unknown command '([^']+)'/.exec(message)?.[1];
      if (unknown !== undefined && !/did you mean/i.test(message)) message += suggestion(path, unknown);
      reportError(`${message}; see "${path} --help"`, EXIT_USAGE);
    },
  });
  for (const sub of cmd.commands) configureErrors(sub, `${path} ${sub.name()}`);
}

/** An error on stderr: `error: <message>`, or with --json one JSON object `{ error, exitCode }`. */
function reportError(message: string, exitCode: number): void {
  if (jsonMode()) process.stderr.write(`${JSON.stringify({ error: message, exitCode })}\n`);
  else process.stderr.write(`${paint("red", "error:", process.stderr)} ${message}\n`);
}

export async function main(argv: string[]): Promise<number> {
  setJsonMode(argv);
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
    const code = exitCodeOf(err);
    reportError(oneLine(err), code);
    return code;
  } finally {
    await closeBackends();
  }
}
