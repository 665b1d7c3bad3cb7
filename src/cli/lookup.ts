/**
 * Lookups shared by the queue and job commands, failing with one clear line (exit 1).
 */
import type { Backend } from "../backends/backend.js";
import { checkName, type JobRecord } from "../job.js";
import { Queue } from "../queue.js";
import { command } from "./context.js";
import { CliError, UsageError } from "./errors.js";

/** A Queue over `backend` for a name given on the command line. */
export function queueOf(backend: Backend, name: string): Queue {
  try {
    checkName(name, "queue name");
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return new Queue(name, { backend });
}

/** Fails unless the backend knows the queue (it has jobs, repeatables or a pause flag). */
export async function requireQueue(backend: Backend, name: string): Promise<Queue> {
  const queue = queueOf(backend, name);
  const known = await backend.listQueues();
  if (!known.includes(name)) {
    throw new CliError(
      `unknown queue "${name}": it has no jobs, repeatables or pause flag on this backend; run "${command("queue list")}" to see the queues (or check --backend)`,
    );
  }
  return queue;
}

/** Fails unless the queue exists and has the job. */
export async function requireJob(backend: Backend, queueName: string, id: string): Promise<JobRecord> {
  const queue = await requireQueue(backend, queueName);
  const job = await queue.getJob(id);
  if (!job) throw unknownJob(queueName, id);
  return job;
}

export function unknownJob(queueName: string, id: string): CliError {
  return new CliError(
    `queue "${queueName}" has no job "${id}"; run "${command(`job list ${queueName}`)}" to see its jobs (the argument order is <queue> <job-id>)`,
  );
}
