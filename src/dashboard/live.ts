/**
 * Live updates over server-sent events. While at least one page listens, the hub subscribes to the
 * backend's events of every queue (`backend.subscribe`, which carries other processes' events too)
 * and re-reads the queue list now and then to find new queues. Events are coalesced: a queue that
 * changed is re-counted once per `coalesceMs` and its fresh counts pushed to the pages (a worker
 * finishing thousands of jobs a second costs a few count queries a second, not one per job), and a
 * queue's subscription rests from its first event until that re-count, so writers build and send
 * its events only a few times a second, not for every job. A page watching one job gets that job's
 * events, and its state after each re-count of its queue. With no page listening, it holds no
 * subscription.
 */
import type { Backend, QueueEvent } from "../backends/backend.js";
import { log } from "../logger.js";

export interface LiveFilter {
  /** Only this queue's counts (it is watched even before it has jobs). */
  queue?: string;
  /** With `queue`: this job's events too. */
  job?: string;
}

export interface LiveTiming {
  /** Longest delay between an event and the counts it changed being pushed; default 200 ms. */
  coalesceMs: number;
  /** How often the queue list is re-read to find new queues; default 10 s. */
  refreshMs: number;
  /** How often a comment line keeps idle connections (and proxies) open; default 15 s. */
  heartbeatMs: number;
}

interface Client {
  filter: LiveFilter;
  send(text: string): void;
  end(): void;
}

const DEFAULT_TIMING: LiveTiming = { coalesceMs: 200, refreshMs: 10_000, heartbeatMs: 15_000 };
const encoder = new TextEncoder();

export class LiveHub {
  readonly #backend: Backend;
  readonly #timing: LiveTiming;
  readonly #clients = new Set<Client>();
  readonly #subscriptions = new Map<string, () => void>();
  readonly #dirty = new Set<string>();
  /** The counts message last pushed per queue. */
  readonly #lastCounts = new Map<string, string>();
  /** Queues whose subscription rests until the next flush (see #onEvent). */
  readonly #resting = new Set<string>();
  /** The queue list at the last refresh; null before the first one (pages know it from their HTML). */
  #known: string[] | null = null;
  #flushTimer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(backend: Backend, timing: Partial<LiveTiming> = {}) {
    this.#backend = backend;
    this.#timing = { ...DEFAULT_TIMING, ...timing };
  }

  /** How many pages are connected (for tests and the close path). */
  get clients(): number {
    return this.#clients.size;
  }

  /** An SSE response streaming updates for `filter` until the client goes away or close(). */
  stream(filter: LiveFilter): Response {
    if (this.#closed) return new Response("the dashboard is shutting down\n", { status: 503 });
    let open = true;
    let client: Client | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        client = {
          filter,
          send: (text) => {
            if (open) controller.enqueue(encoder.encode(text));
          },
          end: () => {
            if (!open) return;
            open = false;
            controller.close();
          },
        };
        this.#add(client);
      },
      // The page went away (the adapter cancels the stream when the connection closes).
      cancel: () => {
        open = false;
        if (client) this.#remove(client);
      },
    });
    return new Response(body, {
      headers: {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-store",
        "X-Accel-Buffering": "no",
      },
    });
  }

  /** Ends every stream and drops every subscription. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
    this.#stop();
  }

  #add(client: Client): void {
    this.#clients.add(client);
    client.send(": asyncmq live updates\nretry: 2000\n\n");
    if (this.#clients.size === 1) this.#start();
    if (client.filter.queue !== undefined) this.#watch(client.filter.queue);
    void this.#snapshot(client);
  }

  #remove(client: Client): void {
    this.#clients.delete(client);
    if (this.#clients.size === 0) this.#stop();
  }

  #start(): void {
    void this.#refresh();
    const refresh = setInterval(() => void this.#refresh(), this.#timing.refreshMs);
    const heartbeat = setInterval(() => this.#broadcast(": ping\n\n", () => true), this.#timing.heartbeatMs);
    refresh.unref();
    heartbeat.unref();
    this.#timers = [refresh, heartbeat];
  }

  #stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    for (const unsubscribe of this.#subscriptions.values()) unsubscribe();
    this.#subscriptions.clear();
    this.#resting.clear();
    this.#lastCounts.clear();
    this.#dirty.clear();
    this.#known = null;
  }

  /** Subscribes to new queues; tells the pages when the list changed. */
  async #refresh(): Promise<void> {
    let names: string[];
    try {
      names = (await this.#backend.listQueues()).sort();
    } catch (err) {
      log().debug("dashboard: listing queues failed", { err });
      return;
    }
    if (this.#clients.size === 0) return;
    for (const name of names) this.#watch(name);
    const before = this.#known;
    this.#known = names;
    if (before !== null && names.join("\n") !== before.join("\n")) {
      this.#broadcast(message("queues", names), (f) => f.queue === undefined);
    }
  }

  /** Subscribes to `queue`; a backend that refuses (closed under a mounted dashboard) costs a log line. */
  #watch(queue: string): void {
    if (this.#subscriptions.has(queue) || this.#resting.has(queue) || this.#clients.size === 0) return;
    try {
      this.#subscriptions.set(
        queue,
        this.#backend.subscribe(queue, (event) => this.#onEvent(queue, event)),
      );
    } catch (err) {
      log().debug(`dashboard: subscribing to "${queue}" failed`, { queue, err });
    }
  }

  #onEvent(queue: string, event: QueueEvent): void {
    const jobId = event.payload.jobId;
    if (jobId !== undefined) {
      this.#broadcast(
        message("job", { queue, id: jobId, event: event.name }),
        (f) => f.queue === queue && f.job === jobId,
      );
    }
    // One event is enough to know the queue changed: rest its subscription until the flush, so
    // that writers stop building and sending this queue's events meanwhile (on a busy queue that
    // is most of them). The flush subscribes again before it counts, so no change goes unseen.
    const stop = this.#subscriptions.get(queue);
    if (stop !== undefined) {
      this.#subscriptions.delete(queue);
      this.#resting.add(queue);
      stop();
    }
    this.#markDirty(queue);
  }

  #markDirty(queue: string): void {
    this.#dirty.add(queue);
    this.#flushTimer ??= setTimeout(() => {
      this.#flushTimer = null;
      this.#flushing = this.#flushing.then(() => this.#flush());
    }, this.#timing.coalesceMs);
  }

  async #flush(): Promise<void> {
    const queues = [...this.#dirty];
    this.#dirty.clear();
    const woken: string[] = [];
    for (const queue of queues) {
      if (!this.#resting.delete(queue)) continue;
      this.#watch(queue);
      woken.push(queue);
    }
    const texts = await Promise.all(queues.map((queue) => this.#countsMessage(queue)));
    queues.forEach((queue, i) => {
      const text = texts[i];
      // Unchanged counts (a re-count after a resubscription, events that cancelled out) are not sent.
      if (!text || this.#lastCounts.get(queue) === text) return;
      this.#lastCounts.set(queue, text);
      this.#broadcast(text, (f) => f.queue === undefined || f.queue === queue);
    });
    for (const client of this.#clients) {
      const { queue, job } = client.filter;
      if (queue !== undefined && job !== undefined && queues.includes(queue)) void this.#jobState(client);
    }
    // A subscription that began around the count may have missed a change made just before it
    // took effect (a SUBSCRIBE or a registration in flight): count those queues once more.
    for (const queue of woken) if (this.#subscriptions.has(queue)) this.#markDirty(queue);
  }

  /** The current counts of the queues a page shows, right after it connects. */
  async #snapshot(client: Client): Promise<void> {
    let queues: string[];
    try {
      queues = client.filter.queue !== undefined ? [client.filter.queue] : await this.#backend.listQueues();
    } catch (err) {
      log().debug("dashboard: listing queues failed", { err });
      return;
    }
    for (const queue of queues) {
      const text = await this.#countsMessage(queue);
      if (text !== null && this.#clients.has(client)) client.send(text);
    }
    void this.#jobState(client);
  }

  /**
   * Where a page's job is now, as a "snapshot" job message (the page reloads if it moved since its
   * render): sent when the page connects, read after its subscription began, and after each flush
   * of its queue, which covers the events a resting subscription did not carry.
   */
  async #jobState(client: Client): Promise<void> {
    const { queue, job } = client.filter;
    if (queue === undefined || job === undefined) return;
    try {
      const record = await this.#backend.getJob(queue, job);
      if (this.#clients.has(client))
        client.send(message("job", { queue, id: job, event: "snapshot", state: record?.state ?? null }));
    } catch (err) {
      log().debug(`dashboard: reading job "${job}" of "${queue}" failed`, { queue, jobId: job, err });
    }
  }

  async #countsMessage(queue: string): Promise<string | null> {
    try {
      const [counts, paused] = await Promise.all([
        this.#backend.getJobCounts(queue),
        this.#backend.isPaused(queue),
      ]);
      return message("counts", { queue, counts, paused });
    } catch (err) {
      log().debug(`dashboard: counting jobs of "${queue}" failed`, { queue, err });
      return null;
    }
  }

  #broadcast(text: string, wants: (filter: LiveFilter) => boolean): void {
    for (const client of this.#clients) if (wants(client.filter)) client.send(text);
  }
}

function message(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
