// The elector (src/worker/leader-election.ts) on the memory engine's lease store: two views of one
// InMemoryBackend stand for two processes (each backend object has its own elector and holder).
import { afterEach, describe, expect, it } from "vitest";
import type { Backend, LeaderStore } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { type Candidate, joinElection } from "../../src/worker/leader-election.js";
import { maintenanceGate } from "../../src/worker/leader-gate.js";
import { runWorker } from "../../src/worker/runners.js";
import { until, withMembers } from "../helpers.js";

// Long enough that a busy 2-core machine renews in time (every TTL / 3), short enough to wait out.
const TTL = 300;
const backends: Backend[] = [];
const joined: Candidate[] = [];

afterEach(async () => {
  await Promise.all(joined.splice(0).map((c) => c.leave()));
  for (const b of backends.splice(0)) await b.close();
});

/** A "process" on `store`'s storage, whose lease calls fail while `down.value` is true. */
function processOn(real: Backend, down = { value: false }): Backend {
  const leaders = real.leaders as LeaderStore;
  const fail = () => {
    if (down.value) throw new Error("backend away");
  };
  return withMembers(real, {
    leaders: {
      tryLead: async (...args) => {
        fail();
        return leaders.tryLead(...args);
      },
      resign: async (...args) => {
        fail();
        await leaders.resign(...args);
      },
    },
  });
}

function join(backend: Backend, queue: string): Candidate {
  const c = joinElection(backend, queue, TTL) as Candidate;
  joined.push(c);
  return c;
}

describe("leader election", () => {
  it("a backend without a leader store has no election (every runtime maintains)", () => {
    const real = new InMemoryBackend();
    backends.push(real);
    expect(joinElection(withMembers(real, { leaders: undefined }), "q", TTL)).toBeNull();
  });

  it("two runtimes of one process: one leads; when it leaves the other leads at once", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const a = join(real, "q");
    const b = join(real, "q");
    await until(() => a.leading || b.leading, 2000, "a leader");
    expect(a.leading && b.leading).toBe(false);
    const [first, second] = a.leading ? [a, b] : [b, a];
    const next = second.whenLeading(new AbortController().signal);
    await first.leave();
    // Synchronously on leave: no backend call in between.
    expect(second.leading).toBe(true);
    expect((await next)?.aborted).toBe(false);
  });

  it("a leader that cannot renew stops leading by its lease's end; another process takes over after it", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const down = { value: false };
    const a = join(processOn(real, down), "q");
    await until(() => a.leading, 2000, "a leads");
    const b = join(processOn(real), "q");
    const term = (await a.whenLeading(new AbortController().signal)) as AbortSignal;
    down.value = true;
    const cut = Date.now();
    await until(() => term.aborted, 2000, "a's term to end");
    expect(Date.now() - cut).toBeLessThanOrEqual(TTL + 250);
    await until(() => b.leading, 2000, "b leads");
    down.value = false;
    await new Promise((r) => setTimeout(r, TTL));
    // a is back, but b renews its lease: a does not lead again.
    expect([a.leading, b.leading]).toEqual([false, true]);
  });

  it("the last runtime of a queue resigns on leaving: another process can take it at once", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const p1 = processOn(real);
    const a = join(p1, "q");
    await until(() => a.leading, 2000, "a leads");
    await a.leave();
    joined.splice(joined.indexOf(a), 1);
    const store = real.leaders as LeaderStore;
    expect(await store.tryLead(["q"], "someone", TTL, Date.now())).toEqual(["q"]);
  });

  it("whenLeading resolves null once the runtime's signal aborts, and a term ends with it", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const a = join(real, "q");
    const ctl = new AbortController();
    const term = (await a.whenLeading(ctl.signal)) as AbortSignal;
    ctl.abort();
    expect(term.aborted).toBe(true);
    expect(await a.whenLeading(ctl.signal)).toBeNull();
  });

  it("a gated scanner that returns within its term runs again only in the next term", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const lead = maintenanceGate(real, "q", TTL);
    const ctl = new AbortController();
    let runs = 0;
    // Returns at once, as the repeatable scheduler does on a backend without a repeatable store; past
    // 100 runs the gate is restarting it in a loop (which would starve the event loop): stop there.
    const gated = lead.gate(async () => {
      if (++runs > 100) ctl.abort();
    })({ queue: "q", backend: real, signal: ctl.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    ctl.abort();
    await gated;
    await lead.leave();
    expect(runs).toBe(1);
  });

  it("without a leader store every runtime runs the maintenance loops, as before leaders", async () => {
    const real = new InMemoryBackend();
    backends.push(real);
    const sweeps = [0, 0];
    const views = sweeps.map((_, i) =>
      withMembers(real, {
        leaders: undefined,
        recoverStalled: async (...args: Parameters<Backend["recoverStalled"]>) => {
          sweeps[i] = (sweeps[i] ?? 0) + 1;
          return real.recoverStalled(...args);
        },
      }),
    );
    const ctl = new AbortController();
    const runs = views.map((backend) =>
      runWorker("q", { backend, signal: ctl.signal, scanInterval: 10, leaseDuration: 100 }),
    );
    await until(() => sweeps.every((n) => n >= 3), 5000, "both runtimes to sweep");
    ctl.abort();
    await Promise.all(runs);
  });
});
