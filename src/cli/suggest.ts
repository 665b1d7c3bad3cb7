/**
 * What to suggest for an unknown command. Commander suggests names a typo away ("inspct" ->
 * "inspect"); this adds the words other tools use for the same thing ("show" -> "inspect").
 */
const SYNONYMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  job: {
    show: "inspect",
    get: "inspect",
    view: "inspect",
    info: "inspect",
    describe: "inspect",
    status: "inspect",
    add: "enqueue",
    create: "enqueue",
    push: "enqueue",
    submit: "enqueue",
    send: "enqueue",
    ls: "list",
    delete: "remove",
    rm: "remove",
    del: "remove",
    rerun: "retry",
    kill: "cancel",
    stop: "cancel",
  },
  queue: {
    ls: "list",
    show: "info",
    inspect: "info",
    status: "info",
    get: "info",
    purge: "drain",
    empty: "drain",
    clear: "drain",
    delete: "obliterate",
    rm: "obliterate",
    remove: "obliterate",
    destroy: "obliterate",
    metrics: "stats",
    unpause: "resume",
    "retry-all": "retry",
  },
  worker: { run: "start", ls: "list", show: "inspect", info: "inspect", status: "list" },
  asyncmq: {
    jobs: "job",
    queues: "queue",
    workers: "worker",
    version: "info version",
    start: "worker start",
  },
};

/**
 * ` (did you mean "asyncmq job inspect"?)` for `asyncmq job show`, or "" when nothing fits.
 * `path` is the command group ("asyncmq job"), `word` the unknown command.
 */
export function suggestion(path: string, word: string): string {
  const group = path.split(" ").at(-1) ?? "";
  const meant = SYNONYMS[group]?.[word.toLowerCase()];
  if (meant === undefined) return "";
  const prefix = group === "asyncmq" ? "asyncmq" : path;
  return `; did you mean "${prefix} ${meant}"?`;
}
