import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { runtimeConformance } from "./runtime-suite.js";
import { waitForConformance } from "./runtime-wait-suite.js";

runtimeConformance("memory", () => new InMemoryBackend());
// One store: the waiting side uses the worker's instance.
waitForConformance("memory", () => new InMemoryBackend());
