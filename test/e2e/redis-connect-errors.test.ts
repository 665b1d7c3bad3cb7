// Issue 11, item 4: a Redis URL naming a database the server lacks fails with one line saying so
// (it used to warn "unreachable ... retrying", then work on db 0), and an unreachable Redis is one
// line like the Postgres ones (it was two lines of ioredis internals and mismatched hints). Through
// the API and the built CLI, against the shared Redis and a port nothing listens on.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BackendError, configure, RedisBackend } from "../../src/index.js";
import { redisUrl } from "../support/redis-server.js";
import { run } from "./helpers.js";

const server = await redisUrl();
const badDb = `${server.replace(/\/\d*$/, "")}/99`;
const dir = mkdtempSync(join(tmpdir(), "asyncmq-redis-connect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port nothing listens on (taken from the OS, then released). */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

const warnings: string[] = [];
configure({
  logger: {
    debug: () => {},
    info: () => {},
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(message),
  },
});
afterEach(() => {
  warnings.length = 0;
});

/** The error `listQueues` rejects with on a backend for `url` (closed after). */
async function failureOf(url: string): Promise<unknown> {
  const backend = new RedisBackend({ url });
  try {
    await backend.listQueues();
  } catch (err) {
    return err;
  } finally {
    await backend.close();
  }
  throw new Error(`listQueues on ${url} succeeded`);
}

describe("Redis connection errors", () => {
  it("API: a database the server lacks is refused by name, with no 'unreachable' warning", async () => {
    const err = await failureOf(badDb);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain("Redis refused database 99 (ERR DB index is out of range)");
    expect((err as Error).message).not.toContain("\n");
    expect(warnings.join("\n")).not.toMatch(/unreachable|retrying/);
  });

  it("API: an unreachable Redis is one line saying it cannot be reached, without ioredis internals", async () => {
    const port = await unusedPort();
    const err = await failureOf(`redis://127.0.0.1:${port}`);
    expect(err).toBeInstanceOf(BackendError);
    const message = (err as Error).message;
    expect(message).toMatch(
      new RegExp(
        `^cannot reach Redis at redis://127\\.0\\.0\\.1:${port} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); check that the server is running`,
      ),
    );
    expect(message).not.toMatch(/maxRetriesPerRequest|max retries|\n/);
    expect(message.length).toBeLessThan(260);
    expect(warnings).toEqual([]);
  });

  it("CLI: a database the server lacks fails with one line", async () => {
    const r = await run(["--backend", badDb, "queue", "list"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("Redis refused database 99 (ERR DB index is out of range)");
    expect(lines[0]).not.toMatch(/unreachable|retrying|path is writable/);
  });

  it("CLI: an unreachable Redis fails with one line like the Postgres ones", async () => {
    const port = await unusedPort();
    const url = `redis://127.0.0.1:${port}`;
    const r = await run(["--backend", url, "queue", "list"], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`cannot reach Redis at ${url} (connect ECONNREFUSED 127.0.0.1:${port})`);
    expect(lines[0]).not.toMatch(/maxRetriesPerRequest|max retries|path is writable|Is Redis running/);
    expect(lines[0].length).toBeLessThan(330);
  });
});
