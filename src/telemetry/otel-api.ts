/**
 * `@opentelemetry/api`, an optional peer: imported on first use (never statically), cached, and
 * null when it is not installed, in which case asyncmq traces nothing and behaves as before.
 */
import type * as Api from "@opentelemetry/api";

export type OtelApi = typeof Api;

/** The instrumentation scope name of asyncmq's spans. */
export const TRACER_NAME = "asyncmq";

let api: OtelApi | null | undefined;
let loading: Promise<OtelApi | null> | undefined;

/** The API once loaded (null: not installed); undefined until {@link loadOtelApi} has settled. */
export function otelApi(): OtelApi | null | undefined {
  return api;
}

/** Loads the API once; resolves to null when it is not installed. */
export function loadOtelApi(): Promise<OtelApi | null> {
  loading ??= import("@opentelemetry/api").then(
    (m) => {
      api = m;
      return m;
    },
    () => {
      api = null;
      return null;
    },
  );
  return loading;
}

/**
 * asyncmq's tracer, or undefined while no tracer provider is registered: the global provider is a
 * proxy whose delegate tracer is undefined until an SDK registers one, so a process without an SDK
 * pays one lookup per job and makes no span.
 */
export function tracerOf(otel: OtelApi): Api.Tracer | undefined {
  const provider = otel.trace.getTracerProvider() as Api.TracerProvider & Partial<Api.ProxyTracerProvider>;
  if (typeof provider.getDelegateTracer === "function") return provider.getDelegateTracer(TRACER_NAME);
  return provider.getTracer(TRACER_NAME);
}

/** The attributes every asyncmq span has (messaging semantic conventions). */
export function messagingAttributes(queue: string, operation: "send" | "process"): Record<string, string> {
  return {
    "messaging.system": "asyncmq",
    "messaging.destination.name": queue,
    "messaging.operation.name": operation,
    "messaging.operation.type": operation,
  };
}

/**
 * Marks `span` failed with `error` (an exception event, status ERROR, `error.type`): an Error, or
 * a stored job error (`{ name, message, stack }`).
 */
export function recordFailure(otel: OtelApi, span: Api.Span, error: unknown): void {
  const err =
    typeof (error as Error | null)?.message === "string" ? (error as Error) : new Error(String(error));
  span.recordException(err);
  span.setAttribute("error.type", err.name);
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: err.message });
}
