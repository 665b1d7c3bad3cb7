/**
 * What a failed Redis call means for the user, in words. Redis answers some refusals with an error
 * code word (OOM, READONLY, MISCONF, NOAUTH, ...): those say what is wrong with the server, and
 * asking "is Redis running and reachable?" about them misleads. A MULTI refused at EXEC
 * (EXECABORT) carries the refusal of the command that spoiled it, which is the one to explain.
 */
import { BackendError } from "../../errors.js";

/** The error a failed call got: ioredis's ReplyError for a refusal, or a connection error. */
interface RedisFailure {
  message: string;
  name?: string;
  /** Set by ioredis on EXECABORT: the errors of the commands queued in the MULTI. */
  previousErrors?: unknown[];
}

/** The refusal at the root of `err`: for EXECABORT, the first queued command's error. */
function rootOf(err: RedisFailure): RedisFailure {
  if (err.message.startsWith("EXECABORT")) {
    const first = err.previousErrors?.find((e): e is RedisFailure => e instanceof Error);
    if (first) return first;
  }
  return err;
}

/**
 * The failure at the root of `err`, an error as ioredis gave it or as a BackendError wrapping one
 * (its `cause`): for EXECABORT, the first queued command's error. Undefined for a non-error.
 */
export function redisFailureOf(err: unknown): RedisFailure | undefined {
  const raw = err instanceof BackendError ? err.cause : err;
  return raw instanceof Error ? rootOf(raw as RedisFailure) : undefined;
}

/** The refusals Redis names, by the code word its message starts with (or a script quotes). */
const REFUSALS: Array<[code: RegExp, explain: (url: string) => string]> = [
  [
    /\bOOM\b/,
    (url) =>
      `Redis at ${url} refused the write because it is out of memory (used memory is above its ` +
      "maxmemory, and its maxmemory-policy evicts nothing, as asyncmq needs: an evicted job is lost). " +
      "Give Redis more memory (CONFIG SET maxmemory, or maxmemory in redis.conf), or free some: remove " +
      "finished jobs (asyncmq queue clean <queue> --state completed; removeOnComplete / removeOnFail), " +
      "drain or obliterate queues you no longer need",
  ],
  [
    /^READONLY\b/,
    (url) => `Redis at ${url} is a read-only replica and refused the write; point asyncmq at the primary`,
  ],
  [
    /^MISCONF\b/,
    (url) =>
      `Redis at ${url} refuses writes because it failed to save its snapshot (MISCONF); fix its disk ` +
      "or dir (see its log), or set stop-writes-on-bgsave-error no",
  ],
  [
    /^(NOAUTH|WRONGPASS)\b/,
    (url) =>
      `Redis at ${url} refused the login; put the right user and password in the URL (redis://user:password@host:port)`,
  ],
  [
    /^NOPERM\b/,
    (url) =>
      `Redis at ${url} refused a command to this user (ACL); grant it the commands and keys asyncmq uses`,
  ],
];

/**
 * The BackendError for a failed call to the Redis at `url` (password hidden): a refusal Redis named
 * is explained; any other failure is asked about the server's reachability.
 * @param connectError the connection's last error, when it has one: a call that gave up on the
 *   connection (ioredis's "max retries per request") is reported by it, not by ioredis's words.
 */
export function explainRedisFailure(url: string, err: unknown, connectError?: string): BackendError {
  const failure: RedisFailure =
    err instanceof Error ? (err as RedisFailure) : { message: String(err), name: "Error" };
  const root = rootOf(failure);
  for (const [code, explain] of REFUSALS) {
    if (code.test(root.message)) {
      return new BackendError(`${explain(url)} (Redis: "${root.message}")`, { cause: err });
    }
  }
  if (root.name === "ReplyError") {
    // Redis answered, so it is reachable: an error of the command or script itself.
    return new BackendError(`Redis at ${url} answered with an error: ${root.message}`, { cause: err });
  }
  const gaveUp =
    failure.name === "MaxRetriesPerRequestError" || /max retries per request/i.test(failure.message);
  const cause = gaveUp && connectError !== undefined ? connectError : failure.message;
  return new BackendError(
    `cannot reach Redis at ${url} (${cause}); check that the server is running and accepts connections there, or pass another url (new RedisBackend({ url }) or ASYNCMQ_BACKEND=redis://host:port/db)`,
    { cause: err },
  );
}
