// tsc compiles .ts only; backends keep their storage language in .sql/.lua files beside the code,
// and the dashboard its browser files (plain .js and .css, served as they are) in src/dashboard/assets.
// Copies every such file from src/ to the same place under dist/.
import { chmodSync, cpSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const ASSET = /\.(sql|lua|html|css|svg)$/;
const BROWSER_ASSETS = /[\\/]dashboard[\\/]assets[\\/][^\\/]+\.js$/;
function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (ASSET.test(entry.name) || BROWSER_ASSETS.test(path)) {
      const target = join("dist", relative("src", path));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}
walk("src");

// The `bin` must be executable for `npx asyncmq` inside this repository (npm sets the bit only
// when it installs the package elsewhere; tsc writes plain files).
chmodSync(join("dist", "cli", "main.js"), 0o755);
