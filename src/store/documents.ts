/**
 * What both backends need to know about inventory documents: each kind's key, the canonical form of a
 * host's MAC, and the unique fields a conflict can name. Pure; no database here.
 */
import { isIpv4 } from '../net/ipv4.js';
import { parseMac } from '../net/mac.js';
import { StoreInputError } from './errors.js';
import type { InventoryDocument, InventoryKind } from './types.js';

/** The columns one document is stored under. */
export interface DocumentRow {
  key: string;
  /** Hosts only: the reserved address (unique), or `null`. */
  ip: string | null;
  /** The document with a canonical MAC, serialised. */
  json: string;
}

/** Normalises a lookup key: canonical MAC for hosts (any spelling accepted), the name as is otherwise. */
export function normaliseKey(kind: InventoryKind, key: string): string {
  if (kind !== 'hosts') return key;
  return parseMac(key) ?? key;
}

/** Extracts key and unique columns from a document; throws `StoreInputError` when it has no usable key. */
export function documentRow(kind: InventoryKind, doc: InventoryDocument, index: number): DocumentRow {
  if (kind === 'hosts') {
    const mac = typeof doc.mac === 'string' ? parseMac(doc.mac) : null;
    if (mac === null) throw new StoreInputError('mac', `host needs a MAC address (got ${JSON.stringify(doc.mac)})`, index);
    let ip: string | null = null;
    if (doc.ip !== undefined && doc.ip !== null) {
      if (typeof doc.ip !== 'string' || !isIpv4(doc.ip)) throw new StoreInputError('ip', `not an IPv4 address: ${JSON.stringify(doc.ip)}`, index);
      ip = doc.ip;
    }
    return { key: mac, ip, json: JSON.stringify({ ...doc, mac }) };
  }
  if (typeof doc.name !== 'string' || doc.name.length === 0) {
    throw new StoreInputError('name', `${kind.slice(0, -1)} needs a name`, index);
  }
  return { key: doc.name, ip: null, json: JSON.stringify(doc) };
}

/** The table holding a kind (fixed names, never from input). */
export function inventoryTable(kind: InventoryKind): string {
  return { hosts: 'inventory_hosts', profiles: 'inventory_profiles', groups: 'inventory_groups' }[kind];
}

/** The key column of a kind's table. */
export function keyColumn(kind: InventoryKind): string {
  return kind === 'hosts' ? 'mac' : 'name';
}
