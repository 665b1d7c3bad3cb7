/**
 * `queue.events`: the events of one queue from every process that shares the backend. It subscribes
 * to the backend only while it has listeners, so an unobserved queue costs nothing.
 */
import type { Backend } from "./backends/backend.js";
import {
  type DynamicEventName,
  type EventListener,
  type JobEventListener,
  type JobEventName,
  SafeEmitter,
} from "./events.js";

export class QueueEvents extends SafeEmitter {
  #unsubscribe: (() => void) | null = null;

  constructor(
    private readonly queue: string,
    private readonly backend: () => Backend,
  ) {
    super();
  }

  override on<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  override on<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  override on(name: string, listener: EventListener): this {
    super.on(name, listener);
    if (!this.#unsubscribe) {
      this.#unsubscribe = this.backend().subscribe(this.queue, (event) =>
        this.emit(event.name, event.payload),
      );
    }
    return this;
  }

  override off<E extends JobEventName>(name: E, listener: JobEventListener<E>): this;
  override off<N extends string>(name: DynamicEventName<N>, listener: EventListener): this;
  override off(name: string, listener: EventListener): this {
    super.off(name, listener);
    if (!this.hasListeners()) this.close();
    return this;
  }

  override removeAllListeners(name?: string): this {
    super.removeAllListeners(name);
    if (!this.hasListeners()) this.close();
    return this;
  }

  /** Stops the backend subscription (listeners stay registered but receive nothing more). */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }
}
