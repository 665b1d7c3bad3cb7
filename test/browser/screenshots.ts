/**
 * The documentation's screenshots (docs/img/dashboard-*.png), taken by the browser tests of one
 * backend: each page with live data (a worker running, jobs in most states, failures with their
 * stack, repeatables, dead letters), at the fixed viewport of chromium.ts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { Queue } from "../../src/queue.js";
import { ROOT } from "../e2e/helpers.js";
import { until } from "../helpers.js";

export const SCREENSHOT_DIR = join(ROOT, "docs/img");

type FailedJobs = (queue: "emails" | "imports", task: string, data: unknown[]) => Promise<string[]>;

export async function takeScreenshots(
  p: Page,
  url: (path: string) => string,
  queues: Record<"emails" | "reports", Queue>,
  failedJobs: FailedJobs,
): Promise<void> {
  const { emails, reports } = queues;
  await emails.addBulk(
    Array.from({ length: 60 }, (_, i) => ({
      task: "send-email",
      data: { to: `user${i}@example.com`, ms: 25 },
    })),
  );
  await emails.addBulk(
    ["ada", "grace", "alan"].map((name) => ({
      task: "send-email",
      data: { to: `${name}@example.com`, template: "trial-ends" },
      options: { delay: "2h" },
    })),
  );
  const [failed = ""] = await failedJobs("emails", "fail", [
    { to: "bob@example.org", reason: "SMTP 550 5.1.1 <bob@example.org>: mailbox unavailable" },
    { to: "eve@example.net", reason: "SMTP 421 4.7.0: too many connections, try again later" },
  ]);
  await failedJobs("imports", "fail", [{ file: "stock.csv", reason: 'CSV row 17: column "sku" is missing' }]);
  await reports.upsertRepeatable({
    id: "nightly-digest",
    task: "send-email",
    cron: "0 3 * * *",
    data: { to: "team@example.com" },
  });
  await reports.upsertRepeatable({
    id: "hourly-sync",
    task: "send-email",
    every: "1h",
    data: { to: "ops@example.com" },
  });
  await reports.upsertRepeatable({
    id: "weekly-report",
    task: "flaky",
    cron: "0 8 * * 1",
    data: { what: "the weekly report" },
  });
  await reports.pauseRepeatable("weekly-report");
  await until(async () => (await emails.getJobCounts()).waiting === 0, 30_000, "the emails to be sent");

  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // [file name, path, has charts, whole page (else the viewport: the queue's list is long)]
  const shots: Array<[string, string, boolean, boolean]> = [
    ["overview", "/", true, true],
    ["queue", "/queues/emails", true, false],
    ["job", `/queues/emails/jobs/${failed}`, false, true],
    ["repeatables", "/queues/reports/repeatables", false, false],
    ["dead-letters", "/dead", false, false],
  ];
  for (const [name, path, withCharts, fullPage] of shots) {
    await p.goto(url(path));
    if (withCharts) await p.locator('[data-chart][data-ready="true"]').nth(1).waitFor({ state: "attached" });
    const file = join(SCREENSHOT_DIR, `dashboard-${name}.png`);
    await p.screenshot({ path: file, fullPage, animations: "disabled" });
  }
}
