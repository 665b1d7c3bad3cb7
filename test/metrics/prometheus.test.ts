/**
 * renderPrometheus (src/metrics/prometheus.ts) on the memory backend, read back by a strict reader
 * of the text exposition format 0.0.4 (every line checked against the format's grammar, HELP and
 * TYPE once per family before its samples, a family's samples contiguous): values per queue, label
 * escaping, histogram consistency, families present per capability. (The one parser package on
 * npm, parse-prometheus-text-format, accepts malformed lines and merges labelled histograms.)
 */
import { describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { JOB_STATES } from "../../src/job.js";
import { METRIC_BUCKETS_MS } from "../../src/metrics/buckets.js";
import { emptyCounts, observe } from "../../src/metrics/histogram.js";
import { escapeLabelValue, renderPrometheus } from "../../src/metrics/prometheus.js";
import { Queue } from "../../src/queue.js";

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL_VALUE = String.raw`"(?:[^"\\\n]|\\[\\"n])*"`;
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}`;
const VALUE = String.raw`(?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|NaN|[-+]Inf)`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(${LABEL}(?:,${LABEL})*)\\})? (${VALUE})$`);
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const LABEL_PAIR = new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)=(${LABEL_VALUE})`, "g");

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  type: string;
  help: string;
  samples: Sample[];
}

/** A label value as written, unescaped: \\ -> \, \" -> ", \n -> newline. */
function unescapeLabel(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Reads exposition text strictly (see the file header); fails the test on any deviation. */
function parse(text: string): Map<string, Family> {
  expect(text.endsWith("\n"), "ends with a newline").toBe(true);
  const families = new Map<string, Family>();
  let current: string | null = null;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = HELP.exec(line);
    const type = TYPE.exec(line);
    const sample = SAMPLE.exec(line);
    expect(help ?? type ?? sample, `not a valid exposition line: ${JSON.stringify(line)}`).not.toBeNull();
    if (help) {
      const name = help[1] as string;
      expect(families.has(name), `a second HELP for ${name}, or its samples are split`).toBe(false);
      families.set(name, { type: "", help: help[2] as string, samples: [] });
      current = name;
    } else if (type) {
      const family = families.get(type[1] as string);
      expect(type[1], "TYPE follows the HELP of its family").toBe(current);
      expect(family?.type, `a second TYPE for ${type[1]}`).toBe("");
      (family as Family).type = type[2] as string;
    } else if (sample) {
      const family = families.get(current ?? "");
      expect(family?.type, `sample ${line} before its family's TYPE`).toBeTruthy();
      const name = sample[1] as string;
      if (family?.type === "histogram") expect(name).toMatch(new RegExp(`^${current}_(bucket|sum|count)$`));
      else expect(name).toBe(current);
      const labels: Record<string, string> = {};
      for (const [, key, quoted] of (sample[2] ?? "").matchAll(LABEL_PAIR)) {
        expect(labels, `label ${key} twice`).not.toHaveProperty(key as string);
        labels[key as string] = unescapeLabel(quoted as string);
      }
      (family as Family).samples.push({ name, labels, value: Number(sample[3]) });
    }
  }
  return families;
}

/** The value of the one sample of `family` (or `name`, for histograms) whose labels include `labels`. */
function sampleValue(
  families: Map<string, Family>,
  family: string,
  labels: Record<string, string>,
  name = family,
) {
  const found = (families.get(family)?.samples ?? []).filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return found[0]?.value;
}

async function seeded(): Promise<{ backend: InMemoryBackend; weird: string }> {
  const backend = new InMemoryBackend();
  const weird = 'we"ird\\queue\nname';
  const a = new Queue("emails", { backend });
  await a.addBulk([{ task: "t" }, { task: "t" }, { task: "t", options: { delay: 60_000 } }]);
  await new Queue(weird, { backend }).add("t");
  await new Queue(weird, { backend }).pause();
  const now = Date.now();
  const sample = { minute: now - (now % 60_000), ...emptyCounts(), completed: 3, failed: 1, retried: 2 };
  for (const [wait, run] of [
    [3, 40],
    [120, 900],
    [7, 400_000],
    [20_000, 2],
  ] as const)
    observe(sample, wait, run);
  await backend.metrics?.record("emails", [sample], now, 86_400_000);
  await backend.workers?.heartbeat(
    {
      id: "w1",
      queues: ["emails"],
      host: "h",
      pid: 1,
      concurrency: 1,
      startedAt: now,
      heartbeatAt: now,
      active: 0,
    },
    60_000,
  );
  return { backend, weird };
}

describe("renderPrometheus", () => {
  it("is valid exposition text with every family, typed and described", async () => {
    const { backend } = await seeded();
    const families = parse(await renderPrometheus(backend));
    expect(Object.fromEntries([...families].map(([name, f]) => [name, f.type]))).toEqual({
      asyncmq_queue_jobs: "gauge",
      asyncmq_queue_paused: "gauge",
      asyncmq_workers: "gauge",
      asyncmq_jobs_completed_total: "counter",
      asyncmq_jobs_failed_total: "counter",
      asyncmq_jobs_retried_total: "counter",
      asyncmq_job_wait_seconds: "histogram",
      asyncmq_job_run_seconds: "histogram",
    });
    for (const [name, f] of families) expect(f.help.length, `HELP of ${name}`).toBeGreaterThan(10);
    await backend.close();
  });

  it("reports counts per state, pause flags, workers and totals per queue", async () => {
    const { backend, weird } = await seeded();
    const f = parse(await renderPrometheus(backend));
    expect(f.get("asyncmq_queue_jobs")?.samples).toHaveLength(2 * JOB_STATES.length);
    expect(sampleValue(f, "asyncmq_queue_jobs", { queue: "emails", state: "waiting" })).toBe(2);
    expect(sampleValue(f, "asyncmq_queue_jobs", { queue: "emails", state: "delayed" })).toBe(1);
    expect(sampleValue(f, "asyncmq_queue_jobs", { queue: "emails", state: "expired" })).toBe(0);
    expect(sampleValue(f, "asyncmq_queue_jobs", { queue: weird, state: "waiting" })).toBe(1);
    expect(sampleValue(f, "asyncmq_queue_paused", { queue: weird })).toBe(1);
    expect(sampleValue(f, "asyncmq_queue_paused", { queue: "emails" })).toBe(0);
    expect(sampleValue(f, "asyncmq_workers", { queue: "emails" })).toBe(1);
    expect(sampleValue(f, "asyncmq_workers", { queue: weird })).toBe(0);
    expect(sampleValue(f, "asyncmq_jobs_completed_total", { queue: "emails" })).toBe(3);
    expect(sampleValue(f, "asyncmq_jobs_failed_total", { queue: "emails" })).toBe(1);
    expect(sampleValue(f, "asyncmq_jobs_retried_total", { queue: "emails" })).toBe(2);
    expect(sampleValue(f, "asyncmq_jobs_completed_total", { queue: weird })).toBe(0);
    await backend.close();
  });

  it("escapes backslash, double quote and newline in label values", async () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const { backend, weird } = await seeded();
    const text = await renderPrometheus(backend, [weird]);
    expect(text).toContain('asyncmq_queue_paused{queue="we\\"ird\\\\queue\\nname"} 1\n');
    const paused = parse(text).get("asyncmq_queue_paused")?.samples;
    expect(paused?.map((s) => s.labels.queue)).toEqual([weird]);
    await backend.close();
  });

  it("histograms: cumulative buckets in seconds, +Inf equal to _count, _sum in seconds", async () => {
    const { backend } = await seeded();
    const f = parse(await renderPrometheus(backend, ["emails"]));
    const expected = {
      asyncmq_job_wait_seconds: {
        le: { "0.005": 1, "0.01": 2, "0.25": 3, "30": 4 },
        sumMs: 3 + 120 + 7 + 20_000,
      },
      asyncmq_job_run_seconds: {
        le: { "0.005": 1, "0.05": 2, "1": 3, "300": 3 },
        sumMs: 40 + 900 + 400_000 + 2,
      },
    };
    for (const [name, want] of Object.entries(expected)) {
      const buckets = (f.get(name)?.samples ?? []).filter((s) => s.name === `${name}_bucket`);
      expect(buckets.map((s) => s.labels.le)).toEqual([
        ...METRIC_BUCKETS_MS.map((ms) => String(ms / 1000)),
        "+Inf",
      ]);
      const counts = buckets.map((s) => s.value);
      for (let i = 1; i < counts.length; i++)
        expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1] as number);
      const count = sampleValue(f, name, { queue: "emails" }, `${name}_count`);
      expect(counts.at(-1)).toBe(count);
      expect(count).toBe(4);
      for (const [le, n] of Object.entries(want.le))
        expect(sampleValue(f, name, { le }, `${name}_bucket`), le).toBe(n);
      expect(sampleValue(f, name, { queue: "emails" }, `${name}_sum`)).toBeCloseTo(want.sumMs / 1000, 9);
    }
    await backend.close();
  });

  it("leaves out what the backend does not keep: metrics, workers", async () => {
    const { backend } = await seeded();
    const bare = new Proxy(backend, {
      get: (t, p) => (p === "metrics" || p === "workers" ? undefined : Reflect.get(t, p, t)),
    }) as Backend;
    const families = parse(await renderPrometheus(bare));
    expect([...families.keys()]).toEqual(["asyncmq_queue_jobs", "asyncmq_queue_paused"]);
    await backend.close();
  });

  it("renders only the HELP and TYPE lines for a backend without queues", async () => {
    const backend = new InMemoryBackend();
    const families = parse(await renderPrometheus(backend));
    expect([...families.values()].flatMap((f) => f.samples)).toEqual([]);
    expect(families.size).toBe(8);
    await backend.close();
  });

  it("the strict reader refuses malformed text (so the checks above can fail)", () => {
    const bad = [
      '# HELP a x\n# TYPE a gauge\na{queue="x} 1\n',
      '# HELP a x\n# TYPE a gauge\na{queue="x\\q"} 1\n',
      "# HELP a x\n# TYPE a gauge\na abc\n",
      "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na 2\n",
      "a 1\n",
      "# HELP a x\n# TYPE a gauge\na 1",
    ];
    for (const text of bad) expect(() => parse(text), JSON.stringify(text)).toThrow();
  });
});
