/**
 * The static assets: the page script and stylesheet shipped beside this file, and uPlot from its
 * installed package (no build step, nothing fetched from the internet). They are read once, served
 * under a version segment that is a hash of their contents (`/assets/<version>/app.js`), so they can
 * be cached for a year and a new release is fetched at once; gzip when the browser takes it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { Hono } from "hono";
import type { DashboardEnv } from "./env.js";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

const require = createRequire(import.meta.url);
const own = (file: string) => fileURLToPath(new URL(`./assets/${file}`, import.meta.url));
const SOURCES: Record<string, { path: () => string; type: string }> = {
  "app.js": { path: () => own("app.js"), type: "text/javascript; charset=utf-8" },
  "style.css": { path: () => own("style.css"), type: "text/css; charset=utf-8" },
  "favicon.svg": { path: () => own("favicon.svg"), type: "image/svg+xml" },
  "uplot.js": {
    path: () => require.resolve("uplot/dist/uPlot.esm.js"),
    type: "text/javascript; charset=utf-8",
  },
  "uplot.css": { path: () => require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};

let loaded: { version: string; files: Map<string, Asset> } | null = null;

/** The assets and their version (read on first use, then kept for the process). */
export function loadAssets(): { version: string; files: ReadonlyMap<string, Asset> } {
  if (loaded) return loaded;
  const files = new Map<string, Asset>();
  const hash = createHash("sha256");
  for (const [name, source] of Object.entries(SOURCES)) {
    const body = readFileSync(source.path());
    hash.update(name).update(body);
    files.set(name, { type: source.type, body, gzip: gzipSync(body) });
  }
  loaded = { version: hash.digest("hex").slice(0, 12), files };
  return loaded;
}

export function assetRoutes(app: Hono<DashboardEnv>): void {
  const { version, files } = loadAssets();
  app.get("/assets/:version/:file", (c) => {
    const asset = files.get(c.req.param("file"));
    if (asset === undefined || c.req.param("version") !== version) return c.notFound();
    const gzip = /\bgzip\b/.test(c.req.header("accept-encoding") ?? "");
    c.header("Content-Type", asset.type);
    c.header("Cache-Control", "public, max-age=31536000, immutable");
    c.header("Vary", "Accept-Encoding");
    if (gzip) c.header("Content-Encoding", "gzip");
    return c.body(new Uint8Array(gzip ? asset.gzip : asset.body));
  });
}
