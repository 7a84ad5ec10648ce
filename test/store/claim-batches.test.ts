/**
 * Claims that arrive together: both backends commit them in groups (SQLite `GroupCommit`, PostgreSQL
 * `PostgresClaimBatcher`), and a burst must end exactly as the same claims run one after another would.
 * The PostgreSQL batcher is also held to what it is for: few statements per burst, the `mac` index used
 * on a table that grew from empty, and one bad claim failing alone.
 */
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresClaimBatcher } from '../../src/store/postgres-claims.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { Lease, Store } from '../../src/store/types.js';
import { backends, dropSchema, freshStoreEach, ensurePostgres, testPostgresUrl, uniqueSchema } from './backends.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function lease(mac: string, ip: string, expiresAt = T0 + HOUR, extra: Partial<Lease> = {}): Lease {
  return { mac, ip, state: 'bound', expiresAt, updatedAt: T0, ...extra };
}

const mac = (i: number) => `02:cb:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
const ip = (i: number) => `10.207.${(i >> 8) & 0xff}.${i & 0xff}`;

describe.each(backends)('claims in one burst end as if run one after another ($name)', (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => (store = opened));

  it('two MACs asking for one free address: the first wins, the second is refused', async () => {
    const [first, second] = await Promise.all([store.leases.claimLease(lease(mac(1), ip(10)), T0), store.leases.claimLease(lease(mac(2), ip(10)), T0)]);
    expect([first, second]).toEqual([true, false]);
    expect((await store.leases.getLeaseByIp(ip(10)))?.mac).toBe(mac(1));
  });

  it('one MAC claiming two addresses in a row keeps only the second', async () => {
    const results = await Promise.all([store.leases.claimLease(lease(mac(1), ip(10)), T0), store.leases.claimLease(lease(mac(1), ip(11)), T0)]);
    expect(results).toEqual([true, true]);
    expect(await store.leases.getLeaseByIp(ip(10))).toBeNull();
    expect((await store.leases.getLeaseByMac(mac(1)))?.ip).toBe(ip(11));
  });

  it('an expired address taken by another MAC while its old holder moves on: each keeps its new address', async () => {
    expect(await store.leases.claimLease(lease(mac(1), ip(10), T0 + 1_000), T0)).toBe(true);
    const later = T0 + 2_000;
    const results = await Promise.all([
      store.leases.claimLease(lease(mac(2), ip(10), later + HOUR), later),
      store.leases.claimLease(lease(mac(1), ip(11), later + HOUR), later),
    ]);
    expect(results).toEqual([true, true]);
    expect((await store.leases.getLeaseByIp(ip(10)))?.mac).toBe(mac(2));
    expect((await store.leases.getLeaseByIp(ip(11)))?.mac).toBe(mac(1));
  });

  it('a refused claim does not remove the MAC’s address: the old one stays', async () => {
    expect(await store.leases.claimLease(lease(mac(1), ip(10)), T0)).toBe(true);
    expect(await store.leases.claimLease(lease(mac(2), ip(11)), T0)).toBe(true);
    const results = await Promise.all([store.leases.claimLease(lease(mac(1), ip(11)), T0 + 1), store.leases.claimLease(lease(mac(3), ip(12)), T0 + 1)]);
    expect(results).toEqual([false, true]);
    expect((await store.leases.getLeaseByMac(mac(1)))?.ip).toBe(ip(10));
    expect((await store.leases.getLeaseByIp(ip(11)))?.mac).toBe(mac(2));
  });

  it('500 claims at once for distinct clients: every one stored, each on its own address', async () => {
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.leases.claimLease(lease(mac(i), ip(i + 1), T0 + HOUR, { hostname: `n${i}` }), T0)));
    expect(results.every(Boolean)).toBe(true);
    const rows = await store.leases.listLeases();
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((r) => r.mac)).size).toBe(500);
    expect((await store.leases.getLeaseByIp(ip(250)))).toMatchObject({ mac: mac(249), hostname: 'n249' });
  });
});

describe('PostgreSQL claim batches', () => {
  let schema: string;
  let pool: pg.Pool;
  beforeAll(async () => {
    await ensurePostgres();
  });
  beforeEach(async () => {
    schema = uniqueSchema();
    const store = await openPostgresStore({ url: testPostgresUrl, schema, poolSize: 1 });
    await store.close();
    pool = new pg.Pool({ connectionString: testPostgresUrl, max: 4, options: `-c search_path=${schema}` });
  });
  afterEach(async () => {
    await pool.end();
    await dropSchema(schema);
  });

  /** The table's scan counters, once the statistics collector has what the pool's sessions did. */
  async function scans(expectInserted: number): Promise<{ seq: number; index: number }> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await pool.query<{ seq_scan: string; idx_scan: string; n_tup_ins: string }>(
        `SELECT seq_scan, idx_scan, n_tup_ins FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'leases'`,
        [schema],
      );
      const row = rows[0];
      if ((row && Number(row.n_tup_ins) >= expectInserted) || Date.now() > deadline) return { seq: Number(row?.seq_scan ?? 0), index: Number(row?.idx_scan ?? 0) };
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('a burst of claims goes out as a few statements, not one per claim', async () => {
    const batcher = new PostgresClaimBatcher(pool);
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) => batcher.claim(lease(mac(i), ip(i + 1)), T0)));
    expect(results.every(Boolean)).toBe(true);
    expect(batcher.stats.claims).toBe(400);
    expect(batcher.stats.batches).toBeLessThanOrEqual(4);
    expect(batcher.stats.largest).toBe(256);
    expect(Number((await pool.query('SELECT count(*) FROM leases')).rows[0].count)).toBe(400);
  });

  it('removes a MAC’s other address through the index, not by reading the table, on a table that grew from empty', async () => {
    const batcher = new PostgresClaimBatcher(pool);
    // Grow the table from empty in bursts, as a boot storm does (plans made while it was small must not stay).
    for (let burst = 0; burst < 40; burst++) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => batcher.claim(lease(mac(burst * 100 + k), ip(burst * 100 + k + 1)), T0)));
    }
    const before = await scans(4_000);
    // Every client moves to a new address: each claim removes the client's old row.
    for (let burst = 0; burst < 20; burst++) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => batcher.claim(lease(mac(burst * 100 + k), ip(10_000 + burst * 100 + k)), T0 + 1)));
    }
    const after = await scans(6_000);
    expect(Number((await pool.query('SELECT count(*) FROM leases')).rows[0].count)).toBe(4_000);
    expect(after.seq - before.seq).toBe(0);
    expect(after.index).toBeGreaterThan(before.index);
  });

  it('one claim the database rejects fails alone; the rest of its batch is stored', async () => {
    const batcher = new PostgresClaimBatcher(pool);
    const claims = Array.from({ length: 10 }, (_, i) => batcher.claim(lease(mac(i), ip(i + 1), T0 + HOUR, i === 4 ? { hostname: 'bad\u0000name' } : {}), T0));
    const settled = await Promise.allSettled(claims);
    expect(settled[4]!.status).toBe('rejected');
    expect(String((settled[4] as PromiseRejectedResult).reason)).toMatch(/0x00|invalid byte sequence/);
    expect(settled.filter((s) => s.status === 'fulfilled' && s.value === true)).toHaveLength(9);
    expect(batcher.stats.retriedSingly).toBe(1);
    expect(Number((await pool.query('SELECT count(*) FROM leases')).rows[0].count)).toBe(9);
  });

  it('a database that cannot be reached fails every claim, and later claims still settle', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/test', max: 2, connectionTimeoutMillis: 2_000 });
    dead.on('error', () => {});
    try {
      const batcher = new PostgresClaimBatcher(dead);
      const settled = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => batcher.claim(lease(mac(i), ip(i + 1)), T0)));
      expect(settled.every((s) => s.status === 'rejected' && /ECONNREFUSED/.test(String(s.reason)))).toBe(true);
      await expect(batcher.claim(lease(mac(9), ip(9)), T0)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await dead.end();
    }
  });
});
