/**
 * SQLite schema, as an ordered list of migrations. `PRAGMA user_version` records how many have run; each
 * runs in the same immediate transaction that bumps it, so a crash never leaves half a migration, and two
 * processes opening one file at once apply each migration once.
 */
import type { Database } from 'better-sqlite3';

/** Migration `i` takes the schema from version `i` to `i + 1`. Append only; never edit a released one. */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE leases (
    ip          TEXT PRIMARY KEY,
    mac         TEXT NOT NULL,
    state       TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    client_id   TEXT,
    hostname    TEXT
  );
  CREATE INDEX leases_mac ON leases (mac, updated_at);

  CREATE TABLE events (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    at    INTEGER NOT NULL,
    mac   TEXT,
    ip    TEXT,
    kind  TEXT NOT NULL,
    data  TEXT NOT NULL
  );
  CREATE INDEX events_mac ON events (mac, at);
  CREATE INDEX events_ip ON events (ip, at);
  CREATE INDEX events_at ON events (at);

  CREATE TABLE inventory_profiles (name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE inventory_groups (name TEXT PRIMARY KEY, doc TEXT NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE inventory_hosts (
    mac TEXT PRIMARY KEY,
    ip TEXT UNIQUE,
    doc TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO store_meta (key, value) VALUES ('inventory_revision', 0);
  `,
  // 2: the boot lifecycle (next-boot actions per host) and secrets shared by instances (the callback key).
  `
  CREATE TABLE lifecycle (
    mac         TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    doc         TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
  );
  CREATE TABLE store_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  INSERT INTO store_meta (key, value) VALUES ('lifecycle_revision', 0);
  `,
];

/** Brings the database up to the latest schema; returns how many migrations ran. */
export function migrateSqlite(db: Database): number {
  const run = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > sqliteMigrations.length) {
      throw new Error(`database schema version ${current} is newer than this xenboot (${sqliteMigrations.length}); upgrade xenboot`);
    }
    for (let version = current; version < sqliteMigrations.length; version += 1) db.exec(sqliteMigrations[version]!);
    db.pragma(`user_version = ${sqliteMigrations.length}`);
    return sqliteMigrations.length - current;
  });
  return run.immediate();
}
