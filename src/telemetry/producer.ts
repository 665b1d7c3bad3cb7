/**
 * The producer span of an enqueue (Queue.add/addBulk, task.enqueue): one `send <queue>` span of kind
 * PRODUCER per call, around the backend's insert, whose context every job of the call carries
 * (`traceContext`) so each attempt's consumer span links to it. One job: `messaging.message.id` is
 * its id; several: `messaging.batch.message_count`.
 */
import type { Tracer } from "@opentelemetry/api";
import type { EnqueueResult, NewJob } from "../backends/backend.js";
import {
  loadOtelApi,
  messagingAttributes,
  type OtelApi,
  otelApi,
  recordFailure,
  tracerOf,
} from "./otel-api.js";
import { injectContext } from "./trace-context.js";

/**
 * Runs `send` (the insert of `jobs` into `queue`) inside a producer span when tracing is on, after
 * storing the span's context on each job; otherwise just runs it (its own promise: no extra one).
 */
export function traceEnqueue(
  queue: string,
  jobs: NewJob[],
  send: () => Promise<EnqueueResult[]>,
): Promise<EnqueueResult[]> {
  const otel = otelApi();
  // The first enqueue of the process waits for the optional API's import (once).
  if (otel === undefined) return loadOtelApi().then(() => traceEnqueue(queue, jobs, send));
  const tracer = otel === null ? undefined : tracerOf(otel);
  if (otel === null || tracer === undefined) return send();
  return sendTraced(otel, tracer, queue, jobs, send);
}

async function sendTraced(
  otel: OtelApi,
  tracer: Tracer,
  queue: string,
  jobs: NewJob[],
  send: () => Promise<EnqueueResult[]>,
): Promise<EnqueueResult[]> {
  const attributes: Record<string, string | number> = messagingAttributes(queue, "send");
  const tasks = new Set(jobs.map((j) => j.task));
  if (tasks.size === 1) attributes["asyncmq.task"] = jobs[0]?.task as string;
  if (jobs.length > 1) attributes["messaging.batch.message_count"] = jobs.length;
  const span = tracer.startSpan(`send ${queue}`, { kind: otel.SpanKind.PRODUCER, attributes });
  const ctx = otel.trace.setSpan(otel.context.active(), span);
  const carried = injectContext(otel, ctx, span.spanContext());
  if (carried !== undefined) for (const job of jobs) job.traceContext = carried;
  try {
    const results = await otel.context.with(ctx, send);
    const [only] = results;
    if (results.length === 1 && only !== undefined) {
      span.setAttribute("messaging.message.id", only.id);
      if (only.duplicate) span.setAttribute("asyncmq.duplicate", true);
    }
    return results;
  } catch (err) {
    recordFailure(otel, span, err);
    throw err;
  } finally {
    span.end();
  }
}
