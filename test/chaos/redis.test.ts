/**
 * The chaos suite on Redis, on a private server with AOF (appendonly yes, appendfsync always): kill
 * storm, killed addBulk, server crash and restart, CLIENT KILL of every connection.
 */
import { redisEngine } from "./harness/engines.js";
import { chaosSuite } from "./harness/suite.js";

chaosSuite("redis", () => redisEngine());
