// The dashboard in headless Chromium against SQLite (a temp file; it also saves the screenshots),
// Redis (its own key prefix) and Postgres (its own schema), one browser for all three.
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { SqliteBackend } from "../../src/backends/sqlite/sqlite-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { type Chromium, launchChromium } from "./chromium.js";
import { browserSuite } from "./dashboard-suite.js";

let chromium: Chromium | undefined;
beforeAll(async () => {
  chromium = await launchChromium();
}, 90_000);
afterAll(async () => {
  await chromium?.close();
  // The exit-time fallback of postgres-server.ts does not run when vitest ends its worker process.
  stopPostgres();
});

const context = () => {
  if (!chromium) throw new Error("Chromium did not start (see the error of beforeAll)");
  return chromium.context;
};

browserSuite(
  {
    name: "sqlite",
    screenshots: true,
    open: async (dir) => {
      const path = join(dir, "dashboard.db");
      return { backend: new SqliteBackend({ path }), url: `sqlite://${path}`, drop: async () => {} };
    },
  },
  context,
);

browserSuite(
  {
    name: "redis",
    open: async () => {
      const url = await redisUrl();
      const prefix = uniquePrefix("browser");
      return {
        backend: new RedisBackend({ url, prefix }),
        url: `${url}?prefix=${encodeURIComponent(prefix)}`,
        drop: () => dropPrefix(prefix),
      };
    },
  },
  context,
);

browserSuite(
  {
    name: "postgres",
    open: async () => {
      const url = await postgresUrl();
      const schema = testSchema("browser");
      return {
        backend: new PostgresBackend({ url, schema }),
        url: `${url}${url.includes("?") ? "&" : "?"}schema=${schema}`,
        drop: () => dropSchema(url, schema),
      };
    },
  },
  context,
);
