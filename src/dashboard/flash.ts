/**
 * Flash messages: an action redirects (303) with a one-time message in a cookie, and the next page
 * shows it and clears it. The cookie holds only text the dashboard wrote; it is rendered escaped.
 */
import { clearCookie, FLASH_COOKIE, readCookie, writeCookie } from "./cookies.js";
import type { Ctx } from "./env.js";
import type { DashboardState } from "./state.js";

export interface Flash {
  kind: "ok" | "error";
  text: string;
}

const MAX_TEXT = 500;

/** A 303 redirect to the dashboard path `path`, carrying `flash` to the page it lands on. */
export function redirectWith(c: Ctx, state: DashboardState, path: string, flash: Flash): Response {
  const text = flash.text.length > MAX_TEXT ? `${flash.text.slice(0, MAX_TEXT - 1)}…` : flash.text;
  writeCookie(c, state.config.base, FLASH_COOKIE, encode({ kind: flash.kind, text }), 60);
  return c.redirect(state.href(path), 303);
}

/** The message left by the last action, once. */
export function takeFlash(c: Ctx, state: DashboardState): Flash | null {
  const raw = readCookie(c, FLASH_COOKIE);
  if (raw === undefined) return null;
  clearCookie(c, state.config.base, FLASH_COOKIE);
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null) return null;
    const { kind, text } = value as Record<string, unknown>;
    if ((kind !== "ok" && kind !== "error") || typeof text !== "string") return null;
    return { kind, text: text.slice(0, MAX_TEXT) };
  } catch {
    return null;
  }
}

function encode(flash: Flash): string {
  return Buffer.from(JSON.stringify(flash), "utf8").toString("base64url");
}
