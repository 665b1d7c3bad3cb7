/** Reading a removeOnComplete / removeOnFail spec. */
import { type RetentionSpec, toMs } from "../../job.js";

/** The limits a retention object sets: remove after `ageMs`, keep the newest `count`; either may be absent. */
export interface RetentionLimits {
  ageMs: number | undefined;
  count: number | undefined;
}

/** What `spec` asks for a finished job: `true` to remove it at once, limits, or null to keep it. */
export function readRetention(spec: RetentionSpec | null | undefined): true | RetentionLimits | null {
  if (spec === true) return true;
  if (typeof spec !== "object" || spec === null) return null;
  return {
    ageMs: spec.age === undefined ? undefined : toMs(spec.age, "retention age"),
    count: spec.count,
  };
}
