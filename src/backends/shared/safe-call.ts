/** Calling wake-up and subscribe listeners without letting one break the backend. */
import { log } from "../../logger.js";

/** Calls a listener; a throwing listener never breaks the transition that notified it, nor the caller. */
export function safeCall<T>(listener: (value: T) => void, value: T): void {
  try {
    listener(value);
  } catch (err) {
    log().warn("a wake-up or subscribe listener threw; the backend goes on", err);
  }
}
