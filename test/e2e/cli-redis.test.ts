// The command-line suite on Redis: each test gets its own key prefix on one private server (or on
// REDIS_URL's, where its keys are dropped after the file).
import { basename } from "node:path";
import { afterAll } from "vitest";
import { dropPrefix, redisUrl } from "../support/redis-server.js";
import { cliSuite } from "./cli-suite.js";

const server = await redisUrl();
const prefixes: string[] = [];
cliSuite({
  name: "redis",
  url: (dir) => {
    const prefix = `cli-${basename(dir)}`;
    prefixes.push(prefix);
    return `${server}?prefix=${encodeURIComponent(prefix)}`;
  },
});
afterAll(async () => {
  for (const prefix of prefixes.splice(0)) await dropPrefix(prefix);
});
