/**
 * Notices commits made by other processes without tight polling: `fs.watch` on the database's
 * `-wal` file (every commit appends to it) plus a slow fallback poll for file systems where watching
 * does not work. Both only schedule `onSignal` (at most once per event-loop turn); the backend then
 * asks SQLite whether anything changed (`PRAGMA data_version`), which is cheap.
 */
import { type FSWatcher, watch } from "node:fs";

/** Fallback poll period while someone listens (ms). */
const FALLBACK_POLL_MS = 500;
/** Delay of the second look after a file event (ms). */
const TRAILING_CHECK_MS = 3;

/** Calls `onSignal` soon after the database file may have changed, while started. */
export class ChangeWatcher {
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;
  #running = false;
  #trailing: NodeJS.Timeout | undefined;

  /** `walPath` null: nothing to watch (in-memory database), only the poll runs. */
  constructor(
    private readonly walPath: string | null,
    private readonly onSignal: () => void,
  ) {}

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#watch();
    // Unref'd: listening must not keep a process alive on its own; the runtime holds its own handles.
    this.#timer = setInterval(() => {
      if (!this.#watcher) this.#watch();
      this.#schedule();
    }, FALLBACK_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#running = false;
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#trailing) clearTimeout(this.#trailing);
    this.#trailing = undefined;
  }

  #watch(): void {
    if (this.walPath === null) return;
    try {
      const watcher = watch(this.walPath, { persistent: false }, () => {
        this.#schedule();
        this.#scheduleTrailing();
      });
      // A watch that breaks (file replaced, watcher limit) falls back to the poll, which re-watches.
      watcher.on("error", () => {
        watcher.close();
        if (this.#watcher === watcher) this.#watcher = undefined;
      });
      this.#watcher = watcher;
    } catch {
      this.#watcher = undefined;
    }
  }

  /**
   * The file event can arrive before the writer has published its commit in the WAL index, so the
   * first check may see nothing new; one more check shortly after catches the commit.
   */
  #scheduleTrailing(): void {
    if (this.#trailing || !this.#running) return;
    this.#trailing = setTimeout(() => {
      this.#trailing = undefined;
      this.#schedule();
    }, TRAILING_CHECK_MS);
    this.#trailing.unref();
  }

  #schedule(): void {
    if (this.#scheduled || !this.#running) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#running) this.onSignal();
    });
  }
}
