import { afterAll } from "vitest";
import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { dropPrefix, redisUrl, uniquePrefix } from "../support/redis-server.js";
import { runtimeConformance } from "./runtime-suite.js";
import { waitForConformance } from "./runtime-wait-suite.js";

const prefix = uniquePrefix("runtime");
afterAll(() => dropPrefix(prefix));

const open = async () => new RedisBackend({ url: await redisUrl(), prefix });
runtimeConformance("redis", open);
waitForConformance("redis", open, open);
