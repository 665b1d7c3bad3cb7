import { afterAll } from "vitest";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { dashboardSuite } from "./dashboard-suite.js";

const schema = testSchema("dash");
let url: string | undefined;
afterAll(async () => {
  if (url) await dropSchema(url, schema);
  stopPostgres();
});

dashboardSuite("postgres", async () => {
  url = await postgresUrl();
  return new PostgresBackend({ url, schema });
});
