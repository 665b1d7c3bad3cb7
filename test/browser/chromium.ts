/**
 * Headless Chromium for the dashboard's browser tests: Debian's `chromium` driven by playwright-core
 * (never a browser downloaded by `npx playwright install`), with a fresh temporary profile that
 * close() removes, whether the tests passed or failed. Without /usr/bin/chromium the tests fail with
 * a message naming the Debian package: they are never skipped.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** The pages render at this size, so screenshots are comparable from run to run. */
export const VIEWPORT = { width: 1280, height: 800 };

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Renderers as children of the browser process: zygotes outlive it and linger as zombies.
  "--no-zygote",
];

export interface Chromium {
  /** One browser profile; tests open pages in it (clearCookies() between tests). */
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile; idempotent. */
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install the Debian package \`chromium\` (apt-get install chromium; .ci/run does)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "asyncmq-chromium-"));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: VIEWPORT,
      // Chromium writes beside the profile too: its crash database and caches under $HOME, its
      // singleton socket (left behind if it dies) under $TMPDIR. All of it goes in the temp dir.
      env: {
        ...process.env,
        HOME: dir,
        TMPDIR: dir,
        XDG_CONFIG_HOME: join(dir, "config"),
        XDG_CACHE_HOME: join(dir, "cache"),
      },
      timeout: 60_000,
    });
  } catch (err) {
    remove();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    context,
    close: () => {
      closing ??= context.close().finally(remove);
      return closing;
    },
  };
}
