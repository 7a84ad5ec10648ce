import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresMigrations } from '../../src/store/postgres-migrations.js';
import { silentLogger } from '../../src/log.js';
import { openStore, redactUrl } from '../../src/store/open.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { startProcess } from '../../lab/process.js';
import { repoRoot } from '../../lab/xenboot.js';
import { dropSchema, ensurePostgres, testPostgresUrl, uniqueSchema } from './backends.js';

const dir = mkdtempSync(join(tmpdir(), 'xenboot-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { path: join(dir, 'x.db'), schema: 'public', poolSize: 2, pollSeconds: 0, durability: 'process' } as const;

describe('openStore', () => {
  it('opens SQLite at store.path (creating directories) and memory stores; both answer ping', async () => {
    const file = await openStore({ ...base, kind: 'sqlite', path: join(dir, 'sub', 'dir', 'xenboot.db') }, silentLogger());
    expect(file.backend).toBe('sqlite');
    await file.ping();
    await file.close();
    await file.close();
    const memory = await openStore({ ...base, kind: 'memory' }, silentLogger());
    await memory.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'g' } }]);
    expect(await memory.inventory.list('groups')).toEqual([{ name: 'g' }]);
    await memory.close();
  });

  it('opens PostgreSQL in the configured schema', async () => {
    await ensurePostgres();
    const schema = uniqueSchema();
    try {
      const store = await openStore({ ...base, kind: 'postgres', url: testPostgresUrl, schema }, silentLogger());
      expect(store.backend).toBe('postgres');
      await store.ping();
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });

  it('fails clearly on an unreachable PostgreSQL or a bad schema name', async () => {
    await expect(openStore({ ...base, kind: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none' }, silentLogger())).rejects.toThrow(/ECONNREFUSED/);
    await expect(openStore({ ...base, kind: 'postgres', url: testPostgresUrl, schema: 'x; drop' }, silentLogger())).rejects.toThrow(/schema name/);
    await expect(openStore({ ...base, kind: 'postgres' }, silentLogger())).rejects.toThrow(/store.url/);
  });

  it('redacts passwords in logged URLs', () => {
    expect(redactUrl('postgres://u:secret@db:5432/x')).toBe('postgres://u:***@db:5432/x');
    expect(redactUrl('postgres://u@/x?host=/run/postgresql&password=secret')).toBe('postgres://u@/x?host=/run/postgresql&password=***');
    expect(redactUrl('postgres://u@db/x')).toBe('postgres://u@db/x');
  });

  it('SQLite: a lease whose claim resolved survives kill -9 of the process', async () => {
    const path = join(dir, 'crash.db');
    const worker = startProcess(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'store', 'sqlite-crash-worker.ts'), path, '20'], {
      cwd: repoRoot,
    });
    try {
      await worker.waitFor(/claimed 10\.204\.3\.20\n/, 30_000);
    } finally {
      await worker.stop('SIGKILL');
    }
    const store = openSqliteStore(path);
    const leases = await store.leases.listLeases();
    await store.close();
    expect(leases.length).toBe(20);
  });
});

describe('migrations', () => {
  it('SQLite: refuses a database from a newer xenboot instead of using it', async () => {
    const path = join(dir, 'newer.db');
    const store = openSqliteStore(path);
    await store.close();
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const raw = new BetterSqlite3(path);
    raw.pragma('user_version = 99');
    raw.close();
    expect(() => openSqliteStore(path)).toThrow(/schema version 99 is newer than this xenboot/);
  });

  it('PostgreSQL: two instances opening a fresh schema at once migrate it once; a newer schema is refused', async () => {
    await ensurePostgres();
    const schema = uniqueSchema();
    try {
      const [a, b] = await Promise.all([0, 1].map(() => openStore({ ...base, kind: 'postgres', url: testPostgresUrl, schema }, silentLogger())));
      await a!.close();
      await b!.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: testPostgresUrl });
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT version FROM ${schema}.xenboot_migrations ORDER BY version`);
        expect(rows.map((r: { version: number }) => r.version)).toEqual(postgresMigrations.map((_, i) => i + 1));
        await client.query(`INSERT INTO ${schema}.xenboot_migrations (version, applied_at) VALUES (99, 0)`);
      } finally {
        await client.end();
      }
      await expect(openStore({ ...base, kind: 'postgres', url: testPostgresUrl, schema }, silentLogger())).rejects.toThrow(/schema version 99 is newer/);
    } finally {
      await dropSchema(schema);
    }
  });
});
