/**
 * Group commit: claims made in one event-loop turn share one transaction; each resolves only after the
 * COMMIT; a claim that throws fails alone; a failed COMMIT fails the whole group and stores none of it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';

const lease = (i: number, mac = `02:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`) => ({
  mac,
  ip: `10.1.${i >> 8}.${i & 255}`,
  state: 'bound' as const,
  expiresAt: Date.now() + 3_600_000,
  updatedAt: Date.now(),
});

function database() {
  const db = new BetterSqlite3(join(mkdtempSync(join(tmpdir(), 'xenboot-group-')), 'g.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  return db;
}

describe('GroupCommit', () => {
  it('runs the units of one turn in one transaction and resolves each with its own result after the commit', async () => {
    const db = database();
    const group = new GroupCommit(db);
    const insert = db.transaction((k: number) => db.prepare('INSERT INTO t VALUES (?, ?)').run(k, `v${k}`).changes);
    const results = await Promise.all(Array.from({ length: 50 }, (_, k) => group.submit(() => insert(k))));
    expect(results).toEqual(Array(50).fill(1));
    expect(group.stats).toEqual({ groups: 1, units: 50, largest: 50 });
    // A second connection sees every row: the group was committed before the promises resolved.
    const other = new BetterSqlite3(db.name, { readonly: true });
    expect(other.prepare('SELECT count(*) FROM t').pluck().get()).toBe(50);
    other.close();
    db.close();
  });

  it('a unit that throws rolls back alone; the others of its group are committed', async () => {
    const db = database();
    const group = new GroupCommit(db);
    const insert = db.transaction((k: number, v: string | null) => db.prepare('INSERT INTO t VALUES (?, ?)').run(k, v).changes);
    const outcomes = await Promise.allSettled([group.submit(() => insert(1, 'a')), group.submit(() => insert(2, null)), group.submit(() => insert(3, 'c'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.prepare('SELECT k FROM t ORDER BY k').pluck().all()).toEqual([1, 3]);
    db.close();
  });

  it('when the COMMIT cannot happen, every unit of the group fails and none is stored', async () => {
    const db = database();
    const group = new GroupCommit(db);
    const insert = db.transaction((k: number) => db.prepare('INSERT INTO t VALUES (?, ?)').run(k, 'x').changes);
    // Another connection holds the write lock past the busy timeout: BEGIN IMMEDIATE fails for the group.
    db.pragma('busy_timeout = 50');
    const locker = new BetterSqlite3(db.name);
    locker.exec('BEGIN IMMEDIATE');
    const outcomes = await Promise.allSettled([group.submit(() => insert(1)), group.submit(() => insert(2))]);
    locker.exec('ROLLBACK');
    locker.close();
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(0);
    // And the next group works again.
    await expect(group.submit(() => insert(3))).resolves.toBe(1);
    db.close();
  });

  it('bounds one transaction: a burst larger than the group size is committed in several groups', async () => {
    const db = database();
    const group = new GroupCommit(db, 16);
    const insert = db.transaction((k: number) => db.prepare('INSERT INTO t VALUES (?, ?)').run(k, 'x').changes);
    await Promise.all(Array.from({ length: 40 }, (_, k) => group.submit(() => insert(k))));
    expect(group.stats).toEqual({ groups: 3, units: 40, largest: 16 });
    db.close();
  });
});

describe('the SQLite store claims leases by group', () => {
  it.each(['process', 'power'] as const)('with durability %s, a burst of claims is stored, and an address held by another MAC is refused', async (durability) => {
    const path = join(mkdtempSync(join(tmpdir(), 'xenboot-group-store-')), 'x.db');
    const store = openSqliteStore(path, { durability });
    const now = Date.now();
    const claims = await Promise.all(Array.from({ length: 200 }, (_, i) => store.leases.claimLease(lease(i), now)));
    expect(claims.every(Boolean)).toBe(true);
    const thief = await Promise.all([store.leases.claimLease(lease(7, '02:ff:00:00:00:07'), now), store.leases.claimLease(lease(500), now)]);
    expect(thief).toEqual([false, true]);
    await store.close();
    const reopened = openSqliteStore(path);
    expect((await reopened.leases.listLeases()).length).toBe(201);
    expect((await reopened.leases.getLeaseByIp('10.1.0.7'))?.mac).toBe(lease(7).mac);
    await reopened.close();
  });
});
