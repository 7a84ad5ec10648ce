/**
 * The PostgreSQL backend (`pg`), for several xenboot instances sharing leases, inventory and events.
 * `claimLease` is one statement (an upsert whose `WHERE` refuses another MAC's unexpired row, plus a
 * data-modifying CTE removing the MAC's other addresses), so the database's row lock on the address is
 * the only arbiter: two instances can never hold one address for two MACs. Claims arriving together share
 * one such statement and its commit (`PostgresClaimBatcher`, postgres-claims.ts).
 */
import pg from 'pg';
import type { BootEvent } from '../timeline/types.js';
import { createPostgresInventory } from './postgres-inventory.js';
import { createPostgresLifecycle } from './postgres-lifecycle.js';
import { migratePostgres } from './postgres-migrations.js';
import { PostgresClaimBatcher } from './postgres-claims.js';
import { eventFromData, eventParams, leaseFromRow, type LeaseRow } from './rows.js';
import type { Durability, EventLog, EventQuery, HeartbeatStore, LeaseStore, Store } from './types.js';

/** Connection settings for the PostgreSQL store. */
export interface PostgresStoreOptions {
  url: string;
  /** Schema holding xenboot's tables (created when missing); default `public`. */
  schema?: string;
  /** Maximum pooled connections. */
  poolSize?: number;
  /**
   * `process` (default): `synchronous_commit = off` for xenboot's sessions: a commit returns before the
   * WAL is flushed; it survives xenboot being killed (the database has it) and loses at most the last
   * ~0.6 s (3 × wal_writer_delay) if the database server itself crashes. `power`: `synchronous_commit = on`,
   * the commit waits for the WAL flush (PostgreSQL documentation, "Asynchronous Commit").
   */
  durability?: Durability;
}

/** Schema names are interpolated into `search_path`, so only plain identifiers are accepted. */
export const postgresSchemaPattern = /^[a-z_][a-z0-9_]{0,62}$/;

/** Connects, creates the schema if needed, migrates, and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const schema = options.schema ?? 'public';
  if (!postgresSchemaPattern.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    options: `-c search_path=${schema} -c synchronous_commit=${options.durability === 'power' ? 'on' : 'off'}`,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      // CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent one (unique violation): serialise it.
      await client.query('BEGIN');
      try {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('xenboot-create-schema'))`);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
      await migratePostgres(client);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  let closed = false;
  return {
    backend: 'postgres',
    leases: createPostgresLeases(pool),
    events: createPostgresEvents(pool),
    inventory: createPostgresInventory(pool),
    heartbeats: createPostgresHeartbeats(pool),
    lifecycle: createPostgresLifecycle(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

function createPostgresLeases(pool: pg.Pool): LeaseStore {
  const claims = new PostgresClaimBatcher(pool);
  return {
    async listLeases() {
      const { rows } = await pool.query<LeaseRow>('SELECT * FROM leases ORDER BY ip');
      return rows.map(leaseFromRow);
    },
    async getLeaseByIp(ip) {
      const { rows } = await pool.query<LeaseRow>('SELECT * FROM leases WHERE ip = $1', [ip]);
      return rows[0] ? leaseFromRow(rows[0]) : null;
    },
    async getLeaseByMac(mac) {
      const { rows } = await pool.query<LeaseRow>(
        `SELECT * FROM leases WHERE mac = $1 AND state <> 'declined' ORDER BY updated_at DESC LIMIT 1`,
        [mac],
      );
      return rows[0] ? leaseFromRow(rows[0]) : null;
    },
    claimLease: (lease, now) => claims.claim(lease, now),
    async releaseLease(mac, ip, now) {
      await pool.query(`UPDATE leases SET state = 'released', expires_at = $1, updated_at = $1 WHERE ip = $2 AND mac = $3`, [now, ip, mac]);
    },
    async pruneLeases(before) {
      const result = await pool.query('DELETE FROM leases WHERE expires_at < $1', [before]);
      return result.rowCount ?? 0;
    },
  };
}

// The upsert's new row is not visible to a second SELECT of the same statement, so it is returned apart.
const BEAT = `
  WITH mine AS (
    INSERT INTO ha_heartbeats (name, beats, at) VALUES ($1, 1, $2)
    ON CONFLICT (name) DO UPDATE SET beats = ha_heartbeats.beats + 1, at = excluded.at
    RETURNING name, beats, at
  )
  SELECT name, beats, at FROM mine UNION ALL SELECT name, beats, at FROM ha_heartbeats WHERE name <> $1`;

function createPostgresHeartbeats(pool: pg.Pool): HeartbeatStore {
  return {
    async beat(name, now) {
      const { rows } = await pool.query<{ name: string; beats: string; at: string }>({ name: 'xenboot_ha_beat', text: BEAT, values: [name, now] });
      return rows.map((r) => ({ name: r.name, beats: Number(r.beats), at: Number(r.at) }));
    },
  };
}

function createPostgresEvents(pool: pg.Pool): EventLog {
  const appendEvents = async (events: BootEvent[]) => {
    // Multi-row INSERTs: one round trip per 500 events (PostgreSQL allows 65535 parameters), order kept by id.
    for (let start = 0; start < events.length; start += 500) {
      const values: unknown[] = [];
      const tuples = events.slice(start, start + 500).map((event, i) => {
        values.push(...eventParams(event));
        const b = i * 5;
        return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
      });
      await pool.query(`INSERT INTO events (at, mac, ip, kind, data) VALUES ${tuples.join(', ')}`, values);
    }
  };
  return {
    async appendEvent(event) {
      await appendEvents([event]);
    },
    appendEvents,
    async listEvents(query: EventQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(`${sql} $${params.length}`);
      };
      if (query.mac !== undefined) add('mac =', query.mac);
      if (query.ip !== undefined) add('ip =', query.ip);
      if (query.since !== undefined) add('at >=', query.since);
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      params.push(query.limit ?? 1000);
      const { rows } = await pool.query<{ data: object }>(
        `SELECT data FROM (SELECT id, at, data FROM events ${filter} ORDER BY at DESC, id DESC LIMIT $${params.length}) AS newest ORDER BY at, id`,
        params,
      );
      return rows.map((r) => eventFromData(r.data));
    },
    async pruneEvents({ before, keepPerMachine }) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const aged = await client.query('DELETE FROM events WHERE at < $1', [before]);
        const counted = await client.query(
          `DELETE FROM events WHERE id IN (
             SELECT id FROM (
               SELECT id, ROW_NUMBER() OVER (PARTITION BY COALESCE(mac, ip, '') ORDER BY at DESC, id DESC) AS n FROM events
             ) AS ranked WHERE n > $1)`,
          [keepPerMachine],
        );
        await client.query('COMMIT');
        return (aged.rowCount ?? 0) + (counted.rowCount ?? 0);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
}
