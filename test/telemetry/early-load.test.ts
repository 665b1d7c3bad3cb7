/**
 * The optional OpenTelemetry API is imported when a Queue is made or a worker starts, in the
 * background, so that a process's first add() or first job does not wait for the import (~15 ms;
 * it was the worst sample of an idle worker's enqueue-to-start).
 */
import { expect, it, vi } from "vitest";
import { until } from "../helpers.js";

// The bounds are generous: re-importing the sources after vi.resetModules takes 2 s here when quiet.
it("a new Queue starts loading the API before any add()", { timeout: 30_000 }, async () => {
  vi.resetModules();
  const otel = await import("../../src/telemetry/otel-api.js");
  const { Queue } = await import("../../src/queue.js");
  expect(otel.otelApi()).toBeUndefined();
  new Queue("early-otel", { backend: "memory://" });
  await until(() => otel.otelApi() !== undefined, 20_000);
  expect(otel.otelApi()).not.toBeNull();
});

it("a starting worker does too", { timeout: 30_000 }, async () => {
  vi.resetModules();
  const otel = await import("../../src/telemetry/otel-api.js");
  const { runWorker } = await import("../../src/worker/runners.js");
  const { createBackend } = await import("../../src/backends/registry.js");
  expect(otel.otelApi()).toBeUndefined();
  const backend = createBackend("memory://");
  const controller = new AbortController();
  const run = runWorker("early-otel-worker", { backend, concurrency: 1, signal: controller.signal });
  try {
    await until(() => otel.otelApi() !== undefined, 20_000);
    expect(otel.otelApi()).not.toBeNull();
  } finally {
    controller.abort();
    await run;
    await backend.close();
  }
});
