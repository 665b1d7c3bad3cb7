/**
 * OpenTelemetry: a producer span per enqueue, one consumer span per attempt, linked (and parented)
 * to the producer span across processes. The producer runs in a child process with its own SDK and
 * prints its span; the worker runs here, under an SDK with an in-memory exporter, on real engines
 * (an SQLite file, Redis, Postgres).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { createBackend } from "../../src/backends/registry.js";
import { Queue } from "../../src/queue.js";
import { task } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { ROOT } from "../e2e/helpers.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();
const dir = mkdtempSync(join(tmpdir(), "asyncmq-otel-"));
const prefix = uniquePrefix("otel");
const schema = testSchema("otel");
let redisUsed = false;
let pgUsed: string | undefined;

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(async () => {
  trace.disable();
  context.disable();
  rmSync(dir, { recursive: true, force: true });
  if (redisUsed) await dropPrefix(prefix);
  if (pgUsed !== undefined) await dropSchema(pgUsed, schema);
  stopPostgres();
});
beforeEach(() => exporter.reset());

interface ProducerSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  attributes: Record<string, unknown>;
}

/** Runs the producer child: adds one job of `taskName` to `queue` on `url`; its job id and spans. */
function produceInChild(
  url: string,
  queue: string,
  taskName: string,
): Promise<{ id: string; spans: ProducerSpan[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "test/telemetry/fixtures/traced-producer.ts"), url, queue, taskName],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`producer exited ${code}: ${err}`));
    });
  });
}

let taskCount = 0;
/** A task that fails its first attempt and completes its second; records the span active in the handler. */
function flakyTask(queue: string) {
  const active: Array<string | undefined> = [];
  const t = task(`otel-flaky-${process.pid}-${++taskCount}`, { queue }, (_data, ctx) => {
    active.push(trace.getActiveSpan()?.spanContext().spanId);
    if (ctx.job.attempts === 1) throw new Error("first attempt fails");
    return "done";
  });
  return { name: t.name, active };
}

function consumerSpans(): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
}

async function runUntilDone(backend: Backend, queueName: string, id: string): Promise<void> {
  const queue = new Queue(queueName, { backend });
  const worker = new Worker(queueName, { backend, concurrency: 1 });
  try {
    await worker.start();
    expect(await queue.waitFor(id, { timeout: "10s" })).toBe("done");
  } finally {
    await worker.stop();
    await queue.close();
  }
}

const ENGINES: Array<{ name: string; url: () => Promise<string> }> = [
  { name: "sqlite", url: async () => `sqlite://${join(dir, "otel.db")}` },
  {
    name: "redis",
    url: async () => {
      redisUsed = true;
      return `${await redisUrl()}?prefix=${prefix}`;
    },
  },
  {
    name: "postgres",
    url: async () => {
      pgUsed = await postgresUrl();
      return `${pgUsed}${pgUsed.includes("?") ? "&" : "?"}schema=${schema}`;
    },
  },
];

describe.each(ENGINES)("tracing across processes on $name", ({ url: urlOf }) => {
  it("one consumer span per attempt, each linked to and parented by the producer span of another process", async () => {
    const url = await urlOf();
    const queueName = `otel-q-${Math.random().toString(36).slice(2, 8)}`;
    const flaky = flakyTask(queueName);
    const { id, spans } = await produceInChild(url, queueName, flaky.name);

    expect(spans).toHaveLength(1);
    const producer = spans[0] as ProducerSpan;
    expect(producer).toMatchObject({
      name: `send ${queueName}`,
      kind: SpanKind.PRODUCER,
      attributes: {
        "messaging.system": "asyncmq",
        "messaging.destination.name": queueName,
        "messaging.operation.type": "send",
        "messaging.message.id": id,
        "asyncmq.task": flaky.name,
      },
    });

    const backend = createBackend(url);
    try {
      expect((await backend.getJob(queueName, id))?.traceContext?.traceparent).toBe(
        `00-${producer.traceId}-${producer.spanId}-01`,
      );
      await runUntilDone(backend, queueName, id);
    } finally {
      await backend.close();
    }

    const attempts = consumerSpans().sort(
      (a, b) => Number(a.attributes["asyncmq.attempt"]) - Number(b.attributes["asyncmq.attempt"]),
    );
    expect(
      attempts.map((s) => [s.name, s.attributes["asyncmq.attempt"], s.attributes["asyncmq.outcome"]]),
    ).toEqual([
      [`process ${queueName}`, 1, "retried"],
      [`process ${queueName}`, 2, "completed"],
    ]);
    for (const span of attempts) {
      expect(span.attributes).toMatchObject({
        "messaging.system": "asyncmq",
        "messaging.destination.name": queueName,
        "messaging.operation.type": "process",
        "messaging.message.id": id,
        "asyncmq.task": flaky.name,
      });
      expect(span.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
        [producer.traceId, producer.spanId],
      ]);
      expect(span.spanContext().traceId).toBe(producer.traceId);
      expect(span.parentSpanContext?.spanId).toBe(producer.spanId);
    }
    const [failed, completed] = attempts as [ReadableSpan, ReadableSpan];
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes["error.type"]).toBe("Error");
    expect(failed.events.map((e) => [e.name, e.attributes?.["exception.message"]])).toEqual([
      ["exception", "first attempt fails"],
    ]);
    expect(completed.status.code).toBe(SpanStatusCode.UNSET);
    // The handler ran with its attempt's span active.
    expect(flaky.active).toEqual(attempts.map((s) => s.spanContext().spanId));
  });
});

describe("tracing in one process", () => {
  it("addBulk makes one producer span whose context every job carries", async () => {
    const backend = createBackend("memory://");
    const queueName = "otel-bulk";
    const queue = new Queue(queueName, { backend });
    try {
      const ids = await queue.addBulk([{ task: "a" }, { task: "a" }, { task: "a" }]);
      const [send] = exporter.getFinishedSpans();
      expect(exporter.getFinishedSpans()).toHaveLength(1);
      expect(send?.attributes).toMatchObject({
        "messaging.operation.type": "send",
        "messaging.batch.message_count": 3,
        "asyncmq.task": "a",
      });
      const traceparent = `00-${send?.spanContext().traceId}-${send?.spanContext().spanId}-01`;
      for (const id of ids) expect((await queue.getJob(id))?.traceContext?.traceparent).toBe(traceparent);
    } finally {
      await queue.close();
      await backend.close();
    }
  });

  it("a producer span under an active span is its child, and records a failed enqueue", async () => {
    const backend = createBackend("memory://");
    const queue = new Queue("otel-parent", { backend });
    try {
      const tracer = trace.getTracer("test");
      await tracer.startActiveSpan("request", async (request) => {
        await queue.add("t", { n: 1 });
        // The backend refuses it (no such parent): the span records the error.
        await expect(queue.add("t", { n: 2 }, { dependsOn: ["missing"] })).rejects.toThrow(/missing/);
        request.end();
      });
      const [ok, bad] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
      const request = exporter.getFinishedSpans().find((s) => s.name === "request");
      expect(ok?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId);
      expect(bad?.status.code).toBe(SpanStatusCode.ERROR);
      expect(bad?.attributes["error.type"]).toBe("ValidationError");
    } finally {
      await queue.close();
      await backend.close();
    }
  });
});
