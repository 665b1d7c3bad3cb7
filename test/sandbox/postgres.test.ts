import { afterAll } from "vitest";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { sandboxSuite } from "./sandbox-suite.js";

const schema = testSchema("sandbox");
afterAll(async () => {
  await dropSchema(await postgresUrl(), schema);
  stopPostgres();
});

const open = async () => new PostgresBackend({ url: await postgresUrl(), schema });
sandboxSuite("postgres", open, "thread");
sandboxSuite("postgres", open, "process");
