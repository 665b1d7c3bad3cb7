import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { backendConformance } from "./backend-suite.js";

backendConformance("memory", () => new InMemoryBackend());
