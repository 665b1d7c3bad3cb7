import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { dashboardSuite } from "./dashboard-suite.js";

dashboardSuite("memory", () => new InMemoryBackend());
