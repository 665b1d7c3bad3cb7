/**
 * The dashboard over HTTP, against a real server on port 0 and a real backend: every page renders
 * with data, payloads are escaped, actions go through CSRF, read-only and the Queue API, bulk
 * actions confirm with a count, live counts arrive over SSE. Run per backend (memory, SQLite,
 * Redis, Postgres: *.test.ts beside this file).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backends/backend.js";
import { type RunningDashboard, startDashboard } from "../../src/dashboard/server.js";
import { Queue } from "../../src/queue.js";
import { task, unregisterTask } from "../../src/task.js";
import { Worker } from "../../src/worker/worker.js";
import { nextEvents, uniqueQueue } from "../helpers.js";
import { Client, completeJob, failJob, nextEvent, XSS } from "./helpers.js";

const ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;";

export function dashboardSuite(label: string, makeBackend: () => Backend | Promise<Backend>): void {
  describe(`dashboard (${label})`, () => {
    let backend: Backend;
    let server: RunningDashboard;
    let readOnly: RunningDashboard;
    let client: Client;

    beforeAll(async () => {
      backend = await makeBackend();
      server = await startDashboard({ backend, port: 0 });
      readOnly = await startDashboard({ backend, port: 0, readOnly: true });
      client = new Client(server.url.replace(/\/$/, ""));
    });
    afterAll(async () => {
      await server.close();
      await readOnly.close();
      await backend.close();
    });

    /** A queue with a waiting, a delayed, a failed (XSS in data, log and error) and a completed job. */
    async function populated() {
      const name = uniqueQueue("dash");
      const q = new Queue(name, { backend });
      const waiting = await q.add("send", { to: "ada@example.com" });
      const delayed = await q.add("send", { later: true }, { delay: "1h" });
      const failed = await q.add("explode", { payload: XSS });
      await backend.addLog(name, failed, `log line ${XSS}`);
      await failJob(backend, name, failed, {
        name: "Error",
        message: `boom ${XSS}`,
        stack: `Error: boom\n    at ${XSS}`,
      });
      const done = await q.add("send", { n: 1 });
      await completeJob(backend, name, done, { sent: XSS });
      const child = await q.add("child", {}, { dependsOn: [waiting] });
      return { name, q, waiting, delayed, failed, done, child };
    }

    it("renders every page with data (overview, queue, job, repeatables, dead letters, metrics, JSON)", async () => {
      const { name, q, waiting, failed, child } = await populated();
      await q.upsertRepeatable({ id: "nightly", task: "send", every: "1d", data: { report: true } });

      const overview = await client.page("/");
      expect(overview.status).toBe(200);
      expect(overview.html).toContain(`data-queue="${name}"`);
      expect(overview.html).toMatch(
        new RegExp(`data-queue="${name}" data-state="failed" data-testid="count-failed">1<`),
      );

      const queuePage = await client.page(`/queues/${name}`);
      expect(queuePage.status).toBe(200);
      for (const id of [waiting, failed, child]) expect(queuePage.html).toContain(`data-job-id="${id}"`);
      const failedTab = await client.page(`/queues/${name}?state=failed`);
      expect(failedTab.html).toContain(`data-job-id="${failed}"`);
      expect(failedTab.html).not.toContain(`data-job-id="${waiting}"`);
      const byTask = await client.page(`/queues/${name}?task=explode`);
      expect(byTask.html).toContain(`data-job-id="${failed}"`);
      expect(byTask.html).not.toContain(`data-job-id="${waiting}"`);
      const byId = await client.request(`/queues/${name}?id=${failed}`);
      expect(byId.status).toBe(302);
      expect(byId.headers.get("location")).toBe(`/queues/${name}/jobs/${failed}`);

      const jobPage = await client.page(`/queues/${name}/jobs/${failed}`);
      expect(jobPage.status).toBe(200);
      expect(jobPage.html).toContain('data-testid="job-state">failed<');
      expect(jobPage.html).toContain("Error: boom");
      expect(jobPage.html).toContain('data-testid="job-stack"');
      expect(jobPage.html).toContain("log line");
      expect(jobPage.html).toContain('data-testid="action-retry"');
      // Enqueued by name from a process without the task: its limit is the worker's task's, so
      // neither the stored placeholder ("1 of 1") nor the internal inherit list is shown.
      expect(jobPage.html).toMatch(/data-testid="job-attempts">1 \(at most 1 \+ the retries of task/);
      expect(jobPage.html).not.toContain("inherit");
      const parent = await client.page(`/queues/${name}/jobs/${waiting}`);
      expect(parent.html).toMatch(
        new RegExp(`data-testid="job-children"><li><a href="/queues/${name}/jobs/${child}"`),
      );
      const childPage = await client.page(`/queues/${name}/jobs/${child}`);
      expect(childPage.html).toMatch(
        new RegExp(`data-testid="job-parents"><li><a href="/queues/${name}/jobs/${waiting}"`),
      );

      const repeatables = await client.page(`/queues/${name}/repeatables`);
      expect(repeatables.status).toBe(200);
      expect(repeatables.html).toContain('data-repeatable="nightly"');
      expect(repeatables.html).toContain("every 1d");

      const dead = await client.page(`/dead?queue=${name}`);
      expect(dead.status).toBe(200);
      expect(dead.html).toContain(`data-job-id="${failed}"`);
      expect(dead.html).toContain('data-testid="dead-total" data-count="1">1 dead job matches.');

      const metrics = await client.request("/metrics");
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toContain("text/plain");
      expect(await metrics.text()).toContain(`asyncmq_queue_jobs{queue="${name}",state="failed"} 1`);

      const api = (await (await client.request(`/api/queues/${name}`)).json()) as {
        counts: Record<string, number>;
      };
      expect(api.counts).toMatchObject({
        waiting: 1,
        delayed: 1,
        failed: 1,
        completed: 1,
        "waiting-children": 1,
      });
      const job = (await (await client.request(`/api/queues/${name}/jobs/${failed}`)).json()) as {
        logs: string[];
      };
      expect(job.logs).toEqual([`log line ${XSS}`]);
    });

    it("shows throughput from the recorded metrics after a worker ran jobs", async () => {
      const name = uniqueQueue("dash-metrics");
      const taskName = `${name}-ok`;
      task(taskName, { queue: name }, () => "ok");
      const q = new Queue(name, { backend });
      const done = nextEvents("job:completed", name, 3);
      await q.addBulk([{ task: taskName }, { task: taskName }, { task: taskName }]);
      const worker = new Worker(name, { backend, concurrency: 3 });
      await worker.start();
      await done;
      await worker.stop();
      unregisterTask(taskName);

      const series = (await (await client.request(`/api/metrics?range=1h&queue=${name}`)).json()) as {
        time: number[];
        completed: number[];
        runP95: Array<number | null>;
      };
      expect(series.time.length).toBeGreaterThanOrEqual(60);
      expect(series.completed.reduce((a, b) => a + b, 0)).toBe(3);
      expect(series.runP95.some((v) => v !== null)).toBe(true);
      const [summary] = (
        (await (await client.request("/api/queues")).json()) as Array<{
          name: string;
          completedPerSec: number;
        }>
      ).filter((s) => s.name === name);
      expect(summary?.completedPerSec).toBeGreaterThan(0);
      const day = await client.request(`/api/metrics?range=24h&queue=${name}`);
      expect(((await day.json()) as { time: number[] }).time.length).toBeGreaterThanOrEqual(1440);
      expect((await client.request("/api/metrics?range=1y")).status).toBe(400);
    });

    it("renders job data, logs, errors, results and queue names as text, never markup", async () => {
      const { name, failed, done } = await populated();
      const pages = [
        `/queues/${name}`,
        `/queues/${name}?state=failed`,
        `/queues/${name}/jobs/${failed}`,
        `/queues/${name}/jobs/${done}`,
        `/dead?queue=${name}`,
      ];
      for (const path of pages) {
        const { html } = await client.page(path);
        expect(html, path).not.toContain(XSS);
        expect(html, path).toContain(ESCAPED);
      }
      const evil = `q-<img src=x onerror=alert(1)>-${Date.now()}`;
      await new Queue(evil, { backend }).add("t", {});
      const overview = await client.page("/");
      expect(overview.html).not.toContain("<img src=x");
      expect(overview.html).toContain("&lt;img src=x onerror=alert(1)&gt;");
      await new Queue(evil, { backend }).obliterate({ force: true });
    });

    it("sends the strict Content-Security-Policy and the other headers on every response", async () => {
      const { html } = await client.page("/");
      const asset = /<script type="module" src="([^"]+)"/.exec(html)?.[1] as string;
      for (const path of [
        "/",
        "/dead",
        "/api/queues",
        "/metrics",
        "/queues/no-such-queue",
        asset.replace(/^/, ""),
      ]) {
        const res = await client.request(path);
        await res.arrayBuffer();
        expect(res.headers.get("content-security-policy"), path).toBe(
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
        expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
        expect(res.headers.get("referrer-policy"), path).toBe("no-referrer");
      }
      const script = await client.request(asset);
      expect(script.status).toBe(200);
      expect(script.headers.get("cache-control")).toContain("immutable");
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(html).not.toMatch(/\sstyle=/);
    });

    it("refuses a POST without the CSRF token, or with a wrong one (403), and changes nothing", async () => {
      const { name, q, failed } = await populated();
      const none = await client.post(`/queues/${name}/pause`, {}, { csrf: false });
      expect(none.status).toBe(403);
      const wrong = await client.post(`/queues/${name}/pause`, {}, { csrf: "x".repeat(43) });
      expect(wrong.status).toBe(403);
      const stranger = new Client(client.base);
      const foreign = await stranger.post(
        `/queues/${name}/jobs/${failed}/remove`,
        {},
        { csrf: await client.csrf() },
      );
      expect(foreign.status).toBe(403);
      expect(await q.isPaused()).toBe(false);
      expect(await q.getJob(failed)).not.toBeNull();

      const ok = await client.post(`/queues/${name}/pause`);
      expect(ok.status).toBe(303);
      expect(ok.headers.get("location")).toBe(`/queues/${name}`);
      expect(await q.isPaused()).toBe(true);
      const after = await client.page(`/queues/${name}`);
      expect(after.html).toMatch(/data-testid="flash" data-kind="ok">queue .* paused/);
      expect(after.html).toContain('data-testid="action-resume"');
      await client.post(`/queues/${name}/resume`);
      expect(await q.isPaused()).toBe(false);
    });

    it("changes nothing on a GET to an action path", async () => {
      const { name, q, failed, delayed } = await populated();
      for (const path of [
        `/queues/${name}/pause`,
        `/queues/${name}/drain`,
        `/queues/${name}/jobs/${failed}/remove`,
        `/queues/${name}/jobs/${failed}/retry`,
        `/queues/${name}/jobs/${delayed}/promote`,
        "/dead/bulk?op=remove&scope=all&expected=100",
      ]) {
        const res = await client.request(path);
        expect(res.status, path).toBe(404);
      }
      expect(await q.isPaused()).toBe(false);
      expect((await q.getJob(failed))?.state).toBe("failed");
      expect((await q.getJob(delayed))?.state).toBe("delayed");
      expect((await q.getJobCounts()).waiting).toBe(1);
    });

    it("refuses every action in read-only mode (403) and renders none", async () => {
      const { name, q, failed } = await populated();
      const ro = new Client(readOnly.url.replace(/\/$/, ""));
      const page = await ro.page(`/queues/${name}/jobs/${failed}`);
      expect(page.status).toBe(200);
      expect(page.html).toContain('data-testid="read-only"');
      expect(page.html).not.toContain('data-testid="action-retry"');
      expect((await ro.page(`/queues/${name}`)).html).not.toContain('method="post"');
      expect((await ro.page(`/dead?queue=${name}`)).html).not.toContain('method="post"');
      // No form carries the token here; the cookie still does, as a browser would have it.
      const csrf = ro.cookies.get("asyncmq_csrf") as string;
      expect(csrf).toMatch(/^[\w-]{43}$/);
      for (const path of [`/queues/${name}/pause`, `/queues/${name}/jobs/${failed}/retry`, "/dead/bulk"]) {
        const res = await ro.post(path, { op: "retry", scope: "all", expected: "10" }, { csrf });
        expect(res.status, path).toBe(403);
      }
      expect(await q.isPaused()).toBe(false);
      expect((await q.getJob(failed))?.state).toBe("failed");
    });

    it("retries, cancels, promotes and removes a job through the Queue API, with a flash message", async () => {
      const { name, q, failed, delayed, waiting } = await populated();
      let res = await client.post(`/queues/${name}/jobs/${failed}/retry`);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/queues/${name}/jobs/${failed}`);
      expect((await q.getJob(failed))?.state).toBe("waiting");
      expect((await client.page(`/queues/${name}/jobs/${failed}`)).html).toContain(`job ${failed} retried`);

      res = await client.post(`/queues/${name}/jobs/${delayed}/promote`);
      expect((await q.getJob(delayed))?.state).toBe("waiting");

      res = await client.post(`/queues/${name}/jobs/${waiting}/cancel`);
      expect((await q.getJob(waiting))?.state).toBe("cancelled");
      res = await client.post(`/queues/${name}/jobs/${waiting}/cancel`);
      expect(res.status).toBe(303);
      expect((await client.page(`/queues/${name}/jobs/${waiting}`)).html).toMatch(
        /data-kind="error">job \S+ is cancelled, so it was not cancelled/,
      );

      res = await client.post(`/queues/${name}/jobs/${failed}/remove`);
      expect(res.headers.get("location")).toBe(`/queues/${name}`);
      expect(await q.getJob(failed)).toBeNull();
      expect((await client.page(`/queues/${name}/jobs/${failed}`)).status).toBe(404);
    });

    it("adds a job from the form, and shows invalid JSON or a bad task name as a message", async () => {
      const { name, q } = await populated();
      const bad = await client.post(`/queues/${name}/add`, { task: "send", data: "{not json" });
      expect(bad.status).toBe(400);
      const badHtml = await bad.text();
      expect(badHtml).toContain('data-testid="add-job-error">Data is not valid JSON');
      expect(badHtml).toContain("{not json</textarea>");
      const badTask = await client.post(`/queues/${name}/add`, { task: "a:b", data: "{}" });
      expect(badTask.status).toBe(400);
      expect(await badTask.text()).toContain("contains &quot;:&quot;");

      const ok = await client.post(`/queues/${name}/add`, {
        task: "send",
        data: '{"to":"bo@example.com"}',
        delay: "5m",
      });
      expect(ok.status).toBe(303);
      const id = (ok.headers.get("location") ?? "").split("/").pop() as string;
      const job = await q.getJob(decodeURIComponent(id));
      expect(job).toMatchObject({ task: "send", data: { to: "bo@example.com" }, state: "delayed" });

      const badGrace = await client.post(`/queues/${name}/confirm`, {
        op: "clean",
        state: "completed",
        grace: "soon",
      });
      expect(badGrace.status).toBe(303);
      expect((await client.page(`/queues/${name}`)).html).toMatch(/data-kind="error">the duration must be/);
    });

    it("drains and cleans a queue after a confirmation page that names the count", async () => {
      const { name, q } = await populated();
      const confirm = await client.post(`/queues/${name}/confirm`, { op: "drain" });
      expect(confirm.status).toBe(200);
      expect(await confirm.text()).toContain('data-testid="confirm-count" data-count="1"');
      expect((await q.getJobCounts()).waiting).toBe(1);
      const drained = await client.post(`/queues/${name}/drain`);
      expect(drained.status).toBe(303);
      expect((await q.getJobCounts()).waiting).toBe(0);

      const cleanConfirm = await client.post(`/queues/${name}/confirm`, {
        op: "clean",
        state: "completed",
        grace: "0",
      });
      expect(await cleanConfirm.text()).toContain('data-count="1"');
      await client.post(`/queues/${name}/clean`, { state: "completed", grace: "0", expected: "1" });
      expect((await q.getJobCounts()).completed).toBe(0);
    });

    it("bulk-retries dead letters after a confirmation naming how many, selected or all", async () => {
      const name = uniqueQueue("dash-bulk");
      const q = new Queue(name, { backend });
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await q.add("explode", { i });
        await failJob(backend, name, id, { name: "Error", message: `failure ${i}` });
        ids.push(id);
      }
      const [a, b] = ids as [string, string];
      const selected = await client.post("/dead/confirm", {
        do: "retry-selected",
        job: [`${name}:${a}`, `${name}:${b}`],
      });
      expect(selected.status).toBe(200);
      const selectedHtml = await selected.text();
      expect(selectedHtml).toContain('data-count="2"');
      expect(selectedHtml).toContain("This will retry 2 selected jobs.");
      expect((await q.getJobCounts()).failed).toBe(4);
      let res = await client.post("/dead/bulk", { op: "retry", job: [`${name}:${a}`, `${name}:${b}`] });
      expect(res.status).toBe(303);
      expect((await q.getJobCounts()).failed).toBe(2);

      const all = await client.post("/dead/confirm", { do: "retry-all", queue: name });
      const allHtml = await all.text();
      expect(allHtml).toContain('data-count="2"');
      expect(allHtml).toContain(
        `This will retry 2 jobs: every failed, expired and cancelled job of queue ${name}.`,
      );
      const fields = [...allHtml.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)]
        .filter((m) => m[1] !== "_csrf")
        .map((m) => [m[1] as string, (m[2] as string).replace(/&amp;/g, "&")]);
      res = await client.post("/dead/bulk", Object.fromEntries(fields));
      expect(res.status).toBe(303);
      expect((await q.getJobCounts()).failed).toBe(0);
      expect((await q.getJobCounts()).waiting).toBe(4);
      expect((await client.page(res.headers.get("location") ?? "")).html).toContain("retried 2 jobs");

      for (const id of ids.slice(0, 2)) {
        const job = await q.getJob(id);
        if (job) await failJob(backend, name, id, { name: "Error", message: "again" });
      }
      const removeAll = await client.post("/dead/confirm", {
        do: "remove-all",
        queue: name,
        state: "failed",
      });
      expect(await removeAll.text()).toContain('data-count="2"');
      await client.post("/dead/bulk", {
        op: "remove",
        scope: "all",
        queue: name,
        state: "failed",
        expected: "2",
      });
      expect((await q.getJobCounts()).failed).toBe(0);
      expect(await q.getJob(ids[0] as string)).toBeNull();
    });

    it("pauses, resumes and removes a repeatable", async () => {
      const name = uniqueQueue("dash-rep");
      const q = new Queue(name, { backend });
      await q.upsertRepeatable({ id: "tick", task: "t", every: "1h" });
      await client.post(`/queues/${name}/repeatables/tick/pause`);
      expect((await q.listRepeatables())[0]?.paused).toBe(true);
      await client.post(`/queues/${name}/repeatables/tick/resume`);
      expect((await q.listRepeatables())[0]?.paused).toBe(false);
      await client.post(`/queues/${name}/repeatables/tick/remove`);
      expect(await q.listRepeatables()).toEqual([]);
      const missing = await client.post(`/queues/${name}/repeatables/tick/pause`);
      expect(missing.status).toBe(303);
      expect((await client.page(`/queues/${name}/repeatables`)).html).toContain('data-kind="error">queue');
    });

    it("answers 404 for an unknown queue, job or path", async () => {
      const { name } = await populated();
      expect((await client.page("/queues/no-such-queue-at-all")).status).toBe(404);
      expect((await client.page(`/queues/${name}/jobs/no-such-job`)).status).toBe(404);
      expect((await client.page("/queues/no-such-queue-at-all/repeatables")).status).toBe(404);
      expect((await client.page("/nothing/here")).html).toContain('data-testid="not-found"');
      expect((await client.request("/api/queues/no-such-queue-at-all")).status).toBe(404);
    });

    it("pushes fresh counts over server-sent events within a second when another Queue (connection) adds a job", async () => {
      const name = uniqueQueue("dash-live");
      const q = new Queue(name, { backend });
      await q.add("t", {});
      const res = await client.request(`/api/events?queue=${name}`);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const buffer = { text: "" };
      const isCounts = (waiting: number) => (event: string, data: unknown) =>
        event === "counts" && (data as { counts: { waiting: number } }).counts.waiting === waiting;
      await nextEvent(reader, buffer, isCounts(1));
      // Where the engine shares storage between processes, the change comes through another
      // connection, as from another process; the memory engine has only this one.
      const elsewhere = backend.capabilities.multiProcess ? await makeBackend() : backend;
      const other = new Queue(name, { backend: elsewhere });
      try {
        const started = Date.now();
        await other.add("t", {});
        await nextEvent(reader, buffer, isCounts(2), 2000);
        expect(Date.now() - started).toBeLessThan(1000);
        await other.pause();
        await nextEvent(reader, buffer, (e, d) => e === "counts" && (d as { paused: boolean }).paused);
      } finally {
        await reader.cancel();
        if (elsewhere !== backend) await elsewhere.close();
      }
    });
  });
}
