/**
 * `asyncmq dashboard`: serves the web dashboard until SIGINT/SIGTERM, then closes it (the backend
 * is closed by the program on the way out). Usage errors (both --auth and --token, a bad port, a
 * non-loopback --host without either) exit 2.
 */
import { type Command, InvalidArgumentError } from "commander";
import type { RunningDashboard } from "../dashboard/server.js";
import { ValidationError } from "../errors.js";
import {
  type CommonOptions,
  chooseBackend,
  describeSource,
  openBackend,
  shownUrl,
  withCommonOptions,
} from "./backend-option.js";
import { CliError, oneLine, UsageError } from "./errors.js";
import { withLogOptions } from "./log-options.js";
import { print, printJsonLine, warn } from "./output.js";
import { intParser } from "./parse.js";

interface DashboardCliOptions extends CommonOptions {
  port: number;
  host: string;
  readOnly?: boolean;
  auth?: string;
  token?: string;
  basePath?: string;
}

export function dashboardCommand(program: Command): void {
  withLogOptions(
    withCommonOptions(
      program.command("dashboard").description("serve the web dashboard: queues, jobs, live counts, metrics"),
    ),
  )
    .option("--port <n>", "TCP port", port, 7070)
    .option("--host <address>", "address to bind; anything but loopback needs --auth or --token", "127.0.0.1")
    .option("--read-only", "show everything, allow no action")
    .option("--auth <user:pass>", "require HTTP Basic auth (default: ASYNCMQ_DASHBOARD_AUTH)")
    .option(
      "--token <token>",
      "require this token: Bearer header or login form (default: ASYNCMQ_DASHBOARD_TOKEN)",
    )
    .option("--base-path <path>", "serve under this path, e.g. /admin/queues")
    .addHelpText(
      "after",
      "\nThe overview is at /, Prometheus text at /metrics. Secrets in the environment stay out of the\nprocess list: ASYNCMQ_DASHBOARD_AUTH=user:pass or ASYNCMQ_DASHBOARD_TOKEN=... See docs/dashboard.md.",
    )
    .action(runDashboard);
}

function port(value: string): number {
  const n = intParser(0)(value);
  if (n > 65_535) throw new InvalidArgumentError("a port is at most 65535 (0 picks a free one)");
  return n;
}

async function runDashboard(o: DashboardCliOptions): Promise<void> {
  const auth = o.auth ?? (o.token === undefined ? env("ASYNCMQ_DASHBOARD_AUTH") : undefined);
  const token = o.token ?? (o.auth === undefined ? env("ASYNCMQ_DASHBOARD_TOKEN") : undefined);
  if (auth !== undefined && token !== undefined)
    throw new UsageError(
      "give --auth or --token, not both (check ASYNCMQ_DASHBOARD_AUTH / ASYNCMQ_DASHBOARD_TOKEN too)",
    );
  const choice = await chooseBackend(o);
  const backend = await openBackend(choice);
  if (!backend.capabilities.multiProcess && !o.json)
    warn(`${choice.url} keeps jobs inside this one process: the dashboard will show only its own (none)`);
  // Loaded here, so that other commands do not pay for the web server's modules.
  const { startDashboard } = await import("../dashboard/server.js");
  let running: RunningDashboard;
  try {
    running = await startDashboard({
      backend,
      port: o.port,
      host: o.host,
      readOnly: o.readOnly === true,
      ...(auth !== undefined ? { auth } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(o.basePath !== undefined ? { basePath: o.basePath } : {}),
    });
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(oneLine(err));
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new CliError(`port ${o.port} on ${o.host} is in use; pick another with --port`);
    throw err;
  }
  if (o.json) {
    printJsonLine({
      event: "dashboard:started",
      url: running.url,
      port: running.port,
      backend: shownUrl(choice),
    });
  } else {
    const mode = [o.readOnly ? "read-only" : "", auth ? "basic auth" : token ? "token auth" : ""];
    const how = mode.filter(Boolean).join(", ");
    print(
      `asyncmq dashboard on ${running.url} (backend ${shownUrl(choice)}, ${describeSource(choice)}${how ? `; ${how}` : ""}); Ctrl+C to stop`,
    );
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const stop = (received: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(received);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await running.close();
  if (o.json) printJsonLine({ event: "dashboard:stopped", signal });
  else print(`received ${signal}: dashboard stopped`);
}

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === "" ? undefined : value;
}
