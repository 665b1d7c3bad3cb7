/**
 * A sandboxed task's pool: up to `pool` sandboxes, started on demand, each running one job at a
 * time. A sandbox whose job was aborted (timeout, cancel, forced shutdown) is killed and a fresh one
 * takes its place on demand; one that crashed fails only its own job; `maxJobsPerChild` recycles.
 */
import { SandboxCrashError } from "../errors.js";
import { getSettings } from "../settings.js";
import type { JobContext } from "../task.js";
import { type SandboxChild, spawnSandbox } from "./child.js";
import type { SandboxConfig } from "./options.js";
import { type FromSandbox, fromWire, REMOTE_METHODS, toWire } from "./wire.js";

interface Slot {
  child: SandboxChild;
  /** Resolves once the handler module is loaded; rejects with why it could not be. */
  ready: Promise<void>;
  jobs: number;
  dead: boolean;
  /** Set while it runs a job: told how the sandbox ended if it ends first. */
  onExit?: (how: string) => void;
}

export class SandboxPool {
  readonly #idle: Slot[] = [];
  readonly #waiting: Array<(slot: Slot) => void> = [];
  /** Every sandbox not yet exited, busy, idle or being killed. */
  readonly #live = new Set<Slot>();

  /** `lingers()`: whether an idle sandbox is kept for the next job (a worker runtime is running). */
  constructor(
    readonly task: string,
    readonly module: string,
    readonly config: SandboxConfig,
    private readonly lingers: () => boolean,
  ) {}

  /** Runs `ctx.job` in a sandbox; settles as its handler does, or rejects with why it could not finish. */
  async run(data: unknown, ctx: JobContext): Promise<unknown> {
    const { signal } = ctx;
    if (signal.aborted) throw signal.reason;
    const slot = await this.#acquire(signal);
    try {
      await slot.ready;
      // Aborted while the sandbox started: its abort event has passed, so the job must not start.
      if (signal.aborted) throw signal.reason;
      return await this.#runIn(slot, data, ctx);
    } finally {
      this.#release(slot);
    }
  }

  /**
   * Kills every sandbox (a job still in one, from a direct `task.run`, fails with a
   * SandboxCrashError) and resolves once all have exited. A later job starts a fresh sandbox.
   */
  async close(): Promise<void> {
    this.#idle.length = 0;
    const slots = [...this.#live];
    for (const slot of slots) this.#kill(slot);
    await Promise.all(slots.map((s) => s.child.exited));
  }

  /** A free sandbox: an idle one, a new one while under `pool`, else the next one released. */
  #acquire(signal: AbortSignal): Promise<Slot> {
    const idle = this.#idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.#live.size < this.config.pool) return Promise.resolve(this.#spawn());
    return new Promise((resolve, reject) => {
      const take = (slot: Slot) => {
        signal.removeEventListener("abort", onAbort);
        resolve(slot);
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(take), 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(take);
    });
  }

  #spawn(): Slot {
    const child = spawnSandbox(this.config);
    const slot: Slot = { child, ready: Promise.resolve(), jobs: 0, dead: false };
    this.#live.add(slot);
    slot.ready = new Promise<void>((resolve, reject) => {
      child.onMessage = (m) => {
        if (m.t === "ready") resolve();
        else if (m.t === "load-failed") {
          reject(fromWire(m.error));
          this.#kill(slot); // the next job tries a fresh sandbox (and import) rather than this error again
        }
      };
      void child.exited.then((how) =>
        reject(new SandboxCrashError(`${this.#what()} ${how} while loading ${this.module}`)),
      );
    });
    slot.ready.catch(() => {}); // the job that gets this slot awaits it and sees the error
    void child.exited.then((how) => {
      slot.onExit?.(how);
      slot.dead = true;
      this.#live.delete(slot);
      // A sandbox that died frees its place: a job waiting for one gets a fresh sandbox.
      const next = this.#waiting.shift();
      if (next) next(this.#spawn());
    });
    child.send({ t: "load", module: this.module, maxPayloadBytes: getSettings().maxPayloadBytes });
    return slot;
  }

  #runIn(slot: Slot, data: unknown, ctx: JobContext): Promise<unknown> {
    const { child } = slot;
    const { signal } = ctx;
    const run = ++slot.jobs;
    return new Promise<unknown>((resolve, reject) => {
      const end = () => {
        signal.removeEventListener("abort", onAbort);
        child.onMessage = () => {};
        slot.onExit = undefined;
      };
      // The handler may be in a loop that never yields: only killing its sandbox stops it.
      const onAbort = () => {
        end();
        this.#kill(slot);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      slot.onExit = (how) => {
        end();
        reject(
          new SandboxCrashError(`${this.#what()} running job ${ctx.job.id} of task "${this.task}" ${how}`),
        );
      };
      child.onMessage = (m: FromSandbox) => {
        if (m.t === "done") {
          end();
          if (m.ok) resolve(m.value);
          else reject(fromWire(m.error));
        } else if (m.t === "call" && m.run === run) void this.#answer(child, ctx, m.call, m.method, m.args);
      };
      try {
        // A plain copy: the runtime's record may be a class instance.
        child.send({ t: "run", run, data, job: { ...ctx.job } });
      } catch (err) {
        end();
        reject(err);
      }
    });
  }

  /** Runs a ctx method the sandboxed handler called and posts its outcome back. */
  async #answer(child: SandboxChild, ctx: JobContext, call: number, method: string, args: unknown[]) {
    let reply: Parameters<SandboxChild["send"]>[0];
    try {
      if (!(REMOTE_METHODS as readonly string[]).includes(method)) throw new TypeError(`no ctx.${method}`);
      const fn = ctx[method as keyof JobContext] as (...a: unknown[]) => Promise<unknown>;
      reply = { t: "reply", call, ok: true, value: await fn.apply(ctx, args) };
    } catch (err) {
      reply = { t: "reply", call, ok: false, error: toWire(err) };
    }
    try {
      child.send(reply);
    } catch {
      // The sandbox is gone (its job aborted or crashed): nobody waits for this reply.
    }
  }

  #release(slot: Slot): void {
    const { maxJobsPerChild } = this.config;
    if (slot.dead) return;
    if (maxJobsPerChild > 0 && slot.jobs >= maxJobsPerChild) {
      this.#kill(slot); // its place frees when it has exited
      return;
    }
    const next = this.#waiting.shift();
    if (next) next(slot);
    else if (this.lingers()) this.#idle.push(slot);
    else this.#kill(slot);
  }

  #kill(slot: Slot): void {
    slot.dead = true;
    slot.child.kill();
  }

  #what(): string {
    return this.config.isolation === "thread" ? "the sandbox thread" : "the sandbox process";
  }
}
