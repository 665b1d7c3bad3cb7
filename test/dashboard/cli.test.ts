/**
 * `asyncmq dashboard` usage errors exit 2 with one line, before anything listens. (Serving until a
 * signal is covered by the browser tests, which run the command.)
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/program.js";

afterEach(() => {
  vi.restoreAllMocks();
  delete process.env.ASYNCMQ_DASHBOARD_AUTH;
  delete process.env.ASYNCMQ_DASHBOARD_TOKEN;
});

async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await main(["dashboard", "--backend", "memory://", ...args]);
  return { code, stderr };
}

describe("asyncmq dashboard", () => {
  it("exits 2 when both --auth and --token are given", async () => {
    const { code, stderr } = await run("--auth", "a:b", "--token", "abcdefghij");
    expect(code).toBe(2);
    expect(stderr).toMatch(/give --auth or --token, not both/);
  });

  it("exits 2 when ASYNCMQ_DASHBOARD_AUTH and ASYNCMQ_DASHBOARD_TOKEN are both set", async () => {
    process.env.ASYNCMQ_DASHBOARD_AUTH = "a:b";
    process.env.ASYNCMQ_DASHBOARD_TOKEN = "abcdefghij";
    const { code, stderr } = await run();
    expect(code).toBe(2);
    expect(stderr).toMatch(/not both/);
  });

  it("exits 2 for a bad port", async () => {
    for (const port of ["70000", "-1", "x"]) {
      const { code, stderr } = await run("--port", port);
      expect(code, port).toBe(2);
      expect(stderr.split("\n").filter(Boolean)).toHaveLength(1);
    }
  });

  it("exits 2, saying why, for a non-loopback host without auth", async () => {
    const { code, stderr } = await run("--host", "0.0.0.0", "--port", "0");
    expect(code).toBe(2);
    expect(stderr).toMatch(/refusing to serve the dashboard on 0\.0\.0\.0 without authentication/);
  });
});
