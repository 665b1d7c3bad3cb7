/**
 * Settings (src/settings.ts): precedence, highest first, a call's option > configure() >
 * ASYNCMQ_* environment variables > the defaults; validation of each source; resetSettings.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PayloadTooLargeError, ValidationError } from "../../src/errors.js";
import { buildNewJob } from "../../src/job-options.js";
import { consoleLogger, type Logger, loggerInForce } from "../../src/logger.js";
import {
  configure,
  DEFAULT_SETTINGS,
  getEnqueueSettings,
  getSettings,
  resetSettings,
} from "../../src/settings.js";

/** The ASYNCMQ_* variables of the process that runs the tests, put back after each test. */
let savedEnv: Record<string, string> = {};
beforeEach(() => {
  savedEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("ASYNCMQ_") || value === undefined) continue;
    savedEnv[name] = value;
    delete process.env[name];
  }
});
afterEach(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith("ASYNCMQ_")) delete process.env[name];
  Object.assign(process.env, savedEnv);
  resetSettings();
});

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe("settings precedence", () => {
  it("an enqueue's settings follow getSettings(): ASYNCMQ_MAX_PAYLOAD_BYTES as it changes, configure() over it", () => {
    expect(getEnqueueSettings()).toEqual({ maxPayloadBytes: 1024 * 1024, defaultJobOptions: undefined });
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "500";
    expect(getEnqueueSettings().maxPayloadBytes).toBe(500);
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "off";
    expect(getEnqueueSettings().maxPayloadBytes).toBeNull();
    configure({ maxPayloadBytes: 64, defaultJobOptions: { priority: 2 } });
    expect(getEnqueueSettings()).toEqual({ maxPayloadBytes: 64, defaultJobOptions: { priority: 2 } });
    resetSettings();
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "0";
    expect(() => getEnqueueSettings()).toThrow(ValidationError);
    // The other variables are not an enqueue's: a bad one fails getSettings() alone.
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "";
    process.env.ASYNCMQ_CONCURRENCY = "many";
    expect(getEnqueueSettings().maxPayloadBytes).toBe(1024 * 1024);
    expect(() => getSettings()).toThrow(ValidationError);
  });

  it("gives the defaults when nothing is set", () => {
    expect(getSettings()).toEqual(DEFAULT_SETTINGS);
    expect(getSettings().backend).toBeUndefined();
    expect(DEFAULT_SETTINGS).toMatchObject({
      concurrency: 3,
      scanInterval: 1000,
      leaseDuration: 30_000,
      maxStalledCount: 1,
      maxPayloadBytes: 1024 * 1024,
      shutdownGrace: 10_000,
      metrics: true,
      metricsRetention: 86_400_000,
    });
  });

  it("ASYNCMQ_* variables win over the defaults; durations take units; an empty one is unset", () => {
    process.env.ASYNCMQ_BACKEND = "memory://";
    process.env.ASYNCMQ_CONCURRENCY = "7";
    process.env.ASYNCMQ_SCAN_INTERVAL = "250";
    process.env.ASYNCMQ_LEASE_DURATION = "2s";
    process.env.ASYNCMQ_MAX_STALLED_COUNT = "0";
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "off";
    process.env.ASYNCMQ_SHUTDOWN_GRACE = "";
    process.env.ASYNCMQ_METRICS = "false";
    process.env.ASYNCMQ_METRICS_RETENTION = "2h";
    expect(getSettings()).toEqual({
      ...DEFAULT_SETTINGS,
      backend: "memory://",
      concurrency: 7,
      scanInterval: 250,
      leaseDuration: 2000,
      maxStalledCount: 0,
      maxPayloadBytes: null,
      metrics: false,
      metricsRetention: 7_200_000,
    });
  });

  it("ASYNCMQ_METRICS takes true/false/1/0 in any case; ASYNCMQ_METRICS_RETENTION plain digits are ms", () => {
    for (const [value, expected] of [
      ["true", true],
      ["FALSE", false],
      ["1", true],
      ["0", false],
    ] as const) {
      process.env.ASYNCMQ_METRICS = value;
      expect(getSettings().metrics, value).toBe(expected);
    }
    process.env.ASYNCMQ_METRICS_RETENTION = "90000";
    expect(getSettings().metricsRetention).toBe(90_000);
    process.env.ASYNCMQ_METRICS_RETENTION = "1d";
    expect(getSettings().metricsRetention).toBe(86_400_000);
  });

  it("a change of the environment is seen by the next getSettings", () => {
    expect(getSettings().concurrency).toBe(3);
    process.env.ASYNCMQ_CONCURRENCY = "5";
    expect(getSettings().concurrency).toBe(5);
    delete process.env.ASYNCMQ_CONCURRENCY;
    expect(getSettings().concurrency).toBe(3);
  });

  it("configure() wins over the environment, and successive calls merge", () => {
    process.env.ASYNCMQ_CONCURRENCY = "7";
    process.env.ASYNCMQ_LEASE_DURATION = "2s";
    configure({ concurrency: 9 });
    configure({ scanInterval: 50 });
    expect(getSettings()).toMatchObject({ concurrency: 9, scanInterval: 50, leaseDuration: 2000 });
  });

  it("a call's option wins over configure() (buildNewJob's maxPayloadBytes)", () => {
    const data = "x".repeat(40);
    process.env.ASYNCMQ_MAX_PAYLOAD_BYTES = "10";
    expect(() => buildNewJob("t", data, undefined, {}, 0)).toThrow(PayloadTooLargeError);
    configure({ maxPayloadBytes: 1000 });
    expect(buildNewJob("t", data, undefined, {}, 0).dataJson).toBe(JSON.stringify(data));
    expect(() => buildNewJob("t", data, undefined, {}, 0, 20)).toThrow(PayloadTooLargeError);
    configure({ maxPayloadBytes: 20 });
    expect(buildNewJob("t", data, undefined, {}, 0, null).dataJson).toBe(JSON.stringify(data));
  });
});

describe("settings validation", () => {
  it.each([
    ["ASYNCMQ_CONCURRENCY", "abc", /concurrency/],
    ["ASYNCMQ_CONCURRENCY", "0", /concurrency must be an integer >= 1/],
    ["ASYNCMQ_CONCURRENCY", "2.5", /concurrency/],
    ["ASYNCMQ_SCAN_INTERVAL", "-5", /scanInterval/],
    ["ASYNCMQ_LEASE_DURATION", "soon", /leaseDuration/],
    ["ASYNCMQ_MAX_STALLED_COUNT", "-1", /maxStalledCount/],
    ["ASYNCMQ_MAX_PAYLOAD_BYTES", "0", /maxPayloadBytes/],
    ["ASYNCMQ_SHUTDOWN_GRACE", "1 minute", /shutdownGrace/],
    ["ASYNCMQ_METRICS", "yes", /metrics must be true, false, 1 or 0; got ASYNCMQ_METRICS="yes"/],
    ["ASYNCMQ_METRICS_RETENTION", "a week", /metricsRetention must be milliseconds or a string like/],
    ["ASYNCMQ_METRICS_RETENTION", "30s", /metricsRetention must be at least 1 minute/],
  ])("%s=%s is a ValidationError naming the environment and the setting", (name, value, what) => {
    process.env[name] = value;
    expect(() => getSettings()).toThrow(ValidationError);
    expect(() => getSettings()).toThrow(/environment \(ASYNCMQ_\*\)/);
    expect(() => getSettings()).toThrow(what);
  });

  it("configure() validates everything before it changes anything", () => {
    configure({ concurrency: 4 });
    expect(() => configure({ scanInterval: 5, concurrency: 0 })).toThrow(/configure\(\) concurrency/);
    expect(getSettings()).toMatchObject({ concurrency: 4, scanInterval: DEFAULT_SETTINGS.scanInterval });
    expect(() => configure({ leaseDuration: -1 })).toThrow(ValidationError);
    expect(() => configure({ maxPayloadBytes: 0 })).toThrow(/maxPayloadBytes/);
    expect(() => configure(null as never)).toThrow(/configure\(\) takes an object of settings/);
    expect(() => configure({ backend: {} as never })).toThrow(/backend must be a Backend instance or a URL/);
    expect(getSettings().leaseDuration).toBe(DEFAULT_SETTINGS.leaseDuration);
  });

  it("configure() checks metrics and metricsRetention", () => {
    expect(() => configure({ metrics: "no" as never })).toThrow(
      /configure\(\) metrics must be true or false, got "no"/,
    );
    expect(() => configure({ metricsRetention: 59_999 })).toThrow(/at least 1 minute \("1m"\), got 59999 ms/);
    expect(() => configure({ metricsRetention: -1 })).toThrow(
      /configure\(\) metricsRetention must be a non-negative/,
    );
    configure({ metrics: false, metricsRetention: "2d" as never });
    expect(getSettings()).toMatchObject({ metrics: false, metricsRetention: 172_800_000 });
  });
});

describe("resetSettings", () => {
  it("forgets configure() and the logger; the environment still applies", () => {
    process.env.ASYNCMQ_SCAN_INTERVAL = "300";
    configure({ concurrency: 8, scanInterval: 20, logger: quiet });
    expect(loggerInForce()).toBe(quiet);
    expect(getSettings()).toMatchObject({ concurrency: 8, scanInterval: 20 });
    resetSettings();
    expect(loggerInForce()).toBe(consoleLogger);
    expect(getSettings()).toMatchObject({ concurrency: 3, scanInterval: 300 });
  });
});
