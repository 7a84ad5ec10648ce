/**
 * Inventory documents in PostgreSQL. Each `apply` runs in one transaction on one pooled connection that
 * first locks the revision row (so the checks and writes of instances sharing the database take turns);
 * a unique violation rolls the batch back and is reported as a conflict naming the field.
 */
import type { Pool, PoolClient } from 'pg';
import { documentRow, inventoryTable, keyColumn, normaliseKey } from './documents.js';
import { StoreConflictError, StoreNotFoundError } from './errors.js';
import type { InventoryChange, InventoryDocument, InventoryKind, InventoryStore, InventoryWriteCheck, StoredInventory } from './types.js';

/** Which field a unique violation (SQLSTATE 23505) is about, from the constraint name. */
function conflictField(error: unknown): string | null {
  const e = error as { code?: string; constraint?: string };
  if (e.code !== '23505') return null;
  if (e.constraint?.endsWith('_ip_key')) return 'ip';
  return null;
}

/**
 * Inserts a document; with `upsert`, replaces the one with the same key in the same statement (so racing
 * upserts of one key never collide on it; another host's IP still does).
 */
async function insert(client: PoolClient, kind: InventoryKind, doc: InventoryDocument, index: number, now: number, upsert = false): Promise<void> {
  const row = documentRow(kind, doc, index);
  const table = inventoryTable(kind);
  try {
    if (kind === 'hosts') {
      const onConflict = upsert ? ' ON CONFLICT (mac) DO UPDATE SET ip = excluded.ip, doc = excluded.doc, updated_at = excluded.updated_at' : '';
      await client.query(`INSERT INTO ${table} (mac, ip, doc, updated_at) VALUES ($1, $2, $3, $4)${onConflict}`, [row.key, row.ip, row.json, now]);
    } else {
      const onConflict = upsert ? ' ON CONFLICT (name) DO UPDATE SET doc = excluded.doc, updated_at = excluded.updated_at' : '';
      await client.query(`INSERT INTO ${table} (name, doc, updated_at) VALUES ($1, $2, $3)${onConflict}`, [row.key, row.json, now]);
    }
  } catch (error) {
    // The transaction is aborted now; the caller rolls it back.
    const e = error as { code?: string };
    if (e.code !== '23505') throw error;
    const field = conflictField(error) ?? keyColumn(kind);
    throw new StoreConflictError(kind, field, field === 'ip' ? (row.ip ?? '') : row.key, index);
  }
}

async function remove(client: PoolClient, kind: InventoryKind, key: string): Promise<boolean> {
  const result = await client.query(`DELETE FROM ${inventoryTable(kind)} WHERE ${keyColumn(kind)} = $1`, [key]);
  return (result.rowCount ?? 0) > 0;
}

/** Every document of every kind, read on `client` (inside its transaction). */
async function readAll(client: PoolClient): Promise<StoredInventory> {
  const stored: StoredInventory = { hosts: [], profiles: [], groups: [] };
  for (const kind of Object.keys(stored) as InventoryKind[]) {
    const { rows } = await client.query<{ doc: InventoryDocument }>(`SELECT doc FROM ${inventoryTable(kind)} ORDER BY ${keyColumn(kind)}`);
    stored[kind] = rows.map((r) => r.doc);
  }
  return stored;
}

/** Creates the PostgreSQL inventory over a pool whose connections use the store's schema. */
export function createPostgresInventory(pool: Pool): InventoryStore {
  return {
    async list(kind) {
      const { rows } = await pool.query<{ doc: InventoryDocument }>(`SELECT doc FROM ${inventoryTable(kind)} ORDER BY ${keyColumn(kind)}`);
      return rows.map((r) => r.doc);
    },
    async get(kind, key) {
      const { rows } = await pool.query<{ doc: InventoryDocument }>(
        `SELECT doc FROM ${inventoryTable(kind)} WHERE ${keyColumn(kind)} = $1`,
        [normaliseKey(kind, key)],
      );
      return rows[0]?.doc ?? null;
    },
    async apply(changes: InventoryChange[], check?: InventoryWriteCheck) {
      if (changes.length === 0) return this.revision();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // The revision row is the inventory's write lock: bumped first, it is held until COMMIT, so a
        // writer of another instance waits here. Under READ COMMITTED every later statement of this
        // transaction then sees what that writer committed.
        const bumped = await client.query<{ value: string }>(`UPDATE store_meta SET value = value + 1 WHERE key = 'inventory_revision' RETURNING value`);
        if (check) check(await readAll(client));
        const now = Date.now();
        for (const [index, change] of changes.entries()) {
          switch (change.op) {
            case 'create':
              await insert(client, change.kind, change.doc, index, now);
              break;
            case 'put':
              await insert(client, change.kind, change.doc, index, now, true);
              break;
            case 'replace':
            case 'delete': {
              const key = normaliseKey(change.kind, change.key);
              if (!(await remove(client, change.kind, key))) throw new StoreNotFoundError(change.kind, key, index);
              if (change.op === 'replace') await insert(client, change.kind, change.doc, index, now);
              break;
            }
          }
        }
        await client.query('COMMIT');
        return Number(bumped.rows[0]?.value ?? 0);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async revision() {
      const { rows } = await pool.query<{ value: string }>(`SELECT value FROM store_meta WHERE key = 'inventory_revision'`);
      return Number(rows[0]?.value ?? 0);
    },
  };
}
