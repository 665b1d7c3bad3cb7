/**
 * CSRF protection by double submit: each browser gets a random token in an HttpOnly, SameSite=Strict
 * cookie, and every form of the dashboard carries the same token in a hidden `_csrf` field (scripts
 * send it as `X-CSRF-Token`). A POST whose token is missing or differs from the cookie is refused
 * with 403, as is a POST whose Origin or Sec-Fetch-Site header says it came from another site. GET
 * never changes anything, so it needs no token.
 */
import type { MiddlewareHandler } from "hono";
import { CSRF_COOKIE, randomToken, readCookie, safeEqual, writeCookie } from "./cookies.js";
import type { DashboardEnv } from "./env.js";

export const CSRF_FIELD = "_csrf";
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Gives every request a token in `c.var.csrf` (issuing the cookie when absent). */
export function csrfToken(base: string): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    let token = readCookie(c, CSRF_COOKIE);
    if (token === undefined || !TOKEN_SHAPE.test(token)) {
      token = randomToken();
      writeCookie(c, base, CSRF_COOKIE, token);
    }
    c.set("csrf", token);
    await next();
  };
}

/** Refuses a state-changing request without the right token (403). */
export function csrfCheck(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const cookie = readCookie(c, CSRF_COOKIE);
    const sent = c.req.header("x-csrf-token") ?? (await formToken(c.req.raw.clone()));
    const hosts = [c.req.header("host"), c.req.header("x-forwarded-host")?.split(",")[0]?.trim()];
    if (!sameOrigin(c.req.header("origin"), hosts) || crossSite(c.req.header("sec-fetch-site"))) {
      return refuse(c, "the request came from another site");
    }
    if (cookie === undefined || sent === undefined || !safeEqual(cookie, sent)) {
      return refuse(c, "the form's security token is missing or out of date");
    }
    await next();
  };
}

/** Browsers say where a request came from; another site (or a sibling subdomain) is refused. */
function crossSite(site: string | undefined): boolean {
  return site === "cross-site" || site === "same-site";
}

async function formToken(request: Request): Promise<string | undefined> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded") && !type.includes("multipart/form-data"))
    return undefined;
  try {
    const value = (await request.formData()).get(CSRF_FIELD);
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A browser names the page's origin on a POST; when it does, its host must be ours (or the proxy's).
 * Under `Referrer-Policy: no-referrer` browsers send `Origin: null` for our own forms, so "null"
 * proves nothing either way (the token and Sec-Fetch-Site still apply).
 */
function sameOrigin(origin: string | undefined, hosts: Array<string | undefined>): boolean {
  if (origin === undefined || origin === "null") return true;
  let host: string;
  try {
    host = new URL(origin).host.toLowerCase();
  } catch {
    return false;
  }
  return hosts.some((h) => h !== undefined && h.toLowerCase() === host);
}

function refuse(c: Parameters<MiddlewareHandler<DashboardEnv>>[0], why: string) {
  return c.text(`403 forbidden: ${why}; reload the page and try again\n`, 403);
}
