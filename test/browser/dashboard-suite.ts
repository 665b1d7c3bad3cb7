/**
 * The dashboard in a real browser, run once per backend by dashboard.test.ts: a dashboard server in
 * this process (startDashboard on port 0) over a real backend, a worker of the built package in a
 * child process (`asyncmq worker start`), headless Chromium clicking through the pages. With
 * `screenshots`, the last test saves a PNG of each page into docs/img/.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { type RunningDashboard, startDashboard } from "../../src/dashboard/server.js";
import type { JobState } from "../../src/job.js";
import { Queue } from "../../src/queue.js";
import { BIN, CliProcess, ROOT } from "../e2e/helpers.js";
import { until } from "../helpers.js";
import { openPage, visibleText, waitForText } from "./page.js";
import { takeScreenshots } from "./screenshots.js";

export interface BackendCase {
  name: string;
  /** Opens a fresh backend: the instance this process uses and the URL the worker child opens. */
  open(dir: string): Promise<{ backend: Backend; url: string; drop(): Promise<void> }>;
  /** Save the pages into docs/img/ (one backend does). */
  screenshots?: boolean;
}

export const XSS = "<script>alert(1)</script>";
const TASKS = join(ROOT, "test/browser/fixtures/tasks.js");
const QUEUES = ["emails", "reports", "imports", "billing", "uploads"] as const;
type QueueName = (typeof QUEUES)[number];
const CREDENTIALS = "admin:correct-horse-battery";
/** Generous: a loaded 2-core machine runs the worker, the dashboard and Chromium at once. */
const SLOW = { timeout: 60_000 };

export function browserSuite(backendCase: BackendCase, browser: () => BrowserContext): void {
  describe(`the dashboard in Chromium (${backendCase.name})`, () => {
    let dir: string;
    let opened: Awaited<ReturnType<BackendCase["open"]>>;
    let backend: Backend;
    let dash: RunningDashboard;
    let authed: RunningDashboard;
    let readOnly: RunningDashboard;
    let worker: CliProcess | null = null;
    const queues = {} as Record<QueueName, Queue>;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), `asyncmq-browser-${backendCase.name}-`));
      opened = await backendCase.open(dir);
      backend = opened.backend;
      for (const name of QUEUES) queues[name] = new Queue(name, { backend });
      dash = await startDashboard({ backend, port: 0 });
      authed = await startDashboard({ backend, port: 0, auth: CREDENTIALS });
      readOnly = await startDashboard({ backend, port: 0, readOnly: true });
    });

    afterAll(async () => {
      if (worker?.running) {
        worker.signal("SIGTERM");
        await worker.exit(15_000).catch(() => worker?.kill());
      }
      for (const d of [dash, authed, readOnly]) await d?.close();
      for (const q of Object.values(queues)) await q.close();
      await backend?.close();
      await opened?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** The worker child on every queue of the suite, started once (by the first test that needs it). */
    async function startWorker(): Promise<CliProcess> {
      if (worker?.running) return worker;
      if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
      const args = ["worker", "start", ...QUEUES, "--tasks", TASKS, "--concurrency", "4"];
      worker = new CliProcess([...args, "--backend", opened.url], { cwd: dir });
      await worker.waitFor(/worker started/, 30_000);
      return worker;
    }

    const at = (d: RunningDashboard, path: string) => `${d.url.replace(/\/$/, "")}${path}`;
    const page = (ctx: TestContext) => openPage(ctx, browser());

    async function settled(queue: QueueName, id: string, state: JobState): Promise<void> {
      await until(
        async () => (await queues[queue].getJob(id))?.state === state,
        30_000,
        `job ${id} ${state}`,
      );
    }

    /** Jobs that failed for good (retries: 0), run by the worker. */
    async function failedJobs(queue: QueueName, task: string, data: unknown[]): Promise<string[]> {
      await startWorker();
      const ids = await queues[queue].addBulk(data.map((d) => ({ task, data: d, options: { retries: 0 } })));
      for (const id of ids) await settled(queue, id, "failed");
      return ids;
    }

    it("overview: a count changes live while a worker in another process runs jobs", SLOW, async (ctx) => {
      const { page: p, problems } = await page(ctx);
      const before = await queues.emails.getJobCounts();
      const n = 30;
      await queues.emails.addBulk(
        Array.from({ length: n }, (_, i) => ({
          task: "send-email",
          data: { to: `user${i}@example.com`, ms: 40 },
        })),
      );
      await p.goto(at(dash, "/"));
      const row = p.locator('tr[data-testid="queue-row"][data-queue="emails"]');
      await waitForText(row.getByTestId("count-waiting"), String(before.waiting + n));
      await waitForText(row.getByTestId("count-completed"), String(before.completed));
      await p.locator('body[data-live-state="open"]').waitFor({ state: "attached" });
      await p.evaluate("window.sameDocument = true");

      await startWorker();
      await waitForText(row.getByTestId("count-completed"), String(before.completed + n), 30_000);
      await waitForText(row.getByTestId("count-waiting"), String(before.waiting));
      expect(await p.evaluate("window.sameDocument"), "the page was reloaded").toBe(true);
      expect(problems).toEqual([]);
    });

    it("a failed job: its stack on the page, Retry, and the page shows it completed", SLOW, async (ctx) => {
      const { page: p, problems } = await page(ctx);
      const [id = ""] = await failedJobs("reports", "flaky", [{ what: "the weekly report" }]);
      await p.goto(at(dash, `/queues/reports/jobs/${id}`));
      await waitForText(p.getByTestId("job-state"), "failed");
      const stack = await visibleText(p.getByTestId("job-stack"));
      expect(stack).toMatch(/^Error: upstream timed out for the weekly report/);
      expect(stack).toMatch(/\n\s+at .*test\/browser\/fixtures\/tasks\.js:\d+/);

      await p.getByTestId("action-retry").click();
      // The worker runs it again; the page reloads itself on the job's events.
      await waitForText(p.getByTestId("job-state"), "completed", 30_000);
      expect(await queues.reports.getJob(id)).toMatchObject({ state: "completed", result: "recovered" });
      expect(problems).toEqual([]);
    });

    it(
      "bulk retry of dead letters: the confirmation names the count, then they leave the list",
      SLOW,
      async (ctx) => {
        const { page: p, problems } = await page(ctx);
        const files = ["orders.csv", "stock.csv", "prices.csv"].map((what) => ({ what }));
        const ids = await failedJobs("imports", "flaky", files);
        await p.goto(at(dash, "/dead?queue=imports"));
        await waitForText(p.getByTestId("dead-total"), "3 dead jobs match.");
        expect(await p.getByTestId("dead-row").count()).toBe(3);

        await p.getByTestId("bulk-retry-all").click();
        await waitForText(
          p.getByTestId("confirm-question"),
          /^This will retry 3 jobs: every .* job of queue imports\.$/,
        );
        expect(await p.getByTestId("confirm-count").getAttribute("data-count")).toBe("3");
        await p.getByTestId("confirm-submit").click();

        await waitForText(p.getByTestId("flash"), "retried 3 jobs");
        await p.getByTestId("no-dead").waitFor();
        expect(await p.getByTestId("dead-row").count()).toBe(0);
        for (const id of ids) await settled("imports", id, "completed");
        expect(problems).toEqual([]);
      },
    );

    it("pause and resume a queue from its page (the Queue API agrees)", SLOW, async (ctx) => {
      const { page: p, problems } = await page(ctx);
      await startWorker();
      const first = await queues.billing.add("send-email", { to: "billing@example.com" });
      await settled("billing", first, "completed");
      await p.goto(at(dash, "/queues/billing"));
      await waitForText(p.getByTestId("queue-status"), "running");

      await p.getByTestId("action-pause").click();
      await waitForText(p.getByTestId("flash"), /^queue billing paused/);
      await waitForText(p.getByTestId("queue-status"), "paused");
      expect(await queues.billing.isPaused()).toBe(true);
      const held = await queues.billing.add("send-email", { to: "held@example.com" });
      await waitForText(p.getByTestId("count-waiting"), "1"); // live, and not run: the queue is paused

      await p.getByTestId("action-resume").click();
      await waitForText(p.getByTestId("flash"), "queue billing resumed");
      await waitForText(p.getByTestId("queue-status"), "running");
      expect(await queues.billing.isPaused()).toBe(false);
      await settled("billing", held, "completed");
      await waitForText(p.getByTestId("count-waiting"), "0");
      expect(problems).toEqual([]);
    });

    it("a <script> payload shows as text on every page and runs nothing", SLOW, async (ctx) => {
      const { page: p, problems } = await page(ctx);
      const [id = ""] = await failedJobs("uploads", "fail", [{ file: XSS, reason: `cannot import ${XSS}` }]);
      const pages = [`/queues/uploads/jobs/${id}`, "/queues/uploads?state=failed", "/dead?queue=uploads"];
      for (const path of pages) {
        await p.goto(at(dash, path));
        expect(await visibleText(p.locator("main")), path).toContain(XSS);
        await noInjectedScript(p, path);
      }
      // The job page shows it in the data, the log, the error and the stack.
      await p.goto(at(dash, `/queues/uploads/jobs/${id}`));
      for (const testid of ["job-data", "job-logs", "job-error", "job-stack"])
        expect(await visibleText(p.getByTestId(testid)), testid).toContain(XSS);
      expect(problems).toEqual([]);
      await queues.uploads.removeJob(id);
    });

    it("refuses actions without the CSRF token, without auth, and in read-only mode", SLOW, async (ctx) => {
      const { page: p, problems } = await page(ctx);
      const [failed = ""] = await failedJobs("uploads", "fail", [{ reason: "kept for the read-only page" }]);
      await p.goto(at(dash, "/queues/billing"));
      const token = await csrfToken(p);
      const post = (d: RunningDashboard, path: string, form: Record<string, string>) =>
        p.request.post(at(d, path), { form, maxRedirects: 0 });

      // CSRF: the cookie alone (a request another site could make the browser send) is not enough.
      const noToken = await post(dash, "/queues/billing/pause", { back: "/" });
      expect(noToken.status()).toBe(403);
      expect(await noToken.text()).toMatch(/security token is missing/);
      expect((await post(dash, "/queues/billing/pause", { _csrf: "x".repeat(43) })).status()).toBe(403);
      const fromPage = await p.evaluate(
        `fetch("/queues/billing/pause", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "back=%2F" }).then((r) => r.status)`,
      );
      expect(fromPage).toBe(403);
      expect((await post(dash, "/queues/billing/resume", { _csrf: token })).status()).toBe(303); // the control

      // Auth: nothing shows or changes without the credentials.
      // (A navigation would fail: Chromium turns a Basic challenge it cannot answer into an error.)
      const denied = await p.request.get(at(authed, "/queues/billing"), { headers: { accept: "text/html" } });
      expect(denied.status()).toBe(401);
      expect(await denied.text()).not.toMatch(/billing@example\.com|Pause queue/);
      expect((await post(authed, "/queues/billing/pause", { _csrf: token })).status()).toBe(401);
      await p.setExtraHTTPHeaders({ authorization: `Basic ${Buffer.from(CREDENTIALS).toString("base64")}` });
      expect((await p.goto(at(authed, "/queues/billing")))?.status()).toBe(200); // the control
      await p.getByTestId("action-pause").waitFor();
      await p.setExtraHTTPHeaders({});

      // Read-only: no action button anywhere, and a POST with a valid token is refused.
      await p.goto(at(readOnly, "/queues/billing"));
      await p.getByTestId("read-only").waitFor();
      const readOnlyToken = await csrfToken(p);
      for (const path of ["/queues/billing", `/queues/uploads/jobs/${failed}`, "/dead", "/"]) {
        await p.goto(at(readOnly, path));
        expect(await p.locator("form[method=post], button[type=submit][formaction]").count(), path).toBe(0);
        expect(await p.locator("[data-testid^=action-], [data-testid^=bulk-]").count(), path).toBe(0);
      }
      expect(await p.getByTestId("queue-row").count()).toBeGreaterThan(0); // it shows, it does not act
      const refused = await post(readOnly, "/queues/billing/pause", { _csrf: readOnlyToken });
      expect(refused.status()).toBe(403);
      expect(await refused.text()).toMatch(/read-only/);
      const retry = await post(readOnly, `/queues/uploads/jobs/${failed}/retry`, { _csrf: readOnlyToken });
      expect(retry.status()).toBe(403);

      expect(await queues.billing.isPaused()).toBe(false);
      expect((await queues.uploads.getJob(failed))?.state).toBe("failed");
      expect(problems).toEqual([]);
      await queues.uploads.removeJob(failed);
    });

    it.runIf(backendCase.screenshots === true)(
      "saves a screenshot of each page into docs/img/",
      SLOW,
      async (ctx) => {
        const { page: p, problems } = await page(ctx);
        await startWorker();
        await takeScreenshots(p, (path) => at(dash, path), queues, failedJobs);
        expect(problems).toEqual([]);
      },
    );
  });
}

/** The page's only script is the dashboard's module (no element from the payload). */
async function noInjectedScript(p: Page, where: string): Promise<void> {
  const scripts = p.locator("script");
  expect(await scripts.count(), where).toBe(1);
  expect(await scripts.first().getAttribute("src"), where).toMatch(/\/assets\/[0-9a-f]+\/app\.js$/);
}

/** The CSRF token this browser's forms carry on the current page. */
async function csrfToken(p: Page): Promise<string> {
  const cookie = (await p.context().cookies(p.url())).find((c) => c.name === "asyncmq_csrf");
  if (!cookie) throw new Error(`no CSRF cookie on ${p.url()}`);
  return cookie.value;
}
