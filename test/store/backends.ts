/**
 * Every store test runs against both backends. SQLite gets a fresh file in a temporary directory;
 * PostgreSQL gets a fresh schema in the database named by `XENBOOT_TEST_PG_URL` (default
 * `postgres://postgres@127.0.0.1:5432/test`), dropped again afterwards. When PostgreSQL is down, the
 * cluster is started (`pg_ctlcluster --skip-systemctl-redirect <version> main start`).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { afterEach, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { runCommand } from '../../lab/process.js';
import { dropSchemas, postgresAnswers, testPostgresUrl } from '../../lab/store/postgres.js';

/** The PostgreSQL URL the tests use. */
export { testPostgresUrl };

let ready: Promise<void> | null = null;

/** Resolves when PostgreSQL answers, starting the local cluster if needed (bounded: ~20 s). Throws loudly otherwise. */
export function ensurePostgres(url = testPostgresUrl): Promise<void> {
  ready ??= (async () => {
    if (await postgresAnswers(url)) return;
    let versions: string[] = [];
    try {
      versions = readdirSync('/etc/postgresql');
    } catch {
      throw new Error(`PostgreSQL at ${url} is down and no local cluster exists (/etc/postgresql is missing)`);
    }
    for (const version of versions) {
      await runCommand('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { timeoutMs: 30_000 });
    }
    for (let attempt = 0; attempt < 40; attempt += 1) {
      if (await postgresAnswers(url)) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`PostgreSQL at ${url} did not come up after starting clusters ${versions.join(', ')}`);
  })();
  return ready;
}

let schemaCounter = 0;

/** A fresh, unique schema name for one test. */
export function uniqueSchema(): string {
  schemaCounter += 1;
  return `xbtest_${process.pid}_${Date.now().toString(36)}_${schemaCounter}`;
}

/** Drops a schema created by a test. */
export async function dropSchema(schema: string, url = testPostgresUrl): Promise<void> {
  await dropSchemas([schema], url);
}

/** One backend under test: opens a fresh store; `reopen` opens a second handle on the same data; `cleanup` closes and removes everything. */
export interface Backend {
  name: 'sqlite' | 'postgres';
  open(): Promise<{ store: Store; reopen(): Promise<Store>; cleanup(): Promise<void> }>;
}

/** Both backends, for `describe.each`. */
export const backends: Backend[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'xenboot-store-'));
      const opened = [openSqliteStore(join(dir, 'xenboot.db'))];
      return {
        store: opened[0]!,
        async reopen() {
          opened.push(openSqliteStore(join(dir, 'xenboot.db')));
          return opened.at(-1)!;
        },
        async cleanup() {
          for (const store of opened) await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      await ensurePostgres();
      const schema = uniqueSchema();
      const open = () => openPostgresStore({ url: testPostgresUrl, schema, poolSize: 4 });
      const opened = [await open()];
      return {
        store: opened[0]!,
        async reopen() {
          opened.push(await open());
          return opened.at(-1)!;
        },
        async cleanup() {
          for (const store of opened) await store.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

/**
 * Opens a fresh store of `backend` before each test of the enclosing `describe` (handed to `use`) and
 * removes it after each.
 */
export function freshStoreEach(backend: Backend, use: (store: Store) => void): void {
  let cleanup: (() => Promise<void>) | undefined;
  beforeEach(async () => {
    const opened = await backend.open();
    cleanup = opened.cleanup;
    use(opened.store);
  });
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });
}
