/**
 * A tiny HTTP client for dashboard tests: it keeps cookies as a browser would (so the CSRF cookie
 * and the login session travel), reads the CSRF token out of a page's forms, and never follows
 * redirects (tests check the 303 and its flash). Plus the fixtures that put jobs in each state.
 */
import type { Backend, JobError } from "../../src/backends/backend.js";

export class Client {
  readonly cookies = new Map<string, string>();

  constructor(
    /** The server's origin plus base path, without trailing slash: `http://127.0.0.1:PORT/admin`. */
    readonly base: string,
    readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (this.cookies.size > 0)
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(`${this.base}${path}`, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** GET a page; returns status and body text. */
  async page(path: string): Promise<{ status: number; html: string; res: Response }> {
    const res = await this.request(path, { headers: { accept: "text/html" } });
    return { status: res.status, html: await res.text(), res };
  }

  /** The CSRF token the dashboard's forms carry for this client (from a form, else the cookie they copy). */
  async csrf(path = "/dead"): Promise<string> {
    const { html } = await this.page(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? this.cookies.get("asyncmq_csrf");
    if (!token) throw new Error(`no CSRF token for the page at ${path}`);
    return token;
  }

  /** POST a form; `csrf: true` (default) adds this client's token. */
  async post(
    path: string,
    fields: Record<string, string | string[]> = {},
    options: { csrf?: boolean | string } = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    const csrf = options.csrf ?? true;
    if (csrf === true) body.set("_csrf", await this.csrf());
    else if (typeof csrf === "string") body.set("_csrf", csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
  }
}

export const XSS = "<script>alert(1)</script>";

/** Claims the waiting job `id` and ends its attempt as `failed` with `error`, or `completed` with `result`. */
async function finishJob(
  backend: Backend,
  queue: string,
  id: string,
  end: { error: JobError } | { result: unknown },
): Promise<void> {
  const now = Date.now();
  const [job] = await backend.claim(queue, { workerId: "w-test", limit: 1, leaseMs: 30_000, now, jobId: id });
  if (!job) throw new Error(`job ${id} of ${queue} could not be claimed`);
  const token = job.token;
  const finish =
    "error" in end
      ? { kind: "failed" as const, jobId: id, token, error: end.error }
      : { kind: "completed" as const, jobId: id, token, resultJson: JSON.stringify(end.result) };
  const [ok] = await backend.finish(queue, [finish], now);
  if (!ok) throw new Error(`job ${id} of ${queue} could not be finished`);
}

export const failJob = (backend: Backend, queue: string, id: string, error: JobError) =>
  finishJob(backend, queue, id, { error });

export const completeJob = (backend: Backend, queue: string, id: string, result: unknown) =>
  finishJob(backend, queue, id, { result });

/** Reads server-sent events from a streaming response until `want` accepts one; rejects after `ms`. */
export async function nextEvent(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  buffer: { text: string },
  want: (event: string, data: unknown) => boolean,
  ms = 5000,
): Promise<unknown> {
  const decoder = new TextDecoder();
  const deadline = Date.now() + ms;
  for (;;) {
    let end = buffer.text.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) {
        const parsed: unknown = JSON.parse(data);
        if (want(event, parsed)) return parsed;
      }
      end = buffer.text.indexOf("\n\n");
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no matching server-sent event within ${ms} ms`);
    let timer: NodeJS.Timeout | undefined;
    const chunk = await Promise.race([
      reader.read(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no matching server-sent event within ${ms} ms`)), left);
      }),
    ]).finally(() => clearTimeout(timer));
    if (chunk.done) throw new Error("the event stream ended");
    buffer.text += decoder.decode(chunk.value, { stream: true });
  }
}
