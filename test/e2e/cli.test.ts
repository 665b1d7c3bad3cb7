/**
 * End-to-end tests of the `asyncmq` command line: the built binary (`node dist/cli/main.js`, built by
 * `npm test` before vitest runs) in child processes, talking to each other only through a backend.
 * The per-backend suite lives in cli-suite.ts (SQLite here; Redis and Postgres in their own files);
 * this file adds what does not depend on the backend: choosing one, help, and docs/cli.md.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WorkerInfo } from "../../src/index.js";
import { cliSuite, expectError, freshDir, LONG, SLOW, slot, spawnCli, TASKS_JS } from "./cli-suite.js";
import { type CliProcess, ROOT, type RunResult, run, runJson, shellWords } from "./helpers.js";

cliSuite({ name: "sqlite", url: (dir) => `sqlite://${dir}/asyncmq.db` });

describe.concurrent("choosing the backend", () => {
  it(
    "uses --backend, else ASYNCMQ_BACKEND, else the config file, else the SQLite default",
    SLOW,
    async (ctx) => {
      await slot(ctx);
      const dir = freshDir();
      const info = (args: string[] = [], env: Record<string, string> = {}) =>
        runJson<{ url: string; source: string; kind: string }>(["info", "backend", ...args], {
          cwd: dir,
          env,
        });
      // Read-only commands do not create a database (issue 11 item 5): enqueueing does.
      expect((await run(["job", "enqueue", "q1", "t"], { cwd: dir })).code).toBe(0);
      expect(readFileSync(join(dir, ".asyncmq/asyncmq.db")).length).toBeGreaterThan(0);
      expect(await info()).toMatchObject({
        url: "sqlite://./.asyncmq/asyncmq.db",
        source: "default",
        kind: "sqlite",
      });
      for (const file of ["from-config.db", "from-env.db", "from-flag.db"])
        writeFileSync(join(dir, file), "");

      writeFileSync(
        join(dir, "asyncmq.config.mjs"),
        `export default { backend: "sqlite://./from-config.db" };\n`,
      );
      const [fromConfig, fromEnv, fromFlag, flagBeforeCommand] = await Promise.all([
        info(),
        info([], { ASYNCMQ_BACKEND: "sqlite://./from-env.db" }),
        info(["--backend", "sqlite://./from-flag.db"], { ASYNCMQ_BACKEND: "sqlite://./from-env.db" }),
        runJson<{ source: string }>(["--backend", "memory://", "info", "backend"], { cwd: dir }),
      ]);
      expect(fromConfig).toMatchObject({ url: "sqlite://./from-config.db", source: "config file" });
      expect(fromEnv).toMatchObject({ url: "sqlite://./from-env.db", source: "ASYNCMQ_BACKEND" });
      expect(fromFlag).toMatchObject({ url: "sqlite://./from-flag.db", source: "--backend" });
      expect(flagBeforeCommand).toMatchObject({ source: "--backend" });
      // The config file's backend is the one used: its queue is there, the default's is not.
      expect((await run(["job", "enqueue", "q2", "t"], { cwd: dir })).code).toBe(0);
      const queues = await runJson<Array<{ name: string }>>(["queue", "list"], { cwd: dir });
      expect(queues.map((q) => q.name)).toEqual(["q2"]);
    },
  );

  it("an unsupported, unreachable or broken backend choice fails with one clear line", SLOW, async (ctx) => {
    await slot(ctx);
    const dir = freshDir();
    writeFileSync(join(dir, "blocker"), "a file where a folder should be");
    const broken = freshDir();
    writeFileSync(join(broken, "asyncmq.config.json"), "{ not json");
    const [unsupported, fromEnv, unreachable, empty, badConfig, badSetting] = await Promise.all([
      run(["queue", "list", "--backend", "ftp://example.com/x"], { cwd: dir }),
      run(["queue", "list"], { cwd: dir, env: { ASYNCMQ_BACKEND: "ftp://example.com/x" } }),
      run(["queue", "list", "--backend", `sqlite://${dir}/blocker/x.db`], { cwd: dir }),
      run(["queue", "list", "--backend", ""], { cwd: dir }),
      run(["queue", "list"], { cwd: broken }),
      run(["worker", "start", "e2e", "--tasks", TASKS_JS], {
        cwd: dir,
        env: { ASYNCMQ_CONCURRENCY: "lots" },
      }),
    ]);
    expectError(unsupported, 2, /unsupported backend URL "ftp:\/\/example.com\/x".*\(from --backend\)/);
    expectError(fromEnv, 2, /unsupported backend URL.*\(from ASYNCMQ_BACKEND\)/);
    expectError(unreachable, 1, /cannot open backend sqlite:\/\/.*blocker\/x\.db/);
    expectError(empty, 2, /--backend needs a URL/);
    expectError(badSetting, 2, /ASYNCMQ_\*\) concurrency .*; fix or unset the variable/);
    expectError(
      badConfig,
      1,
      /cannot load config file asyncmq.config.json: .*; fix the file or pass --backend/,
    );
  });
});

let cachedPaths: Promise<string[]> | undefined;
/** Every command path, read from the binary's own help: ["worker start", "worker list", ...]. */
function commandPaths(cwd: string): Promise<string[]> {
  cachedPaths ??= readCommandPaths(cwd);
  return cachedPaths;
}

async function readCommandPaths(cwd: string): Promise<string[]> {
  const commandsOf = (help: string) => {
    const section = help.split(/^Commands:$/m)[1] ?? "";
    return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] as string).filter((c) => c !== "help");
  };
  const top = await run(["--help"], { cwd });
  const groups = commandsOf(top.stdout);
  const helps = await Promise.all(groups.map((g) => run([g, "--help"], { cwd })));
  return groups.flatMap((g, i) => commandsOf((helps[i] as RunResult).stdout).map((c) => `${g} ${c}`));
}

describe.concurrent("help", () => {
  it("--help works everywhere, exits 0, and lists --backend and --json", SLOW, async (ctx) => {
    await slot(ctx);
    const dir = freshDir();
    const paths = await commandPaths(dir);
    expect(paths.length).toBeGreaterThanOrEqual(24);
    // Four at a time: two dozen Node processes at once overwhelm a loaded 2-core machine.
    const results: RunResult[] = [];
    for (let i = 0; i < paths.length; i += 4) {
      const batch = paths.slice(i, i + 4).map((p) => run([...p.split(" "), "--help"], { cwd: dir }));
      results.push(...(await Promise.all(batch)));
    }
    paths.forEach((p, i) => {
      const r = results[i] as RunResult;
      expect(r.code, `${p} --help: ${r.stderr}`).toBe(0);
      expect(r.stdout, p).toMatch(new RegExp(`^Usage: asyncmq ${p}`));
      expect(r.stdout, p).toMatch(/--backend <url>/);
      expect(r.stdout, p).toMatch(/--json/);
    });
    const bare = await run([], { cwd: dir });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Usage: asyncmq/);
  });
});

describe.concurrent("docs/cli.md", () => {
  const doc = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
  const blocks = [...doc.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1],
    body: m[2] as string,
  }));
  const tasksJs = blocks.find((b) => b.lang === "js" && b.body.startsWith("// tasks.js"))?.body;
  const examples = blocks
    .filter((b) => b.lang === "sh")
    .flatMap((b) => b.body.split("\n"))
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const exit = /#\s*exit (\d)\s*$/.exec(l);
      const line = l.replace(/#.*$/, "").trim();
      return { line, exit: exit ? Number(exit[1]) : 0, background: line.endsWith("&") };
    });

  it("has an example of every command", SLOW, async (ctx) => {
    await slot(ctx);
    const paths = await commandPaths(freshDir());
    expect(paths.length).toBeGreaterThanOrEqual(24);
    expect(examples.length).toBeGreaterThanOrEqual(30);
    const shown = new Set(
      examples
        .filter((e) => e.exit === 0 && e.line.startsWith("asyncmq "))
        .map((e) => {
          const words = shellWords(e.line, { WORKER_ID: "x" }).slice(1);
          const plain = words.filter((w, i) => !w.startsWith("-") && !(words[i - 1] === "--backend"));
          return `${plain[0]} ${plain[1]}`;
        }),
    );
    expect(paths.filter((p) => !shown.has(p))).toEqual([]);
    expect(tasksJs).toBeDefined();
  });

  it("every example runs as documented, on the SQLite default in a fresh project", LONG, async (ctx) => {
    await slot(ctx);
    const dir = freshDir();
    writeFileSync(join(dir, "tasks.js"), tasksJs ?? "");
    writeFileSync(join(dir, "package.json"), `{ "type": "module", "private": true }\n`);
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules/asyncmq"), "dir");
    const background: CliProcess[] = [];
    const vars: Record<string, string> = {};
    let runnable = 0; // jobs enqueued to run now: the worker must have finished them before we go on
    for (const { line, exit, background: bg } of examples) {
      if (line.startsWith("kill ")) {
        const worker = background[Number(line.split("%")[1]) - 1] as CliProcess;
        worker.signal("SIGTERM");
        expect(await worker.exit(), `${line}\n${worker.output}`).toBe(0);
        continue;
      }
      if (line.includes("$WORKER_ID")) {
        const workers = await runJson<WorkerInfo[]>(["worker", "list"], { cwd: dir });
        const mine = workers.find((w) => w.pid === background[0]?.pid);
        expect(mine, `a live worker for: ${line}`).toBeDefined();
        vars.WORKER_ID = (mine as WorkerInfo).id;
      }
      const words = shellWords(line.replace(/&$/, ""), vars);
      expect(words[0], line).toBe("asyncmq");
      if (bg) {
        const worker = spawnCli(ctx, words.slice(1), dir);
        background.push(worker);
        await worker.waitFor(/worker started/);
        await worker.waitForCount(/^\S+ (completed|failed)\s/, runnable);
        continue;
      }
      const r = await run(words.slice(1), { cwd: dir });
      expect(r.code, `${line}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(exit);
      if (exit !== 0) expectError(r, exit, /./);
      if (exit === 0 && words[1] === "job" && words[2] === "enqueue" && !words.includes("--delay"))
        runnable += 1;
    }
    expect(background.length).toBeGreaterThan(0);
    expect(background.every((w) => !w.running)).toBe(true);
  });
});
