/**
 * The consumer span of one attempt: `process <queue>`, kind CONSUMER, around the handler. It links
 * to the producer span the job carries (`traceContext`) and, since an attempt processes one message,
 * also has it as parent (semantic conventions: a link always, the parent optional for a single
 * message), so the attempt shows in the trace of the request that enqueued the job. Ends with the
 * attempt's outcome: `asyncmq.outcome`, and the error with status ERROR when the attempt failed.
 */
import type { Span } from "@opentelemetry/api";
import type { Finish } from "../backends/backend.js";
import type { ClaimedJob } from "../job.js";
import { messagingAttributes, type OtelApi, otelApi, recordFailure, tracerOf } from "./otel-api.js";
import { extractContext } from "./trace-context.js";

/** An attempt being traced. */
export class AttemptSpan {
  constructor(
    private readonly otel: OtelApi,
    private readonly span: Span,
  ) {}

  /** Runs the handler with this span active (its own spans become children). */
  run<T>(fn: () => T): T {
    const { context, trace } = this.otel;
    return context.with(trace.setSpan(context.active(), this.span), fn);
  }

  /**
   * Ends the span with the attempt's end: the finish written for it, else (null) why none was,
   * e.g. "cancelled" or "lost" (the backend already moved the job). A retry or failure records its error.
   */
  end(item: Finish | null, cause: string | undefined): void {
    const { span } = this;
    const outcome = item === null ? (cause ?? "none") : item.kind === "retry" ? "retried" : item.kind;
    span.setAttribute("asyncmq.outcome", outcome);
    if (item?.kind === "retry" || item?.kind === "failed") recordFailure(this.otel, span, item.error);
    span.end();
  }
}

/**
 * Starts the span of `job`'s attempt, or returns undefined when tracing is off (the API absent, or
 * no tracer provider registered). The API must have been loaded (loadOtelApi) for spans to start.
 */
export function traceAttempt(queue: string, job: ClaimedJob): AttemptSpan | undefined {
  const otel = otelApi();
  const tracer = otel ? tracerOf(otel) : undefined;
  if (!otel || tracer === undefined) return undefined;
  const producer = extractContext(otel, job.traceContext);
  const attributes: Record<string, string | number> = messagingAttributes(queue, "process");
  attributes["messaging.message.id"] = job.id;
  attributes["asyncmq.task"] = job.task;
  attributes["asyncmq.attempt"] = job.attempts;
  const span = tracer.startSpan(
    `process ${queue}`,
    {
      kind: otel.SpanKind.CONSUMER,
      attributes,
      links: producer === undefined ? undefined : [{ context: producer.span }],
    },
    producer?.context ?? otel.context.active(),
  );
  return new AttemptSpan(otel, span);
}
