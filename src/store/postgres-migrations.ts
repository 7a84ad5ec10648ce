/**
 * PostgreSQL schema, as an ordered list of migrations recorded in `xenboot_migrations`. They run in one
 * transaction under an advisory lock, so several xenboot instances starting together apply each once.
 */
import type { PoolClient } from 'pg';

/** Migration `i` takes the schema from version `i` to `i + 1`. Append only; never edit a released one. */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE leases (
    ip          text PRIMARY KEY,
    mac         text NOT NULL,
    state       text NOT NULL,
    expires_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    client_id   text,
    hostname    text
  );
  CREATE INDEX leases_mac ON leases (mac, updated_at);

  CREATE TABLE events (
    id    bigserial PRIMARY KEY,
    at    bigint NOT NULL,
    mac   text,
    ip    text,
    kind  text NOT NULL,
    data  jsonb NOT NULL
  );
  CREATE INDEX events_mac ON events (mac, at);
  CREATE INDEX events_ip ON events (ip, at);
  CREATE INDEX events_at ON events (at);

  CREATE TABLE inventory_profiles (name text PRIMARY KEY, doc jsonb NOT NULL, updated_at bigint NOT NULL);
  CREATE TABLE inventory_groups (name text PRIMARY KEY, doc jsonb NOT NULL, updated_at bigint NOT NULL);
  CREATE TABLE inventory_hosts (
    mac text PRIMARY KEY,
    ip text UNIQUE,
    doc jsonb NOT NULL,
    updated_at bigint NOT NULL
  );
  CREATE TABLE store_meta (key text PRIMARY KEY, value bigint NOT NULL);
  INSERT INTO store_meta (key, value) VALUES ('inventory_revision', 0);
  `,
  // 2: the DHCP two-instance mode: one row per instance, its counter bumped by every heartbeat.
  `
  CREATE TABLE ha_heartbeats (name text PRIMARY KEY, beats bigint NOT NULL, at bigint NOT NULL);
  `,
  // 3: the boot lifecycle (next-boot actions per host) and secrets shared by instances (the callback key).
  `
  CREATE TABLE lifecycle (
    mac         text PRIMARY KEY,
    version     bigint NOT NULL,
    doc         jsonb NOT NULL,
    updated_at  bigint NOT NULL
  );
  CREATE TABLE store_secrets (name text PRIMARY KEY, value text NOT NULL);
  INSERT INTO store_meta (key, value) VALUES ('lifecycle_revision', 0);
  `,
];

/** Brings the schema up to date; returns how many migrations ran. The client must not be in a transaction. */
export async function migratePostgres(client: PoolClient): Promise<number> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.xenboot_migrations'))`);
    await client.query('CREATE TABLE IF NOT EXISTS xenboot_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM xenboot_migrations');
    const current = rows[0]?.version ?? 0;
    if (current > postgresMigrations.length) {
      throw new Error(`database schema version ${current} is newer than this xenboot (${postgresMigrations.length}); upgrade xenboot`);
    }
    for (let version = current; version < postgresMigrations.length; version += 1) {
      await client.query(postgresMigrations[version]!);
      await client.query('INSERT INTO xenboot_migrations (version, applied_at) VALUES ($1, $2)', [version + 1, Date.now()]);
    }
    await client.query('COMMIT');
    return postgresMigrations.length - current;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
