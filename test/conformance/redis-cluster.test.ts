import { RedisBackend } from "../../src/backends/redis/redis-backend.js";
import { useRedisCluster } from "../support/redis-cluster.js";
import { uniquePrefix } from "../support/redis-server.js";
import { backendConformance } from "./backend-suite.js";

// redis.test.ts on a private Redis Cluster of 3 primaries and 3 replicas, which the file's end
// stops (so no key needs deleting). A plain prefix spreads the queues over the slots, one hash tag
// per queue; the prefix with a hash tag puts them all in one slot, as flows across queues need.
const cluster = useRedisCluster();
const prefix = uniquePrefix("cluster");

backendConformance("redis cluster", async () => new RedisBackend({ url: cluster().url, prefix }), {
  shared: true,
  crossQueueFlows: false,
});
backendConformance(
  "redis cluster, one slot",
  async () => new RedisBackend({ url: cluster().url, prefix: `{${prefix}}` }),
  { shared: true },
);
