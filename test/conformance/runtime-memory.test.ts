import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { runtimeConformance } from "./runtime-suite.js";

runtimeConformance("memory", () => new InMemoryBackend());
