/**
 * The chaos suite on Postgres, on a private server: kill storm, killed addBulk, `pg_ctl` stop and
 * start mid-run, pg_terminate_backend of every session.
 */
import { postgresEngine } from "./harness/engines.js";
import { chaosSuite } from "./harness/suite.js";

chaosSuite("postgres", () => postgresEngine());
