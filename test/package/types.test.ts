// The published types as a TypeScript consumer meets them (issue 11, item 7), in a project that
// installed the built package: events are typed by name, so a misspelt event does not compile and
// each listener gets its event's payload; a task's handle, or a Queue<D, R>, types its jobs' data
// and result; and no
// .d.ts names a file the package does not ship. `// @ts-expect-error` marks what must NOT compile:
// tsc fails on such a line that compiles.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CONFIG_FILES } from "../../src/cli/config.js";
import { type InstalledProject, makeInstalledProject, typecheck } from "./installed-project.js";

let project: InstalledProject;
beforeAll(() => {
  project = makeInstalledProject(["@types/node"]);
}, 60_000);
afterAll(() => project?.remove());

const CONSUMER = `import { events, type JobEvents, Queue, task } from "asyncmq";

const send = task("send", { queue: "emails" }, async (data: { to: string }, ctx) => {
  const to: string = ctx.job.data.to;
  return { sent: to };
});

// @ts-expect-error: "job:complete" is no event ("job:completed" is)
events.on("job:complete", () => {});
// @ts-expect-error: no such event on a queue's emitter either
new Queue("emails").events.once("job:faild", () => {});
// @ts-expect-error: nor when removing a listener
events.off("queue:pause", () => {});

events.on("job:completed", (p) => {
  const where: string = \`\${p.queue}#\${p.jobId} \${p.task}\`;
  const result: unknown = p.result;
  // @ts-expect-error: a completed event has no progress
  p.progress;
  void where;
  void result;
});
new Queue("emails").events.on("job:retrying", (p) => {
  const at: number = p.runAt;
  const message: string = p.error.message;
  void at;
  void message;
});
events.once("job:progress", (p) => {
  const progress: number | Record<string, unknown> = p.progress;
  void progress;
});
events.on("queue:paused", (p) => {
  const queue: string = p.queue;
  // @ts-expect-error: a queue event is about no job
  p.jobId;
  void queue;
});
const failed: JobEvents["job:failed"]["error"]["name"] = "Error";
void failed;

// A name known only at run time is a string: accepted, with the loose payload.
const name: string = process.argv[2] ?? "job:failed";
events.on(name, (p) => void p.queue);

export async function typedQueue(): Promise<string | undefined> {
  const emails = new Queue<{ to: string }, { sent: string }>("emails");
  const id = await emails.add("send", { to: "ada@example.com" });
  // @ts-expect-error: this queue's jobs take { to: string }
  await emails.add("send", { recipient: "ada@example.com" });
  const [first] = await emails.getJobs(["completed"]);
  const job = await emails.getJob(id);
  return first?.result?.sent ?? job?.data.to;
}

export async function typedJob(id: string): Promise<string> {
  const job = await send.getJob(id);
  if (!job || job.result === undefined) return "";
  const data: { to: string } = job.data;
  // @ts-expect-error: the result is { sent: string }, not a number
  const wrong: number = job.result.sent;
  void data;
  void wrong;
  return job.result.sent;
}
`;

it("events are typed by name and a task's jobs by its data and result", async () => {
  writeFileSync(join(project.dir, "typed.ts"), CONSUMER);
  const r = await typecheck(project.dir, ["typed.ts"]);
  expect(r.out).toBe("");
  expect(r.code).toBe(0);
}, 60_000);

/** Every file below `dir`, as paths relative to `root`. */
function walk(dir: string, root: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name), root) : [relative(root, join(dir, e.name))],
  );
}

it("no .d.ts names a file that the package does not ship", () => {
  const pkg = join(project.dir, "node_modules", "asyncmq");
  const shipped = walk(pkg, pkg);
  const declarations = shipped.filter((f) => f.endsWith(".d.ts"));
  expect(declarations.length).toBeGreaterThan(20);
  const missing: string[] = [];
  for (const file of declarations) {
    const text = readFileSync(join(pkg, file), "utf8")
      .replace(/https?:\/\/\S+/g, "")
      .replace(/^(import|export) .* from "[^"]+";$/gm, "");
    for (const [ref] of text.matchAll(/[\w@./-]*[\w-]\.(md|ts|js|mjs|json|sql|lua)\b/g)) {
      const tail = ref.replace(/^(\.\.?\/)+/, "");
      if ((CONFIG_FILES as readonly string[]).includes(tail)) continue; // the user's own file
      if (!shipped.some((f) => f === tail || f.endsWith(`/${tail}`))) missing.push(`${file}: ${ref}`);
    }
  }
  expect(missing).toEqual([]);
});
