/**
 * Authentication, when `auth` or `token` is set; every path needs it except the login form and the
 * static assets (which hold no data).
 * - `auth: "user:pass"`: HTTP Basic; the browser asks for the credentials itself.
 * - `token`: `Authorization: Bearer <token>` (scripts, Prometheus), or the login form, which sets an
 *   HttpOnly, SameSite=Strict session cookie holding an HMAC of the token (not the token itself).
 * Every comparison is constant-time. A request without valid credentials gets 401.
 */
import { createHmac } from "node:crypto";
import type { Hono, MiddlewareHandler } from "hono";
import { clearCookie, readCookie, SESSION_COOKIE, safeEqual, writeCookie } from "./cookies.js";
import type { DashboardEnv } from "./env.js";
import { loginPage } from "./pages/login.js";
import type { DashboardState } from "./state.js";

/** Paths (below the base path) reachable without credentials. */
function isPublic(path: string): boolean {
  return path === "/login" || path.startsWith("/assets/");
}

export function authMiddleware(state: DashboardState): MiddlewareHandler<DashboardEnv> {
  const { basic, token, base } = state.config;
  return async (c, next) => {
    if (basic === undefined && token === undefined) return next();
    if (isPublic(c.req.path.slice(base.length))) return next();
    const header = c.req.header("authorization") ?? "";
    if (basic !== undefined) {
      if (basicMatches(header, basic)) return next();
      c.header("WWW-Authenticate", 'Basic realm="asyncmq dashboard", charset="UTF-8"');
      return c.text("401 unauthorized: this dashboard needs a user name and password\n", 401);
    }
    if (token !== undefined) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const session = readCookie(c, SESSION_COOKIE);
      if (
        bearer !== undefined
          ? safeEqual(bearer, token)
          : session !== undefined && safeEqual(session, sessionValue(token))
      )
        return next();
      if (c.req.method === "GET" && (c.req.header("accept") ?? "").includes("text/html"))
        return loginPage(c, state);
      return c.text("401 unauthorized: send Authorization: Bearer <token>, or log in at /login\n", 401);
    }
  };
}

/** The login form and logout, for token auth. */
export function loginRoutes(app: Hono<DashboardEnv>, state: DashboardState): void {
  const { token, base } = state.config;
  if (token === undefined) return;
  app.get("/login", (c) => loginPage(c, state));
  app.post("/login", async (c) => {
    const form = await c.req.parseBody();
    const given = typeof form.token === "string" ? form.token : "";
    if (!safeEqual(given, token)) return loginPage(c, state, "That token is not right; try again.");
    writeCookie(c, base, SESSION_COOKIE, sessionValue(token), 12 * 3600);
    return c.redirect(state.href("/"), 303);
  });
  app.post("/logout", (c) => {
    clearCookie(c, base, SESSION_COOKIE);
    return c.redirect(state.href("/login"), 303);
  });
}

function basicMatches(header: string, basic: { user: string; pass: string }): boolean {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (encoded === undefined) return false;
  const given = Buffer.from(encoded, "base64").toString("utf8");
  return safeEqual(given, `${basic.user}:${basic.pass}`);
}

/** What the session cookie holds: proof of the token that is useless as a Bearer token. */
function sessionValue(token: string): string {
  return createHmac("sha256", token).update("asyncmq dashboard session").digest("base64url");
}
