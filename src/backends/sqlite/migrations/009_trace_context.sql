-- 009_trace_context: the producer's trace context (JSON object of propagation headers such as
-- W3C traceparent) stored with a job added while OpenTelemetry was on, so each attempt's span links
-- to the span that enqueued it. NULL for every other job. Adds only; drops no data.

ALTER TABLE jobs ADD COLUMN trace_context TEXT;
