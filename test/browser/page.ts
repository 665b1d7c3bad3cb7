/**
 * Pages for the browser tests: each records what must never happen on a dashboard page (a dialog,
 * i.e. some script ran; a Content-Security-Policy violation; an uncaught error), and a wait for a
 * text that polls the live page at short intervals instead of sleeping.
 */
import type { BrowserContext, Locator, Page } from "playwright-core";
import type { TestContext } from "vitest";
import { until } from "../helpers.js";

export interface WatchedPage {
  page: Page;
  /** Dialogs, CSP violations and page errors seen so far; tests expect none. */
  problems: string[];
}

/** A new page in `context` with fresh cookies; closed when the test ends, pass or fail. */
export async function openPage(ctx: TestContext, context: BrowserContext): Promise<WatchedPage> {
  await context.clearCookies();
  const page = await context.newPage();
  ctx.onTestFinished(() => page.close());
  const problems: string[] = [];
  page.on("dialog", (dialog) => {
    problems.push(`a ${dialog.type()} dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on("console", (message) => {
    if (/Content.Security.Policy/i.test(message.text())) problems.push(`CSP: ${message.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  return { page, problems };
}

/** Waits until the (first) element's trimmed text is `want` or matches it; returns the text. */
export async function waitForText(locator: Locator, want: string | RegExp, ms = 20_000): Promise<string> {
  const first = locator.first();
  let last: string | null = null;
  const matches = (text: string) => (typeof want === "string" ? text === want : want.test(text));
  try {
    const text = await until(
      async () => {
        last = ((await first.textContent({ timeout: ms })) ?? "").trim();
        return matches(last) ? last : null;
      },
      ms,
      `${String(locator)} to read ${String(want)}`,
    );
    return text ?? "";
  } catch (err) {
    throw new Error(`${(err as Error).message}; it read ${JSON.stringify(last)}`);
  }
}

/** The text a person sees (rendered, so hidden elements and markup are not in it). */
export function visibleText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is the point here
  return locator.first().innerText();
}
