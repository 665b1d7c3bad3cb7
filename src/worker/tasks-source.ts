/**
 * Where this process's tasks came from, for the hint of a job whose task is not registered: the
 * worker command records the tasks module it loaded, so the hint names that module rather than an
 * example path. Internal: not part of the public API.
 */

let source: string | undefined;

/** Records the tasks module this process loaded (`undefined`: none known). */
export function setTasksSource(module: string | undefined): void {
  source = module;
}

/** What to do about a task this worker does not know. */
export function unknownTaskHint(): string {
  return source === undefined
    ? "import the module that defines it (e.g. --tasks ./tasks.js)"
    : `the tasks module it loaded (${source}) does not define it: define it there, or start the worker with --tasks naming the module that does`;
}
