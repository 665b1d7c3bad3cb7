/**
 * OpenTelemetry installed but no tracer provider registered (the API's default): asyncmq makes no
 * span and stores no trace context, jobs run as usual; a provider registered later is picked up
 * without a restart.
 */
import { trace } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, expect, it } from "vitest";
import { createBackend } from "../../src/backends/registry.js";
import { Queue } from "../../src/queue.js";
import { task } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";

afterAll(() => trace.disable());

it("records nothing without a provider, jobs run, and a provider registered later traces", async () => {
  trace.disable();
  const backend = createBackend("memory://");
  const queue = new Queue("otel-off", { backend });
  const seen: Array<string | undefined> = [];
  task("otel-off-task", { queue: "otel-off" }, (data: { n: number }) => {
    seen.push(trace.getActiveSpan()?.spanContext().spanId);
    return data.n;
  });
  const worker = new Worker("otel-off", { backend, concurrency: 1 });
  try {
    await worker.start();
    const id = await queue.add("otel-off-task", { n: 1 });
    expect(await queue.waitFor(id, { timeout: "5s" })).toBe(1);
    expect((await queue.getJob(id))?.traceContext).toBeUndefined();
    expect(seen).toEqual([undefined]);

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(
      new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    );
    const traced = await queue.add("otel-off-task", { n: 2 });
    expect(await queue.waitFor(traced, { timeout: "5s" })).toBe(2);
    expect((await queue.getJob(traced))?.traceContext?.traceparent).toMatch(
      /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
    );
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["send otel-off", "process otel-off"]);
  } finally {
    await worker.stop();
    await queue.close();
    await backend.close();
  }
});
