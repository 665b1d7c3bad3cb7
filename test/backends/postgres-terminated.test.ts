/**
 * A Postgres session killed while asyncmq holds it between two statements of a transaction (a
 * server restart or pg_terminate_backend, as the chaos suite does) fails that transaction with a
 * BackendError; it never reaches the process as an unhandled 'error' event. Before the fix, pg
 * emitted it on the checked-out client with no listener: `asyncmq worker start` took it for a crash
 * in task code and stopped (seen in test/chaos, Postgres restart and connection kills).
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { Connection } from "../../src/backends/postgres/connection.js";
import { BackendError } from "../../src/errors.js";
import { dropSchema, postgresUrl, stopPostgres, testSchema } from "../support/postgres-server.js";

const schema = testSchema("terminated");

afterAll(async () => {
  await dropSchema(await postgresUrl(), schema);
  stopPostgres();
});

describe("postgres: a session killed mid-transaction", () => {
  it("fails the transaction with a BackendError, with no unhandled error event", async () => {
    const url = await postgresUrl();
    const connection = new Connection({ url, schema });
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const unheard: unknown[] = [];
    const onUncaught = (err: unknown) => unheard.push(err);
    process.on("uncaughtException", onUncaught);
    try {
      const outcome = connection.transaction(async (q) => {
        const [row] = await q<{ pid: number }>({ text: "SELECT pg_backend_pid() AS pid" }, []);
        const pid = row?.pid as number;
        await admin.query("SELECT pg_terminate_backend($1)", [pid]);
        // Between two statements while the server ends the session: wait until it is gone.
        while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount) {
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 50));
        return pid;
      });
      await expect(outcome).rejects.toBeInstanceOf(BackendError);
      expect(unheard).toEqual([]);
      // The pool still works: the dead client was destroyed, not handed out again.
      expect(
        await connection.transaction(async (q) => (await q({ text: "SELECT 1 AS one" }, [])).length),
      ).toBe(1);
    } finally {
      process.off("uncaughtException", onUncaught);
      await admin.end();
      await connection.close();
    }
  });
});
