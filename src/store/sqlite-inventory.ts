/**
 * Inventory documents in SQLite. Each `apply` is one immediate transaction (it holds the write lock, so
 * its checks and writes never interleave with another connection's); a constraint violation rolls the
 * whole batch back and is reported as a conflict naming the field.
 */
import type { Database } from 'better-sqlite3';
import { documentRow, inventoryTable, keyColumn, normaliseKey } from './documents.js';
import { StoreConflictError, StoreNotFoundError } from './errors.js';
import type { InventoryChange, InventoryDocument, InventoryKind, InventoryStore, InventoryWriteCheck, StoredInventory } from './types.js';

/** Which field a SQLite UNIQUE/PRIMARY KEY failure is about (`UNIQUE constraint failed: inventory_hosts.ip`). */
function conflictField(error: unknown): string | null {
  const e = error as { code?: string; message?: string };
  if (e.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return null;
  return /\.(\w+)$/.exec(e.message ?? '')?.[1] ?? 'key';
}

/** Creates the SQLite inventory over an open, migrated database. */
export function createSqliteInventory(db: Database): InventoryStore {
  const statements = (kind: InventoryKind) => {
    const table = inventoryTable(kind);
    const key = keyColumn(kind);
    const hostIp = kind === 'hosts';
    return {
      list: db.prepare(`SELECT doc FROM ${table} ORDER BY ${key}`).pluck(),
      get: db.prepare(`SELECT doc FROM ${table} WHERE ${key} = ?`).pluck(),
      insert: hostIp
        ? db.prepare(`INSERT INTO ${table} (mac, ip, doc, updated_at) VALUES (?, ?, ?, ?)`)
        : db.prepare(`INSERT INTO ${table} (name, doc, updated_at) VALUES (?, ?, ?)`),
      remove: db.prepare(`DELETE FROM ${table} WHERE ${key} = ?`),
    };
  };
  const byKind = { hosts: statements('hosts'), profiles: statements('profiles'), groups: statements('groups') };
  const bump = db.prepare(`UPDATE store_meta SET value = value + 1 WHERE key = 'inventory_revision'`);
  const readRevision = db.prepare(`SELECT value FROM store_meta WHERE key = 'inventory_revision'`).pluck();

  const insert = (kind: InventoryKind, doc: InventoryDocument, index: number, now: number) => {
    const row = documentRow(kind, doc, index);
    try {
      if (kind === 'hosts') byKind.hosts.insert.run(row.key, row.ip, row.json, now);
      else byKind[kind].insert.run(row.key, row.json, now);
    } catch (error) {
      const field = conflictField(error);
      if (field === null) throw error;
      throw new StoreConflictError(kind, field, field === 'ip' ? (row.ip ?? '') : row.key, index);
    }
  };

  const readAll = (): StoredInventory => ({
    hosts: (byKind.hosts.list.all() as string[]).map((doc) => JSON.parse(doc) as InventoryDocument),
    profiles: (byKind.profiles.list.all() as string[]).map((doc) => JSON.parse(doc) as InventoryDocument),
    groups: (byKind.groups.list.all() as string[]).map((doc) => JSON.parse(doc) as InventoryDocument),
  });

  // Run as an immediate transaction: it holds the database's write lock from its start, so what `check`
  // reads is what every earlier writer (this process or another on the same file) committed.
  const applyAll = db.transaction((changes: InventoryChange[], check?: InventoryWriteCheck) => {
    if (check) check(readAll());
    const now = Date.now();
    changes.forEach((change, index) => {
      const s = byKind[change.kind];
      switch (change.op) {
        case 'create':
          insert(change.kind, change.doc, index, now);
          break;
        case 'put':
          s.remove.run(documentRow(change.kind, change.doc, index).key);
          insert(change.kind, change.doc, index, now);
          break;
        case 'replace': {
          const key = normaliseKey(change.kind, change.key);
          if (s.remove.run(key).changes === 0) throw new StoreNotFoundError(change.kind, key, index);
          insert(change.kind, change.doc, index, now);
          break;
        }
        case 'delete': {
          const key = normaliseKey(change.kind, change.key);
          if (s.remove.run(key).changes === 0) throw new StoreNotFoundError(change.kind, key, index);
          break;
        }
      }
    });
    bump.run();
    return Number(readRevision.get());
  });

  return {
    async list(kind) {
      return (byKind[kind].list.all() as string[]).map((doc) => JSON.parse(doc) as InventoryDocument);
    },
    async get(kind, key) {
      const doc = byKind[kind].get.get(normaliseKey(kind, key)) as string | undefined;
      return doc === undefined ? null : (JSON.parse(doc) as InventoryDocument);
    },
    async apply(changes, check) {
      if (changes.length === 0) return Number(readRevision.get());
      return applyAll.immediate(changes, check);
    },
    async revision() {
      return Number(readRevision.get());
    },
  };
}
