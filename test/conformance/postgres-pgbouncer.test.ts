import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { useBouncer } from "../support/pgbouncer.js";
import { testSchema } from "../support/postgres-server.js";
import { backendConformance } from "./backend-suite.js";

// postgres.test.ts through a PgBouncer in transaction mode: unnamed statements on the pooled
// connections, LISTEN on a direct one.
const schema = testSchema("bouncer");
const urls = useBouncer(schema);

backendConformance(
  "postgres through PgBouncer",
  () =>
    new PostgresBackend({ url: urls().url, schema, transactionPooling: true, listenUrl: urls().directUrl }),
  { shared: true },
);
