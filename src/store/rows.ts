/**
 * Mapping between database rows and the store's objects, shared by the SQLite and PostgreSQL backends.
 * Times are stored as integer milliseconds since the epoch (`bigint` in PostgreSQL, returned as text by
 * `pg`, hence the `Number()`).
 */
import type { BootEvent } from '../timeline/types.js';
import type { Lease, LeaseState } from './types.js';

/** A `leases` row as either driver returns it. */
export interface LeaseRow {
  ip: string;
  mac: string;
  state: string;
  expires_at: number | string;
  updated_at: number | string;
  client_id: string | null;
  hostname: string | null;
}

/** Row → `Lease` (optional fields left out when null). */
export function leaseFromRow(row: LeaseRow): Lease {
  const lease: Lease = {
    mac: row.mac,
    ip: row.ip,
    state: row.state as LeaseState,
    expiresAt: Number(row.expires_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.client_id !== null) lease.clientId = row.client_id;
  if (row.hostname !== null) lease.hostname = row.hostname;
  return lease;
}

/** `Lease` → positional parameters `(ip, mac, state, expires_at, updated_at, client_id, hostname)`. */
export function leaseParams(lease: Lease): [string, string, string, number, number, string | null, string | null] {
  return [lease.ip, lease.mac, lease.state, lease.expiresAt, lease.updatedAt, lease.clientId ?? null, lease.hostname ?? null];
}

/** `BootEvent` → positional parameters `(at, mac, ip, kind, data)`. */
export function eventParams(event: BootEvent): [number, string | null, string | null, string, string] {
  return [event.at, event.mac ?? null, event.ip ?? null, event.kind, JSON.stringify(event)];
}

/** The stored JSON back to an event (`pg` returns `jsonb` already parsed). */
export function eventFromData(data: string | object): BootEvent {
  return (typeof data === 'string' ? JSON.parse(data) : data) as BootEvent;
}
