import { afterAll } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

const prefix = uniquePrefix("runtime");
afterAll(() => dropPrefix(prefix));

const open = async () => new RedisBackend({ url: await redisUrl(), prefix });
runtimeConformance("redis", open);
globalConcurrencyConformance("redis", open);
queueApiConformance("redis", open, open);
