/**
 * Who may reach the dashboard: HTTP Basic and token auth (Bearer and the login form's cookie), the
 * loopback-only default, the Host check against DNS rebinding, the Origin check on POST, and
 * option validation.
 */
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InMemoryBackend } from "../../src/backends/memory/memory-backend.js";
import { createDashboard } from "../../src/dashboard/create.js";
import { type RunningDashboard, startDashboard } from "../../src/dashboard/server.js";
import { ValidationError } from "../../src/errors.js";
import { Queue } from "../../src/queue.js";
import { uniqueQueue } from "../helpers.js";
import { Client } from "./helpers.js";

const backend = new InMemoryBackend();
const running: RunningDashboard[] = [];
afterAll(async () => {
  await Promise.all(running.map((r) => r.close()));
  await backend.close();
});

async function start(options: Parameters<typeof startDashboard>[0]): Promise<Client> {
  const r = await startDashboard({ backend, port: 0, ...options });
  running.push(r);
  return new Client(r.url.replace(/\/$/, ""));
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

describe("HTTP Basic auth", () => {
  let anonymous: Client;
  beforeAll(async () => {
    anonymous = await start({ auth: "admin:s3cret" });
  });

  it("answers 401 with a Basic challenge without or with wrong credentials, 200 with the right ones", async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: basic("admin", "wrong") },
      { authorization: basic("root", "s3cret") },
    ];
    for (const headers of attempts) {
      const client = new Client(anonymous.base, headers);
      for (const path of ["/", "/dead", "/api/queues", "/metrics", "/api/events"]) {
        const res = await client.request(path);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      }
    }
    const ok = new Client(anonymous.base, { authorization: basic("admin", "s3cret") });
    expect((await ok.page("/")).status).toBe(200);
    const metrics = await ok.request("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get("content-security-policy")).toContain("default-src 'self'");
  });

  it("refuses an action without credentials (401) even with a valid CSRF token", async () => {
    const name = uniqueQueue("sec");
    const q = new Queue(name, { backend });
    await q.add("t", {});
    const ok = new Client(anonymous.base, { authorization: basic("admin", "s3cret") });
    const token = await ok.csrf();
    const thief = new Client(anonymous.base);
    thief.cookies.set("asyncmq_csrf", token);
    const res = await thief.post(`/queues/${name}/pause`, {}, { csrf: token });
    expect(res.status).toBe(401);
    expect(await q.isPaused()).toBe(false);
    expect((await ok.post(`/queues/${name}/pause`)).status).toBe(303);
    expect(await q.isPaused()).toBe(true);
  });
});

describe("token auth", () => {
  const TOKEN = "t0ken-for-the-tests";
  let base: string;
  beforeAll(async () => {
    base = (await start({ token: TOKEN })).base;
  });

  it("takes Authorization: Bearer; without it or with a wrong one, 401", async () => {
    expect((await new Client(base).request("/api/queues")).status).toBe(401);
    expect(
      (await new Client(base, { authorization: "Bearer nope-nope-nope" }).request("/api/queues")).status,
    ).toBe(401);
    expect((await new Client(base, { authorization: `Bearer ${TOKEN}` }).request("/api/queues")).status).toBe(
      200,
    );
    expect((await new Client(base, { authorization: `Bearer ${TOKEN}` }).request("/metrics")).status).toBe(
      200,
    );
  });

  it("shows browsers a login form that sets an HttpOnly SameSite=Strict session cookie", async () => {
    const browser = new Client(base);
    const first = await browser.page("/");
    expect(first.status).toBe(401);
    expect(first.html).toContain('data-testid="login-token"');
    const token = /name="_csrf" value="([^"]+)"/.exec(first.html)?.[1] as string;

    const wrong = await browser.post("/login", { token: "not-the-token" }, { csrf: token });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('data-testid="login-error"');
    const noCsrf = await browser.post("/login", { token: TOKEN }, { csrf: false });
    expect(noCsrf.status).toBe(403);

    const right = await browser.post("/login", { token: TOKEN }, { csrf: token });
    expect(right.status).toBe(303);
    const cookie = right.headers.getSetCookie().find((c) => c.startsWith("asyncmq_session=")) as string;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toContain(TOKEN);
    expect((await browser.page("/")).status).toBe(200);
    expect((await browser.request("/api/queues")).status).toBe(200);

    const out = await browser.post("/logout");
    expect(out.status).toBe(303);
    expect((await browser.request("/api/queues")).status).toBe(401);
  });

  it("serves the assets (no data in them) without credentials, for the login page", async () => {
    const { html } = await new Client(base).page("/");
    const css = /href="([^"]+style\.css)"/.exec(html)?.[1] as string;
    expect((await new Client(base).request(css)).status).toBe(200);
  });
});

describe("where it listens", () => {
  it("refuses to bind a non-loopback address without auth or token, with one line saying why", async () => {
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) {
      const attempt = startDashboard({ backend, port: 0, host });
      await expect(attempt).rejects.toThrow(ValidationError);
      await expect(attempt).rejects.toThrow(
        /^refusing to serve the dashboard on .* without authentication[^\n]*$/,
      );
    }
  });

  it("binds a non-loopback address when auth is set", async () => {
    const r = await startDashboard({ backend, port: 0, host: "0.0.0.0", auth: "a:b" });
    running.push(r);
    expect(r.port).toBeGreaterThan(0);
  });

  it("answers only loopback Host names when bound to loopback without auth (DNS rebinding)", async () => {
    const client = await start({});
    const port = Number(new URL(client.base).port);
    // fetch() sets Host itself; node:http lets the test send another one, as a rebound page would.
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path: "/", headers: { host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });
    expect(await status(`evil.example:${port}`)).toBe(403);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    expect(await status(`localhost:${port}`)).toBe(200);
  });

  it("refuses a POST from another site (Origin, Sec-Fetch-Site) even with the right token", async () => {
    const client = await start({});
    const name = uniqueQueue("origin");
    const q = new Queue(name, { backend });
    await q.add("t", {});
    const token = await client.csrf();
    const body = new URLSearchParams({ _csrf: token });
    const foreign = await client.request(`/queues/${name}/pause`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" },
      body,
    });
    expect(foreign.status).toBe(403);
    const crossSite = await client.request(`/queues/${name}/pause`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
      body,
    });
    expect(crossSite.status).toBe(403);
    expect(await q.isPaused()).toBe(false);
    const same = await client.request(`/queues/${name}/pause`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: new URL(client.base).origin },
      body,
    });
    expect(same.status).toBe(303);
    // Under Referrer-Policy: no-referrer a browser's own form says "Origin: null": the token decides.
    const opaque = await client.request(`/queues/${name}/resume`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "null",
        "sec-fetch-site": "same-origin",
      },
      body,
    });
    expect(opaque.status).toBe(303);
    expect(await q.isPaused()).toBe(false);
  });

  it("rejects bad options at once", async () => {
    expect(() => createDashboard({ backend, auth: "a:b", token: "abcdefghij" })).toThrow(/not both/);
    expect(() => createDashboard({ backend, auth: "nopassword" })).toThrow(/user:password/);
    expect(() => createDashboard({ backend, token: "short" })).toThrow(/at least 8/);
    expect(() => createDashboard({ backend, basePath: "admin" })).toThrow(/must start with "\/"/);
    await expect(startDashboard({ backend, port: 70_000 })).rejects.toThrow(/port must be an integer/);
  });
});
