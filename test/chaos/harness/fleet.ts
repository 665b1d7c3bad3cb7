/**
 * Worker processes for the chaos suite: `asyncmq worker start` from the built package (dist), as a
 * user runs it, with the chaos tasks. Starts, SIGKILLs and replaces them; stops them all at the end.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { BIN, childEnv, ROOT } from "../../e2e/helpers.js";
import { CONCURRENCY, LEASE } from "./config.js";

export const CHAOS_TASKS = join(ROOT, "test/chaos/fixtures/chaos-tasks.js");

export interface FleetOptions {
  /** The --backend URL. */
  url: string;
  /** Folder of the run logs (CHAOS_RUNS_DIR). */
  runsDir: string;
  cwd: string;
  /** Extra environment for every worker (e.g. CHAOS_SAMPLE_FILE). */
  env?: Record<string, string>;
  concurrency?: number;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<void>;
  /** Its output but the per-job lines, last 8 KB, for failure messages. */
  tail = "";
  #partial = "";
  closed = false;

  constructor(options: FleetOptions) {
    const args = [BIN, "worker", "start", "chaos", "--tasks", CHAOS_TASKS, "--backend", options.url];
    args.push("--concurrency", String(options.concurrency ?? CONCURRENCY), "--shutdown-grace", "5s");
    this.child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: childEnv({
        CHAOS_RUNS_DIR: options.runsDir,
        ASYNCMQ_LEASE_DURATION: LEASE,
        ...options.env,
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let signalReady: () => void = () => {};
    this.ready = new Promise((resolve) => {
      signalReady = resolve;
    });
    const keep = (d: string) => {
      const lines = (this.#partial + d).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        if (/^\S+ +(started|completed) +chaos#/.test(line)) continue;
        this.tail = `${this.tail}${line}\n`.slice(-8000);
        if (line.includes("worker started")) signalReady();
      }
    };
    this.child.stdout?.setEncoding("utf8").on("data", keep);
    this.child.stderr?.setEncoding("utf8").on("data", keep);
    this.ended = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.closed = true;
        signalReady();
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
}

export interface Kill {
  pid: number;
  at: number;
}

export class Fleet {
  readonly all: WorkerProcess[] = [];
  readonly kills: Kill[] = [];

  constructor(readonly options: FleetOptions) {}

  get alive(): WorkerProcess[] {
    return this.all.filter((w) => !w.closed);
  }

  spawn(): WorkerProcess {
    const w = new WorkerProcess(this.options);
    this.all.push(w);
    return w;
  }

  /** Starts `n` workers and waits until each is claiming. */
  async start(n: number): Promise<void> {
    const started = Array.from({ length: n }, () => this.spawn());
    await Promise.all(started.map((w) => w.ready));
    const dead = started.filter((w) => w.closed);
    if (dead.length > 0) throw new Error(`a worker exited while starting:\n${dead[0]?.tail}`);
  }

  /** SIGKILLs a random live worker and starts a replacement at once. */
  killOne(): Kill | undefined {
    const live = this.alive;
    const victim = live[Math.floor(Math.random() * live.length)];
    if (!victim) return undefined;
    const kill = { pid: victim.pid, at: Date.now() };
    victim.child.kill("SIGKILL");
    this.kills.push(kill);
    this.spawn();
    return kill;
  }

  /** SIGTERM (a graceful stop) for every live worker; SIGKILL for any still there after `ms`. */
  async stop(ms = 15_000): Promise<void> {
    const live = this.alive;
    for (const w of live) w.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      for (const w of live) if (!w.closed) w.child.kill("SIGKILL");
    }, ms);
    await Promise.all(live.map((w) => w.ended));
    clearTimeout(timer);
  }

  /** Kills everything at once (cleanup after a failure). */
  async kill(): Promise<void> {
    const live = this.alive;
    for (const w of live) w.child.kill("SIGKILL");
    await Promise.all(live.map((w) => w.ended));
  }
}
