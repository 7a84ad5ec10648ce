/**
 * The boot lifecycle in SQLite: one row per host, written by compare-and-set on `version` inside an
 * immediate transaction that also appends the audit events and bumps `lifecycle_revision`, so a change
 * and its audit line are committed together or not at all, and processes sharing the file apply a change
 * once.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { BootEvent } from '../timeline/types.js';
import { eventParams } from './rows.js';
import type { LifecycleRow, LifecycleStore } from './types.js';

interface Row {
  mac: string;
  version: number;
  doc: string;
  updated_at: number;
}

const fromRow = (row: Row): LifecycleRow => ({ mac: row.mac, version: Number(row.version), doc: JSON.parse(row.doc) as Record<string, unknown>, updatedAt: Number(row.updated_at) });

/** The lifecycle table of an open SQLite database. */
export function createSqliteLifecycle(db: BetterSqlite3.Database): LifecycleStore {
  const all = db.prepare('SELECT * FROM lifecycle ORDER BY mac');
  const one = db.prepare('SELECT * FROM lifecycle WHERE mac = ?');
  const insert = db.prepare('INSERT INTO lifecycle (mac, version, doc, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (mac) DO NOTHING');
  const update = db.prepare('UPDATE lifecycle SET version = ?, doc = ?, updated_at = ? WHERE mac = ? AND version = ?');
  const bump = db.prepare(`UPDATE store_meta SET value = value + 1 WHERE key = 'lifecycle_revision'`);
  const revision = db.prepare(`SELECT value FROM store_meta WHERE key = 'lifecycle_revision'`).pluck();
  const appendEvent = db.prepare('INSERT INTO events (at, mac, ip, kind, data) VALUES (?, ?, ?, ?, ?)');
  const getSecret = db.prepare('SELECT value FROM store_secrets WHERE name = ?').pluck();
  const putSecret = db.prepare('INSERT INTO store_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');

  const put = db.transaction((row: LifecycleRow, audit: readonly BootEvent[]): boolean => {
    const doc = JSON.stringify(row.doc);
    const changed = row.version === 1 ? insert.run(row.mac, row.version, doc, row.updatedAt).changes : update.run(row.version, doc, row.updatedAt, row.mac, row.version - 1).changes;
    if (changed !== 1) return false;
    bump.run();
    for (const event of audit) appendEvent.run(...eventParams(event));
    return true;
  });
  const appendAudit = db.transaction((events: readonly BootEvent[]) => {
    for (const event of events) appendEvent.run(...eventParams(event));
  });
  const secret = db.transaction((name: string, value: string): string => {
    putSecret.run(name, value);
    return getSecret.get(name) as string;
  });

  return {
    async list() {
      return (all.all() as Row[]).map(fromRow);
    },
    async get(mac) {
      const row = one.get(mac) as Row | undefined;
      return row ? fromRow(row) : null;
    },
    async put(row, audit) {
      return put.immediate(row, audit);
    },
    async audit(events) {
      if (events.length > 0) appendAudit.immediate(events);
    },
    async revision() {
      return Number(revision.get());
    },
    async sharedSecret(name, create) {
      const found = getSecret.get(name) as string | undefined;
      return found ?? secret.immediate(name, create());
    },
  };
}
