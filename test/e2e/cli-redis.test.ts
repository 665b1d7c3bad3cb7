// The command-line suite on Redis: each test gets its own key prefix on one private server.
import { basename } from "node:path";
import { redisUrl } from "../support/redis-server.js";
import { cliSuite } from "./cli-suite.js";

const server = await redisUrl();
cliSuite({ name: "redis", url: (dir) => `${server}?prefix=${encodeURIComponent(`cli-${basename(dir)}`)}` });
