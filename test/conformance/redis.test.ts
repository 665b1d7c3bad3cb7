import { afterAll } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { backendConformance } from "./backend-suite.js";

// One key prefix for this file: every test uses its own queue names, and each backend instance is
// a new pair of connections to the same server (as separate processes would be).
const prefix = uniquePrefix("conf");
afterAll(() => dropPrefix(prefix));

backendConformance("redis", async () => new RedisBackend({ url: await redisUrl(), prefix }), {
  shared: true,
});
