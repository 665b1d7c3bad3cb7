/**
 * Headers on every response (a strict Content-Security-Policy: no inline script or style, nothing
 * from another origin, no framing) and the optional Host check against DNS rebinding.
 */
import type { MiddlewareHandler } from "hono";
import type { DashboardEnv } from "./env.js";

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ["Content-Security-Policy", CONTENT_SECURITY_POLICY],
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
];

export function securityHeaders(): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    await next();
    for (const [name, value] of SECURITY_HEADERS) c.res.headers.set(name, value);
    // Pages and JSON hold job data: never kept by a shared cache. Assets set their own policy.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}

/** Refuses requests whose Host header is not one of `hosts` (a page of another site resolved to us). */
export function hostCheck(hosts: ReadonlySet<string> | undefined): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    if (hosts !== undefined && !hosts.has(hostName(c.req.header("host") ?? ""))) {
      return c.text("this dashboard does not answer for that Host name\n", 403);
    }
    await next();
  };
}

/** The name part of a Host header: `localhost:7070` -> `localhost`, `[::1]:7070` -> `[::1]`. */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(0, h.indexOf("]") + 1);
  const colon = h.lastIndexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}
