/**
 * The test servers' start-up when the port freePort gave is taken before the server binds it (test
 * files start servers in parallel): each helper must notice that what answers there is not its own
 * server and start again on other ports. freePort is made to hand out a port in use first.
 */
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const taken: { port: number } = { port: 0 };
let calls = 0;
vi.mock("./free-port.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("./free-port.js")>();
  // The first port handed out is the one a foreign listener holds; the rest are free.
  return { ...real, freePort: () => (++calls === 1 ? Promise.resolve(taken.port) : real.freePort()) };
});

const { startRedisServer } = await import("./redis-server.js");
const { postgresUrl, startPostgresServer, stopPostgres } = await import("./postgres-server.js");
const { pgBouncerUrls, stopPgBouncer } = await import("./pgbouncer.js");

/** A listener that accepts connections and never answers: a server that is not ours. */
let foreign: Server;
beforeAll(async () => {
  foreign = createServer(() => {});
  await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
  const address = foreign.address();
  if (typeof address !== "object" || address === null) throw new Error("no port");
  taken.port = address.port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => foreign.close(() => resolve()));
});

/** The helper asked freePort again and its server's URL is not on the taken port. */
function expectStartedElsewhere(url: string): void {
  expect(calls).toBeGreaterThan(1);
  expect(url).not.toContain(`:${taken.port}`);
}

describe("test servers on a port taken before their bind", () => {
  it("redis-server starts again on a free port and answers there", async () => {
    calls = 0;
    const server = await startRedisServer();
    try {
      expectStartedElsewhere(server.url);
      expect(server.pid()).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
  });

  it("PostgreSQL starts again on a free port", async () => {
    calls = 0;
    const server = await startPostgresServer();
    try {
      expectStartedElsewhere(server.url);
    } finally {
      server.destroy();
    }
  }, 60_000);

  it("PgBouncer starts again on a free port", async () => {
    await postgresUrl(); // the server behind it first, so that the taken port goes to PgBouncer
    calls = 0;
    try {
      const { url } = await pgBouncerUrls();
      expectStartedElsewhere(url);
    } finally {
      stopPgBouncer();
      stopPostgres();
    }
  }, 60_000);
});
