import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { useBouncer } from "../support/pgbouncer.js";
import { testSchema } from "../support/postgres-server.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

// runtime-postgres.test.ts through a PgBouncer in transaction mode (see postgres-pgbouncer.test.ts).
const schema = testSchema("bouncer_runtime");
const urls = useBouncer(schema);

const open = () =>
  new PostgresBackend({ url: urls().url, schema, transactionPooling: true, listenUrl: urls().directUrl });
runtimeConformance("postgres through PgBouncer", open);
globalConcurrencyConformance("postgres through PgBouncer", open);
queueApiConformance("postgres through PgBouncer", open, open);
