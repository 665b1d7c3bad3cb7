import { afterAll } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { sandboxSuite } from "./sandbox-suite.js";

const prefix = uniquePrefix("sandbox");
afterAll(() => dropPrefix(prefix));

const open = async () => new RedisBackend({ url: await redisUrl(), prefix });
sandboxSuite("redis", open, "thread");
sandboxSuite("redis", open, "process");
