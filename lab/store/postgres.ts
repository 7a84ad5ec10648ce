/**
 * The local PostgreSQL the tests and benchmarks use: its URL, whether it answers, and dropping the
 * schemas they create for themselves.
 */
import pg from 'pg';

/** The PostgreSQL URL tests and benchmarks use (`XENBOOT_TEST_PG_URL`, default the local `test` database). */
export const testPostgresUrl = process.env.XENBOOT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The same database as xenboot reaches it from inside a network namespace, which has a loopback of its
 * own: through the Unix socket (`XENBOOT_TEST_PG_SOCKET_URL`).
 */
export const testPostgresSocketUrl = process.env.XENBOOT_TEST_PG_SOCKET_URL ?? 'postgres://postgres@/test?host=/var/run/postgresql';

/** True when PostgreSQL at `url` accepts a connection and answers a query within `timeoutMs`. */
export async function postgresAnswers(url = testPostgresUrl, timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops `schemas` (created by a test or a benchmark for itself), over one connection. */
export async function dropSchemas(schemas: readonly string[], url = testPostgresUrl): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
