/**
 * Small HTML fragments shared by the pages. Everything goes through Hono's `html` tag, which
 * escapes every interpolated string: job data, errors and logs are shown as text, never markup.
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { compactJson, humanDuration, relativeTime } from "../../cli/output.js";

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export { compactJson, humanDuration };

/** A time as `<time>`: relative text ("3s ago"), the ISO time as tooltip; app.js keeps it current. */
export function time(ms: number | undefined | null, now = Date.now()): Html {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return html`<span class="none">-</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${iso}" data-time="${ms}">${relativeTime(ms, now)}</time>`;
}

/** A value as indented JSON text for a `<pre>`; "-" when absent. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return "-";
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

/** An integer with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** `n` things, singular or plural. */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? "" : "s"}`;
}

/** A number of ms, rounded for people; "-" when unknown. */
export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : humanDuration(value);
}

/** A rate per second with sensible precision. */
export function perSecond(value: number | null | undefined): string {
  if (value === null || value === undefined) return "-";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
