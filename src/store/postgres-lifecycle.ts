/**
 * The boot lifecycle in PostgreSQL: one row per host, written by a conditional `UPDATE … WHERE version =`
 * (or an `INSERT … ON CONFLICT DO NOTHING` for the first version) in a transaction that also appends the
 * audit events and bumps `lifecycle_revision`. The row lock of the update is the arbiter between
 * instances: of two racing writers of one version, exactly one changes a row; the other sees zero rows and
 * reads again.
 */
import type pg from 'pg';
import type { BootEvent } from '../timeline/types.js';
import { eventParams } from './rows.js';
import type { LifecycleRow, LifecycleStore } from './types.js';

interface Row {
  mac: string;
  version: string | number;
  doc: Record<string, unknown>;
  updated_at: string | number;
}

const fromRow = (row: Row): LifecycleRow => ({ mac: row.mac, version: Number(row.version), doc: row.doc, updatedAt: Number(row.updated_at) });

async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

async function appendAudit(client: pg.PoolClient, events: readonly BootEvent[]): Promise<void> {
  for (const event of events) await client.query('INSERT INTO events (at, mac, ip, kind, data) VALUES ($1, $2, $3, $4, $5)', eventParams(event));
}

/** The lifecycle table of a PostgreSQL pool. */
export function createPostgresLifecycle(pool: pg.Pool): LifecycleStore {
  return {
    async list() {
      const { rows } = await pool.query<Row>('SELECT * FROM lifecycle ORDER BY mac');
      return rows.map(fromRow);
    },
    async get(mac) {
      const { rows } = await pool.query<Row>('SELECT * FROM lifecycle WHERE mac = $1', [mac]);
      return rows[0] ? fromRow(rows[0]) : null;
    },
    async put(row, audit) {
      return inTransaction(pool, async (client) => {
        const result =
          row.version === 1
            ? await client.query('INSERT INTO lifecycle (mac, version, doc, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (mac) DO NOTHING', [row.mac, row.version, row.doc, row.updatedAt])
            : await client.query('UPDATE lifecycle SET version = $1, doc = $2, updated_at = $3 WHERE mac = $4 AND version = $5', [row.version, row.doc, row.updatedAt, row.mac, row.version - 1]);
        if (result.rowCount !== 1) return false;
        await client.query(`UPDATE store_meta SET value = value + 1 WHERE key = 'lifecycle_revision'`);
        await appendAudit(client, audit);
        return true;
      });
    },
    async audit(events) {
      if (events.length === 0) return;
      await inTransaction(pool, (client) => appendAudit(client, events));
    },
    async revision() {
      const { rows } = await pool.query<{ value: string }>(`SELECT value FROM store_meta WHERE key = 'lifecycle_revision'`);
      return Number(rows[0]?.value ?? 0);
    },
    async sharedSecret(name, create) {
      await pool.query('INSERT INTO store_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, create()]);
      const { rows } = await pool.query<{ value: string }>('SELECT value FROM store_secrets WHERE name = $1', [name]);
      return rows[0]!.value;
    },
  };
}
