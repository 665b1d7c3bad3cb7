/**
 * What every route of one dashboard shares: its validated options, one `Queue` per queue name (every
 * action goes through the public Queue API) and the paths it links to.
 */
import { Queue } from "../queue.js";
import type { DashboardConfig } from "./options.js";

export class DashboardState {
  readonly #queues = new Map<string, Queue>();

  constructor(
    readonly config: DashboardConfig,
    /** The version segment of asset URLs (a hash of their contents). */
    readonly assetVersion: string,
  ) {}

  /** The Queue of `name`, created once. @throws ValidationError for a name no queue can have. */
  queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, { backend: this.config.backend });
      this.#queues.set(name, q);
    }
    return q;
  }

  /** Whether the backend knows `name` (it has jobs, repeatables or a pause flag). */
  async hasQueue(name: string): Promise<boolean> {
    return (await this.config.backend.listQueues()).includes(name);
  }

  /** A dashboard path (`/queues/x`) as a URL path under the base path. */
  href(path: string): string {
    return `${this.config.base}${path}`;
  }

  /** The URL of a static asset (`app.js`). */
  asset(file: string): string {
    return this.href(`/assets/${this.assetVersion}/${file}`);
  }

  async close(): Promise<void> {
    const queues = [...this.#queues.values()];
    this.#queues.clear();
    await Promise.all(queues.map((q) => q.close()));
  }
}

/** A path segment for a queue name, job id or repeatable id. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** The dashboard path of a queue, and of a job in it. */
export function queuePath(queue: string): string {
  return `/queues/${seg(queue)}`;
}

export function jobPath(queue: string, id: string): string {
  return `${queuePath(queue)}/jobs/${seg(id)}`;
}
