/**
 * The embedded SQLite backend (better-sqlite3). One file, WAL journal. Durability `process` (the
 * default) is `synchronous=NORMAL`: a committed write is in the WAL (the OS page cache) before
 * `claimLease` resolves, so it survives `kill -9` of the process but not necessarily a power cut;
 * `power` is `synchronous=FULL`: every commit waits for the WAL's fsync (SQLite's documentation, "PRAGMA
 * synchronous"). Lease claims are group-committed (`GroupCommit`): the claims of one event-loop turn share
 * one transaction, so `power` costs one fsync per burst, not per exchange. Several processes may share
 * the file (`busy_timeout` makes writers queue instead of failing).
 *
 * A file deleted (or replaced) under a running store is not noticed by SQLite: writes go on to the
 * unlinked inode and are lost at exit, and a restart starts from an empty or another file. `ping()`
 * compares the path's inode with the one opened and throws when they differ, so readiness fails and
 * the periodic store check logs it at error level (docs/security.md: recovery).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { BootEvent } from '../timeline/types.js';
import { GroupCommit } from './group-commit.js';
import { eventFromData, eventParams, leaseFromRow, leaseParams, type LeaseRow } from './rows.js';
import { createSqliteInventory } from './sqlite-inventory.js';
import { createSqliteLifecycle } from './sqlite-lifecycle.js';
import { migrateSqlite } from './sqlite-migrations.js';
import type { Durability, EventLog, EventQuery, Lease, LeaseStore, Store } from './types.js';

/** How a SQLite store is opened. */
export interface SqliteStoreOptions {
  /** `process` (default): commits survive the process being killed; `power`: they survive a power cut. */
  durability?: Durability;
}

/** Opens (creating if needed) and migrates a SQLite store. `path` `:memory:` keeps everything in memory. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  // `timeout`: wait up to 5 s for another process's write lock (also while switching to WAL below).
  const db = new BetterSqlite3(path, { timeout: 5000 });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'power' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    migrateSqlite(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const opened = path === ':memory:' ? null : statSync(path);
  let closed = false;
  return {
    backend: 'sqlite',
    leases: createSqliteLeases(db),
    events: createSqliteEvents(db),
    inventory: createSqliteInventory(db),
    lifecycle: createSqliteLifecycle(db),
    async ping() {
      db.prepare('SELECT 1').get();
      if (opened === null) return;
      let now;
      try {
        now = statSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new Error(`the SQLite file ${path} was deleted while open: writes go to a file that no longer exists`);
        }
        throw new Error(`cannot check the SQLite file ${path}: ${(error as Error).message}`);
      }
      if (now.ino !== opened.ino || now.dev !== opened.dev) {
        throw new Error(`the SQLite file ${path} was replaced while open (inode ${opened.ino} → ${now.ino}): writes go to the old file`);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}

function createSqliteLeases(db: BetterSqlite3.Database): LeaseStore {
  const all = db.prepare('SELECT * FROM leases ORDER BY ip');
  const byIp = db.prepare('SELECT * FROM leases WHERE ip = ?');
  const byMac = db.prepare(`SELECT * FROM leases WHERE mac = ? AND state <> 'declined' ORDER BY updated_at DESC LIMIT 1`);
  // The claim: insert, or take over the row when it is ours or has expired. RETURNING tells us which.
  const upsert = db
    .prepare(
      `INSERT INTO leases (ip, mac, state, expires_at, updated_at, client_id, hostname) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (ip) DO UPDATE SET mac = excluded.mac, state = excluded.state, expires_at = excluded.expires_at,
         updated_at = excluded.updated_at, client_id = excluded.client_id, hostname = excluded.hostname
       WHERE leases.mac = excluded.mac OR leases.expires_at <= ?
       RETURNING ip`,
    )
    .pluck();
  const dropOthers = db.prepare(`DELETE FROM leases WHERE mac = ? AND ip <> ? AND state <> 'declined'`);
  const release = db.prepare(`UPDATE leases SET state = 'released', expires_at = ?, updated_at = ? WHERE ip = ? AND mac = ?`);
  const prune = db.prepare('DELETE FROM leases WHERE expires_at < ?');

  // Inside a group's transaction each claim is a savepoint of its own: a failing one rolls back alone.
  const claim = db.transaction((lease: Lease, now: number): boolean => {
    if (upsert.get(...leaseParams(lease), now) === undefined) return false;
    dropOthers.run(lease.mac, lease.ip);
    return true;
  });
  const group = new GroupCommit(db);

  return {
    async listLeases() {
      return (all.all() as LeaseRow[]).map(leaseFromRow);
    },
    async getLeaseByIp(ip) {
      const row = byIp.get(ip) as LeaseRow | undefined;
      return row ? leaseFromRow(row) : null;
    },
    async getLeaseByMac(mac) {
      const row = byMac.get(mac) as LeaseRow | undefined;
      return row ? leaseFromRow(row) : null;
    },
    claimLease(lease, now) {
      return group.submit(() => claim(lease, now));
    },
    async releaseLease(mac, ip, now) {
      release.run(now, now, ip, mac);
    },
    async pruneLeases(before) {
      return prune.run(before).changes;
    },
  };
}

function createSqliteEvents(db: BetterSqlite3.Database): EventLog {
  const insert = db.prepare('INSERT INTO events (at, mac, ip, kind, data) VALUES (?, ?, ?, ?, ?)');
  const insertMany = db.transaction((events: BootEvent[]) => {
    for (const event of events) insert.run(...eventParams(event));
  });
  const pruneAge = db.prepare('DELETE FROM events WHERE at < ?');
  const pruneCount = db.prepare(
    `DELETE FROM events WHERE id IN (
       SELECT id FROM (
         SELECT id, ROW_NUMBER() OVER (PARTITION BY COALESCE(mac, ip, '') ORDER BY at DESC, id DESC) AS n FROM events
       ) WHERE n > ?)`,
  );
  const prune = db.transaction((before: number, keep: number) => pruneAge.run(before).changes + pruneCount.run(keep).changes);

  return {
    async appendEvent(event) {
      insert.run(...eventParams(event));
    },
    async appendEvents(events) {
      if (events.length > 0) insertMany.immediate(events);
    },
    async listEvents(query: EventQuery) {
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (query.mac !== undefined) (where.push('mac = ?'), params.push(query.mac));
      if (query.ip !== undefined) (where.push('ip = ?'), params.push(query.ip));
      if (query.since !== undefined) (where.push('at >= ?'), params.push(query.since));
      const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      params.push(query.limit ?? 1000);
      const rows = db
        .prepare(`SELECT data FROM (SELECT id, at, data FROM events ${filter} ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id`)
        .pluck()
        .all(...params) as string[];
      return rows.map(eventFromData);
    },
    async pruneEvents({ before, keepPerMachine }) {
      return prune.immediate(before, keepPerMachine);
    },
  };
}
