import { afterAll } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { dashboardSuite } from "./dashboard-suite.js";

const prefix = uniquePrefix("dash");
afterAll(() => dropPrefix(prefix));

dashboardSuite("redis", async () => new RedisBackend({ url: await redisUrl(), prefix }));
