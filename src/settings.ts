/**
 * Process-wide settings. Precedence, highest first: an option passed to a call, the queue's options,
 * `configure()`, `ASYNCMQ_<NAME>` environment variables, the built-in defaults below.
 */
import type { Backend } from "./backends/backend.js";
import { ValidationError } from "./errors.js";
import { checkInt, toMs } from "./job.js";
import { type Logger, setLogger } from "./logger.js";

export interface Settings {
  /** A backend instance or URL (`memory://`, `sqlite://./path.db`, `redis://...`, `postgres://...`). Default: `ASYNCMQ_BACKEND`, else `sqlite://./.asyncmq/asyncmq.db`. */
  backend?: Backend | string;
  /** Jobs a worker runs at once. Default 3. */
  concurrency: number;
  /** Upper bound on how long maintenance loops sleep between checks (ms). Default 1000. */
  scanInterval: number;
  /** How long a claimed job's lease lasts without renewal (ms). Default 30 000. */
  leaseDuration: number;
  /** Stalls (lost leases) a job survives before it fails; a stall does not use up a retry. Default 1. */
  maxStalledCount: number;
  /** Largest JSON payload in bytes; null disables the check. Default 1 MiB. */
  maxPayloadBytes: number | null;
  /** How long a stopping worker lets in-flight jobs finish (ms). Default 10 000. */
  shutdownGrace: number;
  /** Where asyncmq logs; default warnings and errors to stderr. */
  logger?: Logger;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  concurrency: 3,
  scanInterval: 1000,
  leaseDuration: 30_000,
  maxStalledCount: 1,
  maxPayloadBytes: 1024 * 1024,
  shutdownGrace: 10_000,
});

let configured: Partial<Settings> = {};
// getSettings() is on hot paths (every enqueue); the merged result is reused while neither
// configure() nor the ASYNCMQ_* variables changed.
let cache: { key: string; settings: Readonly<Settings> } | null = null;

/** Sets process-wide defaults; validated before anything changes. */
export function configure(settings: Partial<Settings>): void {
  const checked = checkSettings(settings, "configure()");
  configured = { ...configured, ...checked };
  cache = null;
  if ("logger" in settings) setLogger(settings.logger);
}

/** The settings in force (configure over environment over defaults). */
export function getSettings(): Readonly<Settings> {
  let key = "";
  for (const [, name] of ENV_KEYS) key += `${process.env[name] ?? ""}\u0000`;
  if (cache?.key !== key) {
    cache = { key, settings: Object.freeze({ ...DEFAULT_SETTINGS, ...fromEnv(), ...configured }) };
  }
  return cache.settings;
}

/** Forgets `configure()` calls (for tests). */
export function resetSettings(): void {
  configured = {};
  cache = null;
  setLogger(undefined);
}

function checkSettings(s: Partial<Settings>, where: string): Partial<Settings> {
  if (s === null || typeof s !== "object") throw new ValidationError(`${where} takes an object of settings`);
  const out: Partial<Settings> = { ...s };
  if (s.concurrency !== undefined) out.concurrency = checkInt(s.concurrency, `${where} concurrency`, 1);
  if (s.scanInterval !== undefined) out.scanInterval = toMs(s.scanInterval, `${where} scanInterval`);
  if (s.leaseDuration !== undefined) out.leaseDuration = toMs(s.leaseDuration, `${where} leaseDuration`);
  if (s.shutdownGrace !== undefined) out.shutdownGrace = toMs(s.shutdownGrace, `${where} shutdownGrace`);
  if (s.maxStalledCount !== undefined)
    out.maxStalledCount = checkInt(s.maxStalledCount, `${where} maxStalledCount`);
  if (s.maxPayloadBytes !== undefined && s.maxPayloadBytes !== null) {
    out.maxPayloadBytes = checkInt(s.maxPayloadBytes, `${where} maxPayloadBytes`, 1);
  }
  if (s.backend !== undefined && typeof s.backend !== "string" && typeof s.backend?.claim !== "function") {
    throw new ValidationError(`${where} backend must be a Backend instance or a URL string`);
  }
  return out;
}

const ENV_KEYS: Array<[keyof Settings, string]> = [
  ["backend", "ASYNCMQ_BACKEND"],
  ["concurrency", "ASYNCMQ_CONCURRENCY"],
  ["scanInterval", "ASYNCMQ_SCAN_INTERVAL"],
  ["leaseDuration", "ASYNCMQ_LEASE_DURATION"],
  ["maxStalledCount", "ASYNCMQ_MAX_STALLED_COUNT"],
  ["maxPayloadBytes", "ASYNCMQ_MAX_PAYLOAD_BYTES"],
  ["shutdownGrace", "ASYNCMQ_SHUTDOWN_GRACE"],
];

function fromEnv(): Partial<Settings> {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of ENV_KEYS) {
    const value = process.env[name];
    if (value === undefined || value === "") continue;
    if (key === "backend") raw.backend = value;
    else if (key === "maxPayloadBytes" && /^(null|none|off)$/i.test(value)) raw.maxPayloadBytes = null;
    else if (key === "scanInterval" || key === "leaseDuration" || key === "shutdownGrace") {
      raw[key] = /^\d+$/.test(value) ? Number(value) : value;
    } else raw[key] = Number(value);
  }
  return checkSettings(raw as Partial<Settings>, "environment (ASYNCMQ_*)");
}
