import { afterAll, beforeAll } from "vitest";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

const schema = testSchema("runtime");
let url: string;
beforeAll(async () => {
  url = await postgresUrl();
});
afterAll(async () => {
  await dropSchema(url, schema);
  stopPostgres();
});

const open = () => new PostgresBackend({ url, schema });
runtimeConformance("postgres", open);
globalConcurrencyConformance("postgres", open);
queueApiConformance("postgres", open, open);
