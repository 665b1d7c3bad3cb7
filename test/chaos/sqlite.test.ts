/** The chaos suite on SQLite (scenarios in harness/scenarios.ts): kill storm, killed addBulk. */
import { sqliteEngine } from "./harness/engines.js";
import { chaosSuite } from "./harness/suite.js";

chaosSuite("sqlite", async (dir) => sqliteEngine(dir));
