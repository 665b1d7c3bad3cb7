// Empties dist/ before a build, so files whose source was moved or deleted are not published.
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
