/** Copying a repeatable record, so that callers never share the stored definition. */
import type { RepeatableInfoRecord } from "../backend.js";

/** A deep copy of `info` (its definition cloned). */
export function copyRepeatable(info: RepeatableInfoRecord): RepeatableInfoRecord {
  return { id: info.id, def: structuredClone(info.def), nextRun: info.nextRun, paused: info.paused };
}
