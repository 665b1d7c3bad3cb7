/**
 * `--tasks <module>` for commands other than `worker start`: the same tasks module the worker loads,
 * so that the command knows the tasks' options (`job enqueue` applies them, `job list`/`inspect`
 * show them) and their names.
 */
import type { Command } from "commander";
import type { Backend } from "../backends/backend.js";
import { configure } from "../settings.js";
import { listTasks } from "../task.js";
import { UsageError } from "./errors.js";
import { loadTasksModule } from "./tasks-module.js";

export interface TasksOption {
  tasks?: string;
}

export function withTasksOption(cmd: Command, what: string): Command {
  return cmd.option("--tasks <module>", `the workers' tasks module (.js/.mjs/.ts), ${what}`);
}

/** Loads `--tasks`, if given, with `backend` as the default of whatever the module opens. */
export async function loadTasksOption(o: TasksOption, backend: Backend): Promise<void> {
  if (o.tasks === undefined) return;
  configure({ backend });
  await loadTasksModule(o.tasks);
}

/** A usage error unless the loaded tasks module defines `name`. */
export function requireTaskIn(o: TasksOption, name: string): void {
  const defined = listTasks().map((t) => t.name);
  if (o.tasks === undefined || defined.includes(name)) return;
  const list = defined.length ? defined.map((n) => `"${n}"`).join(", ") : "none";
  throw new UsageError(`no task "${name}" in ${o.tasks} (it defines ${list}); check the task name`);
}
