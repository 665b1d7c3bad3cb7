import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { globalConcurrencyConformance } from "./global-concurrency-suite.js";
import { queueApiConformance } from "./queue-api-suite.js";
import { runtimeConformance } from "./runtime-suite.js";

runtimeConformance("memory", () => new InMemoryBackend());
globalConcurrencyConformance("memory", () => new InMemoryBackend());
// One store: the waiting side uses the worker's instance.
queueApiConformance("memory", () => new InMemoryBackend());
