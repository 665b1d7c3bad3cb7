/**
 * Mounting the dashboard under a base path: in a plain node:http server, behind an Express-style
 * mount that strips the prefix from `req.url` (keeping `originalUrl`), and through `fetch` as a
 * Hono app would call it (with or without the prefix).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { createDashboard, type Dashboard } from "../../src/dashboard/create.js";
import { Queue } from "../../src/queue.js";
import { uniqueQueue } from "../helpers.js";
import { Client } from "./helpers.js";

const backend = new InMemoryBackend();
const name = uniqueQueue("mount");
let dashboard: Dashboard;
let server: Server;
let origin: string;

/** What Express's `app.use("/admin", handler)` does to a request before the handler sees it. */
function expressStyle(prefix: string, handler: Dashboard["handler"]): Parameters<typeof createServer>[1] {
  return (req, res) => {
    const url = req.url ?? "/";
    if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
      res.writeHead(404).end("not the dashboard");
      return;
    }
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(prefix.length) || "/";
    handler(req, res);
  };
}

beforeAll(async () => {
  await new Queue(name, { backend }).add("t", { hello: "world" });
  dashboard = createDashboard({ backend, basePath: "/admin/queues" });
  server = createServer(expressStyle("/admin/queues", dashboard.handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await dashboard.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await backend.close();
});

describe("basePath", () => {
  it("serves every page, asset and link under the base path behind an Express-style mount", async () => {
    const client = new Client(`${origin}/admin/queues`);
    for (const path of ["", "/", `/queues/${name}`, `/queues/${name}/jobs/1`, "/dead"]) {
      expect((await client.page(path)).status, path).toBe(200);
    }
    const { html } = await client.page("/");
    expect(html).toContain(`href="/admin/queues/queues/${name}"`);
    const script = /<script type="module" src="([^"]+)"/.exec(html)?.[1] as string;
    expect(script).toMatch(/^\/admin\/queues\/assets\/[0-9a-f]+\/app\.js$/);
    expect((await fetch(`${origin}${script}`)).status).toBe(200);
    expect(client.cookies.has("asyncmq_csrf")).toBe(true);
    const res = await client.request("/");
    expect(res.headers.getSetCookie().join()).toBe("");
  });

  it("takes actions through the mount, cookie path and redirects included", async () => {
    const client = new Client(`${origin}/admin/queues`);
    const first = await client.request("/");
    expect(first.headers.getSetCookie()[0]).toMatch(/Path=\/admin\/queues/);
    const res = await client.post(`/queues/${name}/pause`);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/admin/queues/queues/${name}`);
    expect(await new Queue(name, { backend }).isPaused()).toBe(true);
    await client.post(`/queues/${name}/resume`);
  });

  it("answers through fetch with the prefix, and without it (a Hono mount that strips it)", async () => {
    for (const url of ["http://app.test/admin/queues/dead", "http://app.test/dead"]) {
      const res = await dashboard.fetch(new Request(url));
      expect(res.status, url).toBe(200);
      expect(await res.text()).toContain('data-testid="page-title">Dead letters<');
    }
    const post = await dashboard.fetch(
      new Request(`http://app.test/queues/${name}/pause`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "_csrf=missing",
      }),
    );
    expect(post.status).toBe(403);
  });

  it("works in a plain node:http server that passes the full URL", async () => {
    const plain = createServer(dashboard.handler);
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const port = (plain.address() as AddressInfo).port;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/admin/queues/queues/${name}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(`data-testid="page-title">Queue ${name}<`);
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
