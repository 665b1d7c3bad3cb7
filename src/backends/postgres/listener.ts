/**
 * The one LISTEN connection of a backend: connects on demand, hands each notification of the
 * schema's channel to `onMessage`, and reconnects after a lost connection (calling `onReconnect`,
 * since notifications sent meanwhile are gone).
 */
import type pg from "pg";
import { quoteIdent } from "./statements.js";

const RECONNECT_MS = 500;

/** One backend's LISTEN connection on its schema's channel. */
export class Listener {
  #client: pg.PoolClient | undefined;
  #connecting: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly channel: string,
    private readonly onMessage: (payload: string) => void,
    private readonly onReconnect: () => void,
  ) {}

  /** Resolves once LISTEN is active (connecting first when needed). */
  start(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#client) return Promise.resolve();
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = await this.pool.connect();
    const lost = () => this.#lost(client);
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.onMessage(msg.payload);
    });
    try {
      await client.query(`LISTEN ${quoteIdent(this.channel)}`);
    } catch (err) {
      client.release(true);
      throw err;
    }
    if (this.#stopped) {
      client.release(true);
      return;
    }
    this.#client = client;
  }

  #lost(client: pg.PoolClient): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    try {
      client.release(true);
    } catch {
      // Already released.
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.start().then(this.onReconnect, () => this.#scheduleReconnect());
    }, RECONNECT_MS);
    this.#retry.unref();
  }

  /** Closes the connection (destroyed rather than returned to the pool, so it leaves no LISTEN behind). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    await this.#connecting?.catch(() => {});
    const client = this.#client;
    this.#client = undefined;
    client?.release(true);
  }
}
