/**
 * The producer's context as a job carries it (`traceContext`): the global propagator's headers
 * (W3C `traceparent`/`tracestate`, baggage, ... as the SDK is set up), plus a W3C `traceparent`
 * written here when no propagator wrote one, so the worker's link never depends on propagator setup.
 */
import type { Context, SpanContext } from "@opentelemetry/api";
import type { OtelApi } from "./otel-api.js";

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The headers of `ctx` (whose span is `span`) to store with a job; undefined when there is no valid span. */
export function injectContext(
  otel: OtelApi,
  ctx: Context,
  span: SpanContext,
): Record<string, string> | undefined {
  if (!otel.isSpanContextValid(span)) return undefined;
  const carrier: Record<string, string> = {};
  otel.propagation.inject(ctx, carrier);
  if (carrier.traceparent === undefined) {
    carrier.traceparent = `00-${span.traceId}-${span.spanId}-0${(span.traceFlags & 1).toString(16)}`;
    const state = span.traceState?.serialize();
    if (state) carrier.tracestate = state;
  }
  return carrier;
}

/**
 * The producer's span context a job carries, read by the global propagator, else from its
 * `traceparent`; undefined when it carries none (added without tracing) or none that is valid.
 */
export function extractContext(
  otel: OtelApi,
  carried: Record<string, string> | undefined,
): { context: Context; span: SpanContext } | undefined {
  if (carried === undefined) return undefined;
  const root = otel.ROOT_CONTEXT;
  let context = otel.propagation.extract(root, carried);
  let span = otel.trace.getSpanContext(context);
  if (span === undefined || !otel.isSpanContextValid(span)) {
    const m = TRACEPARENT.exec(carried.traceparent ?? "");
    if (m === null) return undefined;
    span = {
      traceId: m[1] as string,
      spanId: m[2] as string,
      traceFlags: Number.parseInt(m[3] as string, 16) & 1,
      isRemote: true,
    };
    if (!otel.isSpanContextValid(span)) return undefined;
    if (carried.tracestate) span.traceState = otel.createTraceState(carried.tracestate);
    context = otel.trace.setSpanContext(root, span);
  }
  return { context, span };
}
