/**
 * Opens the store the config asks for: SQLite (a file, the default), PostgreSQL (shared), or memory
 * (SQLite in memory: same code and semantics, nothing kept).
 */
import type { Logger } from '../log.js';
import type { StoreConfig } from './config.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './types.js';

/** Opens and migrates the configured store. `store.path` must already be absolute (the config loader does that). */
export async function openStore(config: StoreConfig, logger: Logger): Promise<Store> {
  const log = logger.child({ subsystem: 'store' });
  switch (config.kind) {
    case 'memory':
      log.debug('store in memory');
      return openSqliteStore(':memory:');
    case 'sqlite':
      log.info({ path: config.path, durability: config.durability }, 'store: SQLite');
      return openSqliteStore(config.path, { durability: config.durability });
    case 'postgres': {
      if (config.url === undefined) throw new Error('store.url is required when store.kind is postgres');
      const store = await openPostgresStore({ url: config.url, schema: config.schema, poolSize: config.poolSize, durability: config.durability });
      log.info({ url: redactUrl(config.url), schema: config.schema, durability: config.durability }, 'store: PostgreSQL');
      return store;
    }
  }
}

/** The URL without its password, for logs (also socket URLs such as `postgres://user@/db?host=/run/postgresql`). */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@]*@/, '$1***@').replace(/([?&]password=)[^&]*/i, '$1***');
}
