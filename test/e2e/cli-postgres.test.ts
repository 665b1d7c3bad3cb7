// The command-line suite on Postgres: each test gets its own schema on one private server.
import { basename } from "node:path";
import { afterAll } from "vitest";
import { postgresUrl, stopPostgres } from "../support/postgres-server.js";
import { cliSuite } from "./cli-suite.js";

const server = await postgresUrl();
// The exit-time fallback of postgres-server.ts does not run when vitest ends its worker process.
afterAll(stopPostgres);
const schemaOf = (dir: string) =>
  `cli_${basename(dir)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "_")}`.slice(0, 48);
cliSuite({
  name: "postgres",
  url: (dir) => `${server}${server.includes("?") ? "&" : "?"}schema=${schemaOf(dir)}`,
});
