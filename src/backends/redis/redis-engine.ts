/**
 * The Redis engine: job transitions as Lua scripts (jobs.ts), pub/sub as its notifier
 * (notifier.ts), and every optional store (stores.ts, metric-store.ts), over one connection (connection.ts).
 *
 * Data layout, with `Q = "<prefix>:<queue>:"` and `G = "<prefix>::"` (queue names and custom ids
 * never contain ":", so no key of one queue can collide with another's or with G's):
 * - `Q job:<id>`        hash: the job's fields (JSON text for data/result/error/progress/specs), its
 *                       state, creation sequence `seq`, member `wm` in `waiting` or `delayed`, lease
 *                       `token`, pending parent count `pending`, compact retention codes `rc`/`rf`.
 * - `Q s:<state>`       ZSET id -> creation sequence per state but active: counts (ZCARD) and getJobs
 *                       paging (active jobs: `Q active`, see lua/includes/moves.lua). With `Q active`
 *                       they hold every job once (JOB_SETS): getJobs over all states merges them,
 *                       obliterate walks them. (Earlier versions also kept `Q jobs`, a ZSET of every
 *                       job, one more index write per job; obliterate still deletes it.)
 * - `Q waiting`         ZSET score priority, member "<15-digit sequence><id>": lowest priority first,
 *                       FIFO within a priority through the lexicographic order of equal scores (exact
 *                       for any safe-integer priority; the sequence never wraps in practice). A lifo
 *                       job's member is "-<14-digit 99999999999999 - sequence><id>": ahead of the
 *                       others, newest first (the hash's `lifo` field marks it for promotion).
 * - `Q delayed`         ZSET score runAt, member "<15-digit sequence><id>": earliest first, equal runAts
 *                       in the order they became delayed (the same member form as `waiting`; a bare id,
 *                       as earlier versions wrote, is still read and removed).
 * - `Q active`          ZSET id -> leaseExpiresAt.
 * - `Q done:<state>`    ZSET id -> finishedAt for completed/failed/expired/cancelled (count retention, clean).
 * - `Q retention`       ZSET id -> removal time.     `Q ttl`      ZSET id -> createdAt + ttl (unstarted jobs).
 * - `Q id`, `Q seq`     counters: generated ids, and the sequence for creation and FIFO order.
 * - `Q dedup`           hash dedup key -> job id.    `Q deps:<id>` list of dependants of a parent.
 * - `Q logs:<id>`       list of log lines.
 * - `Q repeat`          hash id -> definition JSON;  `Q repeat-meta` hash id -> "<nextRun>|<paused 0/1>";
 *                       `Q slots` hash repeat id -> "<last slot fired>|<runs>".
 * - `Q rate`            hash tokens, at (the queue-wide token bucket).   `Q paused` flag.
 * - `Q global-concurrency` the most jobs of the queue active at once (claim.lua obeys it); absent: no limit.
 * - `Q batch:<id>`      short-lived gate that ties the chunks of one large enqueue together.
 * - `Q drain:<token>`   short-lived set of the children one chunked drain released (kept from its later chunks).
 * - `Q wake`, `Q events` pub/sub channels (see notifier.ts).
 * - `Q metrics-total`   hash METRIC_COLUMNS field -> count: the queue's metric totals (never expire).
 * - `Q metrics:<minute>` hash of the same fields for one minute; `Q metrics-minutes` ZSET minute -> minute
 *                       indexing them. Both expire past the retention, and record-metrics.lua prunes them.
 * - `G queues`          set of queue names (pruned by listQueues).
 * - `G workers`         hash worker id -> info JSON;  `G worker-expiry` ZSET id -> heartbeatAt + ttl.
 * Nothing on the hot path scans: every lookup is by key or by ZSET range.
 *
 * On a Redis Cluster with no hash tag in the prefix, Q is "<prefix>:{<queue>}:" and G "<prefix>:{:}:"
 * (connection.ts): each queue's keys in one slot, the global ones in another, flows within a queue.
 */
import type { Engine, EngineContext } from "../engine.js";
import { RedisConnection } from "./connection.js";
import { RedisJobs } from "./jobs.js";
import { RedisLeaders } from "./leaders.js";
import { RedisMetrics } from "./metric-store.js";
import { RedisNotifier } from "./notifier.js";
import type { RedisBackendOptions, RedisConnectionLike } from "./options.js";
import { RedisRateLimits, RedisRepeatables, RedisWorkers } from "./stores.js";

export class RedisEngine implements Engine {
  /** As durable as the Redis server is configured to be. */
  readonly durable = true;
  readonly multiProcess = true;
  /** Every transition publishes its wake-ups; a reconnected subscriber wakes every queue. */
  readonly reliableWakeups = true;
  readonly jobs: RedisJobs;
  readonly notifier: RedisNotifier;
  readonly repeatables: RedisRepeatables;
  readonly rateLimits: RedisRateLimits;
  readonly workers: RedisWorkers;
  readonly metrics: RedisMetrics;
  readonly leaders: RedisLeaders;
  readonly connection: RedisConnection;
  /**
   * One connection runs the scripts in the order they are sent, but not a cluster (a claim may go
   * to another node's connection while the slot moves) and not with waitReplicas (a job must not
   * start before its WAIT confirmed it).
   */
  readonly claimsFollowEnqueues: boolean;

  constructor(source: RedisBackendOptions | RedisConnectionLike, ctx: EngineContext) {
    const io = new RedisConnection(source, (queue) => ctx.wantsEvents(queue));
    this.connection = io;
    this.claimsFollowEnqueues = !io.cluster && !io.waitsForReplicas;
    this.notifier = new RedisNotifier(io, ctx);
    this.jobs = new RedisJobs(io);
    this.repeatables = new RedisRepeatables(io);
    this.rateLimits = new RedisRateLimits(io);
    this.workers = new RedisWorkers(io);
    this.metrics = new RedisMetrics(io);
    this.leaders = new RedisLeaders(io);
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
