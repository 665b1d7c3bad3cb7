// The URL a benchmark uses for each backend: Redis and Postgres are the servers in REDIS_URL /
// DATABASE_URL, else the local default ports, with a key prefix / schema `tag` of the run's own
// (added to the URL's own parameters, such as ?transactionPooling=true&listenUrl=... for a database
// behind PgBouncer); SQLite is a file in `dir`.
import { join } from "node:path";

const withParam = (base, param) => `${base}${base.includes("?") ? "&" : "?"}${param}`;

/** The backend URL of `kind` (memory, sqlite, redis, postgres), or undefined for another kind. */
export function benchUrl(kind, tag, dir) {
  const urls = {
    memory: "memory://",
    sqlite: `sqlite://${join(dir, "bench.db")}`,
    redis: withParam(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", `prefix=${tag}`),
    postgres: withParam(
      process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
      `schema=${tag}`,
    ),
  };
  return urls[kind];
}
