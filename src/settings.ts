/**
 * Process-wide settings. Precedence, highest first: an option passed to a call, the queue's options,
 * `configure()`, `ASYNCMQ_<NAME>` environment variables, the built-in defaults below.
 */
import type { Backend } from "./backends/backend.js";
import { ValidationError } from "./errors.js";
import { checkInt, toMs } from "./job.js";
import { checkDefaultJobOptions, type DefaultJobOptions } from "./job-defaults.js";
import { type Logger, setLogger } from "./logger.js";
import { METRIC_MINUTE_MS } from "./metrics/buckets.js";
import { checkKeys, keysOf, QUEUE_HINTS } from "./option-keys.js";

export interface Settings {
  /** A backend instance or URL (`memory://`, `sqlite://./path.db`, `redis://...`, `postgres://...`). Default: `ASYNCMQ_BACKEND`, else `sqlite://./.asyncmq/asyncmq.db`. */
  backend?: Backend | string;
  /** Jobs a worker runs at once. Default 3. */
  concurrency: number;
  /** Upper bound on how long maintenance loops sleep between checks (ms). Default 1000. */
  scanInterval: number;
  /** How long a claimed job's lease lasts without renewal (ms). Default 30 000. */
  leaseDuration: number;
  /**
   * How long a queue's leader lease lasts without renewal (ms): one worker per queue runs the
   * maintenance loops and renews its lease every third of this (2.5 s at least once a third is
   * 1.25 s or more: idle timers share a 2.5 s grid); when it dies, another takes over within about
   * this plus one renewal period (7.5 s by default). A worker uses at most a quarter of its
   * `leaseDuration`. Default 5000 (docs/scaling.md).
   */
  leaderLease: number;
  /**
   * Longest sleep of an idle claim loop (and of the retention/ttl sweep and the leader's look for
   * changed repeatables) on a backend whose wake-ups reach every process
   * (`capabilities.reliableWakeups`): a safety poll, reached by doubling from `scanInterval` while
   * nothing is found. Elsewhere they look every `scanInterval`. Default 30 000.
   */
  idlePoll: number;
  /** Stalls (lost leases) a job survives before it fails; a stall does not use up a retry. Default 1. */
  maxStalledCount: number;
  /** Largest JSON payload in bytes; null disables the check. Default 1 MiB. */
  maxPayloadBytes: number | null;
  /** How long a stopping worker lets in-flight jobs finish (ms). Default 10 000. */
  shutdownGrace: number;
  /**
   * Where asyncmq logs: any object with `debug`, `info`, `warn` and `error` methods (`console`,
   * pino, winston, ...). A pino-style logger (one with `child` and no `log` method) gets structured
   * fields first, `warn({ queue, jobId, task, workerId, attempt, err }, message)`; any other gets
   * `warn(message)` or `warn(message, err)` (see {@link Logger}, docs/observability.md). Default:
   * info, warnings and errors on stderr prefixed `[asyncmq]`, debug nowhere. Set only by
   * `configure({ logger })` (no environment variable); `configure({ logger: undefined })` restores
   * the default.
   */
  logger?: Logger;
  /**
   * Whether workers record per-minute metrics of finished attempts in the backend (docs/metrics.md),
   * where the backend keeps them (`capabilities.metrics`). Default true (`ASYNCMQ_METRICS`).
   */
  metrics: boolean;
  /** How long per-minute metric rows are kept (ms); totals are kept for good. Default 1 day (`ASYNCMQ_METRICS_RETENTION`). */
  metricsRetention: number;
  /**
   * Job options for every job this process adds, under the queue's `defaultJobOptions`, the task's
   * options and the job's own (docs/options.md), e.g. `{ removeOnComplete: { count: 1000 } }` to
   * bound what finished jobs keep. Set only by `configure()` (no environment variable). Default:
   * none (finished jobs are kept until removed).
   */
  defaultJobOptions?: DefaultJobOptions;
}

const SETTING_KEYS = keysOf<Settings>({
  backend: true,
  concurrency: true,
  scanInterval: true,
  leaseDuration: true,
  leaderLease: true,
  idlePoll: true,
  maxStalledCount: true,
  maxPayloadBytes: true,
  shutdownGrace: true,
  logger: true,
  metrics: true,
  metricsRetention: true,
  defaultJobOptions: true,
});

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  concurrency: 3,
  scanInterval: 1000,
  leaseDuration: 30_000,
  leaderLease: 5000,
  idlePoll: 30_000,
  maxStalledCount: 1,
  maxPayloadBytes: 1024 * 1024,
  shutdownGrace: 10_000,
  metrics: true,
  metricsRetention: 86_400_000,
});

let configured: Partial<Settings> = {};
// getSettings() is on hot paths (every enqueue); the merged result is reused while neither
// configure() nor the ASYNCMQ_* variables changed.
let cache: { key: string; settings: Readonly<Settings> } | null = null;

/**
 * Sets process-wide defaults: what you leave out keeps its value (`ASYNCMQ_*` variables, then the
 * defaults in {@link Settings}); an option given to a call or a queue wins over them. Everything is
 * validated before anything changes (a bad value throws ValidationError and changes nothing).
 *
 * @example
 * ```ts
 * import pino from "pino";
 * configure({ backend: "redis://127.0.0.1:6379", concurrency: 10, logger: pino() });
 * configure({ logger: { debug() {}, info: console.info, warn: console.warn, error: console.error } });
 * ```
 */
export function configure(settings: Partial<Settings>): void {
  const checked = checkSettings(settings, "configure()");
  configured = { ...configured, ...checked };
  cache = null;
  enqueueCache = null;
  if ("logger" in settings) setLogger(settings.logger);
}

/** The settings in force (configure over environment over defaults). */
export function getSettings(): Readonly<Settings> {
  const key = envKey(ENV_KEYS);
  if (cache?.key !== key) {
    cache = { key, settings: Object.freeze({ ...DEFAULT_SETTINGS, ...fromEnv(), ...configured }) };
  }
  return cache.settings;
}

/** What an enqueue reads of the settings (its hot path: see getEnqueueSettings). */
export type EnqueueSettings = Readonly<Pick<Settings, "maxPayloadBytes" | "defaultJobOptions">>;

let enqueueCache: { key: string; settings: EnqueueSettings } | null = null;

/**
 * `getSettings()`'s maxPayloadBytes and defaultJobOptions, reading one environment variable instead
 * of all eleven: on a 2-core VM those reads took 17-77 us of an idle worker's ~0.7 ms add-to-start.
 */
export function getEnqueueSettings(): EnqueueSettings {
  const key = envKey(PAYLOAD_ENV);
  if (enqueueCache?.key !== key) {
    const merged = { ...DEFAULT_SETTINGS, ...fromEnv(PAYLOAD_ENV), ...configured };
    enqueueCache = {
      key,
      settings: Object.freeze({
        maxPayloadBytes: merged.maxPayloadBytes,
        defaultJobOptions: merged.defaultJobOptions,
      }),
    };
  }
  return enqueueCache.settings;
}

/** Forgets `configure()` calls (for tests). */
export function resetSettings(): void {
  configured = {};
  cache = null;
  enqueueCache = null;
  setLogger(undefined);
}

function checkSettings(s: Partial<Settings>, where: string): Partial<Settings> {
  if (s === null || typeof s !== "object") throw new ValidationError(`${where} takes an object of settings`);
  checkKeys(s, SETTING_KEYS, `${where} settings`, { connection: QUEUE_HINTS.connection as string });
  const out: Partial<Settings> = { ...s };
  if (s.concurrency !== undefined) out.concurrency = checkInt(s.concurrency, `${where} concurrency`, 1);
  if (s.scanInterval !== undefined) out.scanInterval = toMs(s.scanInterval, `${where} scanInterval`);
  if (s.leaseDuration !== undefined) out.leaseDuration = toMs(s.leaseDuration, `${where} leaseDuration`);
  if (s.leaderLease !== undefined) out.leaderLease = checkLeaderLease(s.leaderLease, `${where} leaderLease`);
  if (s.idlePoll !== undefined) out.idlePoll = toMs(s.idlePoll, `${where} idlePoll`);
  if (s.shutdownGrace !== undefined) out.shutdownGrace = toMs(s.shutdownGrace, `${where} shutdownGrace`);
  if (s.maxStalledCount !== undefined)
    out.maxStalledCount = checkInt(s.maxStalledCount, `${where} maxStalledCount`);
  if (s.maxPayloadBytes !== undefined && s.maxPayloadBytes !== null) {
    out.maxPayloadBytes = checkInt(s.maxPayloadBytes, `${where} maxPayloadBytes`, 1);
  }
  if (s.metrics !== undefined && typeof s.metrics !== "boolean") {
    throw new ValidationError(`${where} metrics must be true or false, got ${JSON.stringify(s.metrics)}`);
  }
  if (s.metricsRetention !== undefined) {
    out.metricsRetention = toMs(s.metricsRetention, `${where} metricsRetention`);
    // Under a minute would drop the minute being written; the storage prunes by whole minutes.
    if (out.metricsRetention < METRIC_MINUTE_MS) {
      throw new ValidationError(
        `${where} metricsRetention must be at least 1 minute ("1m"), got ${out.metricsRetention} ms; set metrics: false to record nothing`,
      );
    }
  }
  if (s.defaultJobOptions !== undefined)
    out.defaultJobOptions = checkDefaultJobOptions(s.defaultJobOptions, `${where} defaultJobOptions`);
  if (s.backend !== undefined && typeof s.backend !== "string" && typeof s.backend?.claim !== "function") {
    throw new ValidationError(`${where} backend must be a Backend instance or a URL string`);
  }
  return out;
}

/** A leader lease length: renewed every third of it, so under 30 ms it would be renewed in a busy loop. */
export function checkLeaderLease(value: number | string, what: string): number {
  const ms = toMs(value, what);
  if (ms < 30) throw new ValidationError(`${what} must be at least 30 ms (e.g. "5s"), got ${ms} ms`);
  return ms;
}

const ENV_KEYS: Array<[keyof Settings, string]> = [
  ["backend", "ASYNCMQ_BACKEND"],
  ["concurrency", "ASYNCMQ_CONCURRENCY"],
  ["scanInterval", "ASYNCMQ_SCAN_INTERVAL"],
  ["leaseDuration", "ASYNCMQ_LEASE_DURATION"],
  ["leaderLease", "ASYNCMQ_LEADER_LEASE"],
  ["idlePoll", "ASYNCMQ_IDLE_POLL"],
  ["maxStalledCount", "ASYNCMQ_MAX_STALLED_COUNT"],
  ["maxPayloadBytes", "ASYNCMQ_MAX_PAYLOAD_BYTES"],
  ["shutdownGrace", "ASYNCMQ_SHUTDOWN_GRACE"],
  ["metrics", "ASYNCMQ_METRICS"],
  ["metricsRetention", "ASYNCMQ_METRICS_RETENTION"],
];

/** Durations: plain digits are milliseconds, anything else goes to toMs ("5s", "1d"). */
const DURATION_KEYS: ReadonlySet<keyof Settings> = new Set([
  "scanInterval",
  "leaseDuration",
  "leaderLease",
  "idlePoll",
  "shutdownGrace",
  "metricsRetention",
]);

/** The entry of ENV_KEYS an enqueue reads (getEnqueueSettings). */
const PAYLOAD_ENV = ENV_KEYS.filter(([key]) => key === "maxPayloadBytes");

/** The values of the variables `keys` names, as one string: what the caches compare. */
function envKey(keys: ReadonlyArray<[keyof Settings, string]>): string {
  let key = "";
  for (const [, name] of keys) key += `${process.env[name] ?? ""}\u0000`;
  return key;
}

/** The settings `keys` (default: all) of the environment, checked. */
function fromEnv(keys = ENV_KEYS): Partial<Settings> {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of keys) {
    const value = process.env[name];
    if (value === undefined || value === "") continue;
    if (key === "backend") raw.backend = value;
    else if (key === "maxPayloadBytes" && /^(null|none|off)$/i.test(value)) raw.maxPayloadBytes = null;
    else if (key === "metrics") raw.metrics = parseFlag(value, key, name);
    else if (DURATION_KEYS.has(key)) raw[key] = /^\d+$/.test(value) ? Number(value) : value;
    else raw[key] = envNumber(value, key, name);
  }
  return checkSettings(raw as Partial<Settings>, "environment (ASYNCMQ_*)");
}

/** A numeric environment variable; text that is no number is reported as given, not as NaN. */
function envNumber(value: string, key: keyof Settings, name: string): number {
  const n = value.trim() === "" ? Number.NaN : Number(value);
  if (Number.isNaN(n)) {
    throw new ValidationError(
      `environment (ASYNCMQ_*) ${key} must be a number, got ${name}=${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** An on/off environment variable: true/false or 1/0 (any case). */
function parseFlag(value: string, key: keyof Settings, name: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ValidationError(
    `environment (ASYNCMQ_*) ${key} must be true, false, 1 or 0; got ${name}=${JSON.stringify(value)}`,
  );
}
