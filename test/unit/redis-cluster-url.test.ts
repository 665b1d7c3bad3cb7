import { describe, expect, it } from "vitest";
import { isClusterUrl, parseClusterUrl } from "../../src/backends/redis/cluster-url.js";
import { hasHashTag } from "../../src/backends/redis/connection.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { createBackend } from "../../src/backends/registry.js";
import { ValidationError } from "../../src/errors.js";

describe("redis+cluster:// URLs", () => {
  it("names the startup nodes, credentials and TLS", () => {
    expect(isClusterUrl("redis+cluster://a:1")).toBe(true);
    expect(isClusterUrl("rediss+cluster://a:1")).toBe(true);
    expect(isClusterUrl("redis://a:1")).toBe(false);
    expect(parseClusterUrl("redis+cluster://h1:7000,h2:7001,[::1]:7002,h3")).toEqual({
      nodes: [
        { host: "h1", port: 7000 },
        { host: "h2", port: 7001 },
        { host: "::1", port: 7002 },
        { host: "h3", port: 6379 },
      ],
      auth: {},
    });
    expect(parseClusterUrl("rediss+cluster://u:p%40ss@h:7000/")).toEqual({
      nodes: [{ host: "h", port: 7000 }],
      auth: { username: "u", password: "p@ss", tls: {} },
    });
    expect(parseClusterUrl("redis+cluster://:secret@h:7000").auth).toEqual({ password: "secret" });
  });

  it("refuses a URL without a node, with a bad port or with a database, hiding the password", () => {
    expect(() => parseClusterUrl("redis+cluster://")).toThrow(ValidationError);
    expect(() => parseClusterUrl("redis+cluster://h:0")).toThrow(/bad node "h:0"; use host:port/);
    expect(() => parseClusterUrl("redis+cluster://h:7000,")).toThrow(/bad node ""/);
    expect(() => parseClusterUrl("redis+cluster://u:secret@h:7000/2")).toThrow(
      /"redis\+cluster:\/\/\*\*\*@h:7000\/2" is not .* a cluster has database 0 only/,
    );
  });

  it("createBackend takes redis+cluster:// with ?prefix= and ?waitReplicas=, and checks waitReplicas", async () => {
    const backend = createBackend("redis+cluster://127.0.0.1:1,127.0.0.1:2?prefix={app}&waitReplicas=1");
    expect(backend).toBeInstanceOf(RedisBackend);
    expect((backend as RedisBackend).prefix).toBe("{app}");
    expect((backend as RedisBackend).url).toBe("redis+cluster://127.0.0.1:1,127.0.0.1:2");
    await backend.close();
    expect(() => createBackend("redis+cluster://127.0.0.1:1?waitReplicas=x")).toThrow(
      /waitReplicas must be a whole number of replicas \(0 for no WAIT\), got NaN/,
    );
    expect(() => new RedisBackend({ url: "redis://127.0.0.1:1", waitTimeoutMs: 0 })).toThrow(
      /waitTimeoutMs must be a positive whole number of milliseconds, got 0/,
    );
  });
});

describe("hasHashTag", () => {
  it("is true when the prefix decides every key's slot (a non-empty {tag})", () => {
    expect(hasHashTag("{app}")).toBe(true);
    expect(hasHashTag("x{a}y")).toBe(true);
    expect(hasHashTag("app")).toBe(false);
    expect(hasHashTag("{}app")).toBe(false);
    expect(hasHashTag("a{b")).toBe(false);
    expect(hasHashTag("a}b{")).toBe(false);
  });
});
