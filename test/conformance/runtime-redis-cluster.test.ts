import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { useRedisCluster } from "../support/redis-cluster.js";
import { uniquePrefix } from "../support/redis-server.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

// runtime-redis.test.ts on a private Redis Cluster (3 primaries, 3 replicas), stopped at the end of the file.
const cluster = useRedisCluster();
const prefix = uniquePrefix("runtime-cluster");

const open = async () => new RedisBackend({ url: cluster().url, prefix });
// Flows across queues need the queues in one slot: the backend conformance runs them with a hash tag prefix.
runtimeConformance("redis cluster", open, { crossQueueFlows: false });
globalConcurrencyConformance("redis cluster", open);
queueApiConformance("redis cluster", open, open);
