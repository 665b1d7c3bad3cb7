// The statistics a long-lived Postgres table has: a benchmark's tables are new, and in a run of
// seconds autovacuum (which runs ANALYZE once a fifth of a table changed, looking once a minute) never
// gathers any, or does so at a random point of one run and not of another. The planner's choices
// depend on them both ways: graphile-worker over 100,000 jobs did 10.7-12.0k jobs/s without them and
// 30.2-32.1k with; asyncmq's claim (before its plan was made independent of them) 26-28k without
// and 8.9-9.1k with (docs/performance.md). So each side's tables are ANALYZEd once its jobs are in.
import pg from "pg";

/** Runs ANALYZE on every table of `schema`. */
export async function analyzeSchema(url, schema) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = $1", [schema]);
    for (const { tablename } of rows) {
      await client.query(`ANALYZE ${client.escapeIdentifier(schema)}.${client.escapeIdentifier(tablename)}`);
    }
  } finally {
    await client.end();
  }
}
