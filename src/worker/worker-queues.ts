/** The queues a worker serves (`runWorker`, `Worker`): one name, or several with optional weights. */
import { ValidationError } from "../errors.js";
import { checkName } from "../job.js";

/** A queue of a multi-queue worker, with its share of the worker's concurrency. */
export interface WorkerQueue {
  name: string;
  /**
   * While several of the worker's queues have work, this queue starts about
   * `weight / (sum of the busy queues' weights)` of the jobs the worker starts (its claims take
   * turns, weighted). An integer >= 1. Default 1 (an equal share).
   */
  weight?: number;
}

/** What `runWorker` and `Worker` take: a queue name, or several queues (names or WorkerQueue). */
export type WorkerQueues = string | ReadonlyArray<string | WorkerQueue>;

/** A validated WorkerQueue. */
export interface QueueSpec {
  name: string;
  weight: number;
}

/** Validates `queues`; throws ValidationError (empty list, a bad or repeated name, a bad weight). */
export function checkQueues(queues: WorkerQueues): QueueSpec[] {
  if (typeof queues === "string") return [{ name: checkName(queues, "queue name"), weight: 1 }];
  if (!Array.isArray(queues)) {
    throw new ValidationError(
      `the queues of a worker must be a queue name or an array like ["emails", { name: "reports", weight: 2 }], got ${JSON.stringify(queues)}`,
    );
  }
  if (queues.length === 0) {
    throw new ValidationError(
      'the queue list of a worker is empty; give at least one queue, like ["emails"]',
    );
  }
  const seen = new Set<string>();
  return queues.map((entry: unknown, i) => {
    const spec = toSpec(entry, i);
    if (seen.has(spec.name)) {
      throw new ValidationError(
        `queue "${spec.name}" is listed twice in the worker's queues; list each queue once (use weight for a bigger share)`,
      );
    }
    seen.add(spec.name);
    return spec;
  });
}

function toSpec(entry: unknown, i: number): QueueSpec {
  if (typeof entry === "string") return { name: checkName(entry, `queue name at index ${i}`), weight: 1 };
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new ValidationError(
      `queue at index ${i} must be a name or { name, weight }, got ${JSON.stringify(entry)}`,
    );
  }
  const { name, weight = 1, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    throw new ValidationError(
      `queue at index ${i} has unknown key(s) ${extra.map((k) => `"${k}"`).join(", ")}; a queue entry takes name and weight`,
    );
  }
  const checked = checkName(name, `queue name at index ${i}`);
  if (typeof weight !== "number" || !Number.isInteger(weight) || weight < 1) {
    throw new ValidationError(
      `the weight of queue "${checked}" must be an integer >= 1, got ${JSON.stringify(weight)}`,
    );
  }
  return { name: checked, weight };
}
