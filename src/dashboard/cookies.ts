/**
 * The dashboard's cookies: HttpOnly, SameSite=Strict, scoped to its base path, Secure over HTTPS;
 * plus the constant-time comparison and random tokens their checks use.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Ctx } from "./env.js";

export const CSRF_COOKIE = "asyncmq_csrf";
export const SESSION_COOKIE = "asyncmq_session";
export const FLASH_COOKIE = "asyncmq_flash";

function attributes(c: Ctx, base: string, maxAge?: number) {
  const https =
    new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0] === "https";
  return {
    path: base === "" ? "/" : base,
    httpOnly: true,
    sameSite: "Strict" as const,
    secure: https,
    ...(maxAge !== undefined ? { maxAge } : {}),
  };
}

export function readCookie(c: Ctx, name: string): string | undefined {
  return getCookie(c, name);
}

/** Sets a cookie for this dashboard (a session cookie unless `maxAge`, in seconds). */
export function writeCookie(c: Ctx, base: string, name: string, value: string, maxAge?: number): void {
  setCookie(c, name, value, attributes(c, base, maxAge));
}

export function clearCookie(c: Ctx, base: string, name: string): void {
  deleteCookie(c, name, attributes(c, base));
}

/** Compares two secrets in time that does not depend on where they differ (nor, much, on their lengths). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b)) && a.length === b.length;
}

/** 32 random bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}
