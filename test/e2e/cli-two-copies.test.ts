/**
 * A global `asyncmq` beside a project's own asyncmq (issue 11, item 2): the tasks module registers
 * its tasks with the project's copy, the worker runs from another copy (the repo's dist here), and
 * still finds them (one registry per process); run inside the project, the CLI hands over to the
 * project's copy; a worker with no task bound to any of its queues refuses to start.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CliProcess, ROOT, run, runJson } from "./helpers.js";

const dirs: string[] = [];
let project = "";
const PROJECT_VERSION = "0.0.0-project-copy";

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-two-copies-"));
  dirs.push(dir);
  return dir;
}

beforeAll(() => {
  // A project with its own asyncmq: a copy of the built package (not a symlink to this repo).
  project = freshDir();
  const copy = join(project, "node_modules", "asyncmq");
  mkdirSync(copy, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  writeFileSync(join(copy, "package.json"), JSON.stringify({ ...manifest, version: PROJECT_VERSION }));
  cpSync(join(ROOT, "dist"), join(copy, "dist"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  writeFileSync(join(project, "package.json"), `{ "type": "module", "private": true }\n`);
  writeFileSync(
    join(project, "tasks.js"),
    `import { task } from "asyncmq";\ntask("double", { queue: "two" }, (data) => data.n * 2);\n`,
  );
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it("a worker from another copy runs the tasks the project's copy registered", async () => {
  const cwd = freshDir(); // outside the project: no hand-over, the repo's dist runs the worker
  const backend = ["--backend", `sqlite://${join(cwd, "jobs.db")}`];
  const { id } = await runJson<{ id: string }>(["job", "enqueue", "two", "double", '{"n":21}', ...backend], {
    cwd,
  });
  const worker = new CliProcess(
    ["worker", "start", "two", "--tasks", join(project, "tasks.js"), ...backend],
    {
      cwd,
    },
  );
  try {
    await worker.waitFor(/worker started/);
    expect(worker.output).toMatch(/1 task\(s\): double/);
    await worker.waitFor(/completed|failed/);
  } finally {
    worker.signal("SIGTERM");
    await worker.exit();
  }
  const job = await runJson<{ state: string; result: unknown }>(["job", "inspect", "two", id, ...backend], {
    cwd,
  });
  expect(job).toMatchObject({ state: "completed", result: 42 });
});

it("run inside the project, the CLI hands over to the project's own asyncmq", async () => {
  const r = await run(["info", "version"], { cwd: project });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`asyncmq ${PROJECT_VERSION}`);
  const here = await run(["info", "version"], { cwd: freshDir() });
  expect(here.stdout).not.toContain(PROJECT_VERSION);
});

it("a worker with no task bound to any of its queues refuses to start (exit 1, one line)", async () => {
  const cwd = freshDir();
  const r = await run(
    [
      "worker",
      "start",
      "elsewhere",
      "--tasks",
      join(project, "tasks.js"),
      "--backend",
      `sqlite://${join(cwd, "jobs.db")}`,
    ],
    { cwd, timeoutMs: 15_000 },
  );
  expect(r.code).toBe(1);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /no task in .*tasks\.js is bound to "elsewhere" \(tasks registered: double \(queue "two"\)\)/,
  );
});
