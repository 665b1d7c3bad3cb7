import { afterAll, beforeAll } from "vitest";
import { PostgresBackend } from "../../src/backends/postgres/postgres-backend.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";
import { backendConformance } from "./backend-suite.js";

// One schema for this file: every test uses its own queue names, and each backend instance is a
// new pool on the same schema (as separate processes would be).
const schema = testSchema("conf");
let url: string;
beforeAll(async () => {
  url = await postgresUrl();
});
afterAll(async () => {
  await dropSchema(url, schema);
  stopPostgres();
});

backendConformance("postgres", () => new PostgresBackend({ url, schema }), { shared: true });
