/**
 * The backend registry (src/backends/registry.ts): createBackend by URL scheme, with `?prefix=` and
 * `?schema=` reaching the backend, registerBackend for another scheme, and resolveBackend sharing
 * one instance per URL. Redis backends are made against the test server and closed right after;
 * a Postgres backend connects lazily, so its URL points at no server and nothing is created.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import {
  closeSharedBackends,
  createBackend,
  registerBackend,
  resolveBackend,
} from "../../src/backends/registry.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { BackendError, ValidationError } from "../../src/errors.js";
import { configure, resetSettings } from "../../src/settings.js";
import { redisUrl, uniquePrefix } from "../support/redis-server.js";

const dir = mkdtempSync(join(tmpdir(), "asyncmq-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Backends a test made; closed after it. */
const opened: Backend[] = [];
function made<T extends Backend>(backend: T): T {
  opened.push(backend);
  return backend;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  await closeSharedBackends();
  delete process.env.ASYNCMQ_BACKEND;
  resetSettings();
});

/** Expects a ValidationError whose message matches `message`. */
function refuses(url: unknown, message: RegExp): void {
  expect(() => createBackend(url as string)).toThrow(ValidationError);
  expect(() => createBackend(url as string)).toThrow(message);
}

describe("createBackend", () => {
  it("memory:// makes an in-memory backend, whatever the scheme's case", () => {
    expect(made(createBackend("memory://"))).toBeInstanceOf(InMemoryBackend);
    expect(made(createBackend("MEMORY://"))).toBeInstanceOf(InMemoryBackend);
  });

  it("sqlite:// opens the file named by the rest of the URL, percent-decoded", () => {
    const backend = made(createBackend(`sqlite://${dir}/a%20b.db`));
    expect(backend).toBeInstanceOf(SqliteBackend);
    expect((backend as SqliteBackend).path).toBe(join(dir, "a b.db"));
  });

  it.each(["redis", "rediss"])(
    "%s:// makes a Redis backend; ?prefix= becomes its key prefix",
    async (scheme) => {
      const prefix = uniquePrefix("registry");
      const url = (await redisUrl()).replace(/^redis:/, `${scheme}:`);
      const backend = made(createBackend(`${url}?prefix=${prefix}`)) as RedisBackend;
      expect(backend).toBeInstanceOf(RedisBackend);
      expect(backend.prefix).toBe(prefix);
      expect(backend.url).not.toContain("prefix=");
      const plain = made(createBackend(url)) as RedisBackend;
      expect(plain.prefix).toBe("asyncmq");
    },
  );

  it.each(["postgres", "postgresql"])(
    "%s:// makes a Postgres backend; ?schema= becomes its schema",
    (scheme) => {
      const url = `${scheme}://postgres@127.0.0.1:1/nowhere`;
      const backend = made(createBackend(`${url}?schema=registry_test`)) as PostgresBackend;
      expect(backend).toBeInstanceOf(PostgresBackend);
      expect(backend.schema).toBe("registry_test");
      expect((made(createBackend(url)) as PostgresBackend).schema).toBe("asyncmq");
      // The parameter reaches the backend's own validation.
      expect(() => createBackend(`${url}?schema=Not-A-Name`)).toThrow(ValidationError);
    },
  );

  it("refuses what is not a backend URL with a ValidationError that says what to write", () => {
    refuses("", /backend URL must be a non-empty string like "sqlite:\/\/.\/jobs.db"/);
    refuses("   ", /non-empty string/);
    refuses(42, /non-empty string/);
    refuses("jobs.db", /unsupported backend URL "jobs.db": use memory:\/\/, sqlite:\/\/.\/path.db, redis:/);
    refuses("mysql://localhost/db", /unsupported backend URL "mysql:\/\/localhost\/db"/);
    refuses("sqlite://", /sqlite backend URL needs a path, like "sqlite:\/\/.\/jobs.db"/);
    refuses("redis://a b:6379?prefix=x", /backend URL "redis:\/\/a b:6379\?prefix=x" is not a valid URL/);
    refuses("postgres://:5432?schema=x", /is not a valid URL/);
    refuses(
      "postgres://h/db?transactionPooling=yes",
      /transactionPooling in a postgres backend URL must be "true" or "false", got "yes"/,
    );
    refuses(
      `postgres://h/db?listenUrl=${encodeURIComponent("redis://u:secret@h:6379")}`,
      /listenUrl must be a postgres:\/\/ URL of a direct connection to the database \(not through the pooler\), got "redis:\/\/u@h:6379"/,
    );
    refuses("postgres://h/db?listenUrl=db.internal:5432", /listenUrl must be a postgres:\/\/ URL/);
  });
});

describe("registerBackend", () => {
  it("makes createBackend use the factory for its scheme, given the whole URL", () => {
    const urls: string[] = [];
    const mine = new InMemoryBackend();
    registerBackend("custom+mem", (url) => {
      urls.push(url);
      return mine;
    });
    expect(createBackend("custom+mem://anything?x=1")).toBe(made(mine));
    expect(urls).toEqual(["custom+mem://anything?x=1"]);
  });

  it("replaces an earlier registration, built-in schemes included", () => {
    const first = made(new InMemoryBackend());
    const second = made(new InMemoryBackend());
    registerBackend("twice", () => first);
    registerBackend("twice", () => second);
    expect(createBackend("twice://")).toBe(second);
    try {
      registerBackend("memory", () => first);
      expect(createBackend("memory://")).toBe(first);
    } finally {
      registerBackend("memory", () => new InMemoryBackend());
    }
  });

  it("refuses a scheme that is not a URL scheme, and a factory that is not a function", () => {
    for (const bad of ["", "Upper", "1st", "with space", "a:b"]) {
      expect(() => registerBackend(bad, () => new InMemoryBackend())).toThrow(ValidationError);
    }
    expect(() => registerBackend("Upper", () => new InMemoryBackend())).toThrow(
      /backend scheme must be lowercase/,
    );
    expect(() => registerBackend("nofactory", "memory://" as never)).toThrow(
      /registerBackend needs a factory/,
    );
  });
});

describe("resolveBackend", () => {
  it("shares one instance per URL, and returns a Backend instance as given", () => {
    const a = resolveBackend("memory://a");
    expect(resolveBackend("memory://a")).toBe(a);
    expect(resolveBackend("memory://b")).not.toBe(a);
    const own = made(new InMemoryBackend());
    expect(resolveBackend(own)).toBe(own);
  });

  it("uses configure({ backend }) over ASYNCMQ_BACKEND when no backend is given", () => {
    process.env.ASYNCMQ_BACKEND = "memory://from-env";
    const fromEnv = resolveBackend();
    expect(fromEnv).toBe(resolveBackend("memory://from-env"));
    configure({ backend: "memory://configured" });
    expect(resolveBackend()).toBe(resolveBackend("memory://configured"));
    expect(resolveBackend()).not.toBe(fromEnv);
    const own = made(new InMemoryBackend());
    configure({ backend: own });
    expect(resolveBackend()).toBe(own);
    expect(resolveBackend("memory://a")).not.toBe(own);
  });

  it("closeSharedBackends closes them; the next resolve opens a new one", async () => {
    const a = resolveBackend("memory://closing");
    await closeSharedBackends();
    await expect(a.getJobCounts("q")).rejects.toBeInstanceOf(BackendError);
    const b = resolveBackend("memory://closing");
    expect(b).not.toBe(a);
    expect(await b.getJobCounts("q")).toMatchObject({ waiting: 0 });
  });

  it("resolves a registered scheme too", () => {
    const mine = made(new InMemoryBackend());
    registerBackend("shared-custom", () => mine);
    expect(resolveBackend("shared-custom://x")).toBe(mine);
  });
});
