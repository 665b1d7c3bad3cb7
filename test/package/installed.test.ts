// The BUILT package as a user installs it (npm test builds first): only asyncmq and its runtime
// dependencies in node_modules, no pg / ioredis / tsx / @types/pg. Importing it works and runs on
// SQLite; a Redis or Postgres URL says which package to install; a TypeScript consumer type-checks
// our published .d.ts with skipLibCheck off.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InstalledProject, makeInstalledProject, ROOT, typecheck } from "./installed-project.js";

let project: InstalledProject;
beforeAll(() => {
  // @types/node: a TypeScript project for Node has its own; the consumer test needs it.
  project = makeInstalledProject(["@types/node"]);
}, 60_000);
afterAll(() => project?.remove());

function write(name: string, text: string): string {
  writeFileSync(join(project.dir, name), text);
  return name;
}

/** The lines of a child's stderr, without blanks. */
function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}

describe("package.json", () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>;
  };

  it("makes pg, ioredis, tsx and @opentelemetry/api optional peers, and keeps better-sqlite3 (the default)", () => {
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "@hono/node-server",
      "better-sqlite3",
      "commander",
      "croner",
      "hono",
      "uplot",
    ]);
    for (const name of ["pg", "ioredis", "tsx", "@opentelemetry/api"]) {
      expect(manifest.peerDependencies[name], name).toBeTruthy();
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true);
    }
  });
});

describe("a project that installed only asyncmq", () => {
  it("has none of the optional packages (so the checks below mean something)", () => {
    const resolveThere = createRequire(join(project.dir, "package.json")).resolve;
    expect(resolveThere("asyncmq")).toContain(project.dir);
    // Without @opentelemetry/api, jobs are added and run untraced (the job test below).
    for (const name of ["pg", "ioredis", "tsx", "@types/pg/package.json", "@opentelemetry/api"]) {
      expect(() => resolveThere(name), name).toThrow(/Cannot find module/);
    }
  });

  it("imports asyncmq without loading any database driver", async () => {
    const r = await project.node([
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module";
       await import("asyncmq");
       const loaded = Object.keys(createRequire(import.meta.url).cache);
       console.log(JSON.stringify(loaded.filter((f) => /node_modules.(better-sqlite3|pg|ioredis)/.test(f))));`,
    ]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it("runs a job on the SQLite default (./.asyncmq/asyncmq.db)", async () => {
    const script = write(
      "job.mjs",
      `import { closeSharedBackends, Queue, resolveBackend, runWorker, task } from "asyncmq";
       const double = task("double", { queue: "numbers" }, async (n) => n * 2);
       const id = await double.enqueue(21);
       const queue = new Queue("numbers");
       const controller = new AbortController();
       queue.events.on("job:completed", () => controller.abort());
       await runWorker("numbers", { signal: controller.signal });
       const job = await queue.getJob(id);
       console.log(JSON.stringify({ state: job.state, result: job.result, backend: resolveBackend().constructor.name }));
       await queue.close();
       await closeSharedBackends();`,
    );
    const r = await project.node([script]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ state: "completed", result: 42, backend: "SqliteBackend" });
    expect(() => readFileSync(join(project.dir, ".asyncmq", "asyncmq.db"))).not.toThrow();
  });

  it("serves the dashboard with its script, styles and uPlot from the installed package", async () => {
    const script = write(
      "dashboard.mjs",
      `import { closeSharedBackends, startDashboard } from "asyncmq";
       const d = await startDashboard({ backend: "memory://", port: 0 });
       const page = await (await fetch(d.url)).text();
       const assets = [...page.matchAll(/(?:src|href)="(\\/assets\\/[^"]+)"/g)].map((m) => new URL(m[1], d.url));
       const app = assets.find((u) => u.pathname.endsWith("/app.js"));
       const imported = /from "\\.\\/(uplot\\.js)"/.exec(await (await fetch(app)).text())[1];
       assets.push(new URL(imported, app));
       const statuses = await Promise.all(assets.map(async (u) => (await fetch(u)).status));
       console.log(JSON.stringify({
         files: assets.map((u) => u.pathname.split("/").pop()).sort(),
         statuses: [...new Set(statuses)],
         elsewhere: /(src|href)="(https?:)?\\/\\//.test(page),
       }));
       await d.close();
       await closeSharedBackends();`,
    );
    const r = await project.node([script]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      files: ["app.js", "favicon.svg", "style.css", "uplot.css", "uplot.js"],
      statuses: [200],
      elsewhere: false,
    });
  });

  describe.each([
    ["redis://127.0.0.1:6379", "ioredis"],
    ["postgres://postgres@127.0.0.1:5432/test", "pg"],
  ])("createBackend(%s)", (url, pkg) => {
    it(`fails with one BackendError line naming npm install ${pkg}`, async () => {
      const script = write(
        "create.mjs",
        `import { BackendError, createBackend } from "asyncmq";
         try {
           const backend = createBackend(process.argv[2]);
           console.log("created", backend.constructor.name);
           await backend.close();
         } catch (err) {
           console.error(err instanceof BackendError ? "BackendError" : "not a BackendError", err.message);
           process.exitCode = 3;
         }`,
      );
      const r = await project.node([script, url]);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(3);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^BackendError .*npm install ${pkg}\\b`));
    });

    it(`fails the CLI with one line naming npm install ${pkg}, exit code 1`, async () => {
      const bin = join("node_modules", "asyncmq", "dist", "cli", "main.js");
      const r = await project.node([bin, "queue", "list", "--backend", url]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(`npm install ${pkg}`);
      expect(r.stderr).not.toMatch(/check the URL|server is up/);
    });
  });

  // A Node that strips types itself (23.6+) loads the module without tsx: nothing to refuse there.
  const nodeStripsTypes = Boolean((process.features as { typescript?: unknown }).typescript);
  it.skipIf(nodeStripsTypes)(
    "refuses a TypeScript tasks module with one line naming npm install tsx",
    async () => {
      const tasks = write("tasks.ts", `import { task } from "asyncmq";\ntask("t", {}, async () => 1);\n`);
      const bin = join("node_modules", "asyncmq", "dist", "cli", "main.js");
      const r = await project.node([bin, "worker", "start", "default", "--tasks", tasks]);
      expect(r.code).toBe(1);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain("npm install tsx");
    },
  );

  it("type-checks a TypeScript consumer with skipLibCheck off, without @types/pg or ioredis", async () => {
    write(
      "consumer.ts",
      `import {
  type Backend,
  type BackendCapabilities,
  createBackend,
  type JobRecord,
  PostgresBackend,
  Queue,
  RedisBackend,
  SqliteBackend,
  task,
} from "asyncmq";

const resize = task("resize", { queue: "images", retries: 2 }, async (data: { url: string }, ctx) => {
  await ctx.progress(50);
  return data.url.length;
});

export async function produce(): Promise<JobRecord | null> {
  const id: string = await resize.enqueue({ url: "https://example.com/a.png" });
  const queue = new Queue("images", { backend: new SqliteBackend({ path: "./jobs.db" }) });
  await queue.add("resize", { url: "b.png" }, { delay: "1s", priority: 1 });
  return queue.getJob(id);
}

export function pick(url: string): Backend {
  if (url.startsWith("redis")) return new RedisBackend({ url, prefix: "app" });
  if (url.startsWith("postgres")) return new PostgresBackend({ url, schema: "app" });
  return createBackend(url);
}

export function optionalStores(backend: RedisBackend | PostgresBackend): BackendCapabilities {
  return backend.capabilities;
}
`,
    );
    const r = await typecheck(project.dir, ["consumer.ts"]);
    expect(r.out).toBe("");
    expect(r.code).toBe(0);
  }, 60_000);

  it("reports how long importing asyncmq takes (median of 5; printed, not asserted)", async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await project.node([
        "--input-type=module",
        "-e",
        `const t = performance.now(); await import("asyncmq"); console.log(performance.now() - t);`,
      ]);
      expect(r.code).toBe(0);
      times.push(Number(r.stdout));
    }
    times.sort((a, b) => a - b);
    console.log(
      `import("asyncmq") in an installed project: median ${times[2]?.toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(", ")})`,
    );
  }, 60_000);
});
