/**
 * The store's interfaces. Implementations: SQLite (embedded default; `store.kind: memory` is SQLite in
 * memory), PostgreSQL (several xenboot instances sharing state). Allocation safety lives in `claimLease`: it is atomic in the backing
 * database, so two servers can never hold one address for two MACs.
 */
import type { BootEvent } from '../timeline/types.js';

/**
 * What "committed" means for a store write: `process`, it survives the xenboot process being killed
 * (`kill -9`, a crash), not necessarily a power cut; `power`, it also survives a power cut (the write is
 * on stable storage before the claim resolves).
 */
export type Durability = 'process' | 'power';

/** The state of one address binding. */
export type LeaseState = 'offered' | 'bound' | 'released' | 'declined';

/** One address bound (or offered, or quarantined) to a client. */
export interface Lease {
  /** Canonical MAC (`aa:bb:cc:dd:ee:ff`); for a declined address, the MAC that declined it. */
  mac: string;
  /** Dotted quad. */
  ip: string;
  state: LeaseState;
  /** When the lease, offer hold or quarantine ends (ms since the epoch). After that the address is free. */
  expiresAt: number;
  /** Last change (ms since the epoch). */
  updatedAt: number;
  /** DHCP option 61, hex, when the client sent one. */
  clientId?: string;
  /** Option 12 from the client, or the host's name. */
  hostname?: string;
}

/** Lease persistence. All methods are atomic; callers may race across processes. */
export interface LeaseStore {
  /** Every lease row (bound, offered, released or declined), for start-up and listings. */
  listLeases(): Promise<Lease[]>;
  /** The row for an address, if any (expired rows included). */
  getLeaseByIp(ip: string): Promise<Lease | null>;
  /** The newest row for a MAC that is not `declined`, if any (expired rows included). */
  getLeaseByMac(mac: string): Promise<Lease | null>;
  /**
   * Writes `lease` if its address is free for this MAC: no row for the address, or the row belongs to the
   * same MAC, or the row has expired (`expiresAt <= now`). Any other row of the same MAC for another
   * address is removed in the same transaction (one address per MAC). Returns `false`, writing nothing,
   * when another MAC holds the address.
   */
  claimLease(lease: Lease, now: number): Promise<boolean>;
  /** Marks the MAC's lease on `ip` released (expires now); no-op if the row belongs to another MAC. */
  releaseLease(mac: string, ip: string, now: number): Promise<void>;
  /** Deletes rows that expired before `before` (housekeeping); returns how many. */
  pruneLeases(before: number): Promise<number>;
}

/** One instance's heartbeat counter, as the store has it. */
export interface HeartbeatRow {
  name: string;
  /** Bumped by every beat of that instance; readers compare it with their previous reading. */
  beats: number;
  /** The beating instance's clock at its last beat (ms since the epoch), for people reading the table. */
  at: number;
}

/** Heartbeats of the instances that share the store (the DHCP two-instance mode). */
export interface HeartbeatStore {
  /** Bumps `name`'s counter (its row starts at 1) and returns every instance's row, this one's included, in one round trip. */
  beat(name: string, now: number): Promise<HeartbeatRow[]>;
}

/** Filters for reading the event timeline. */
export interface EventQuery {
  mac?: string;
  ip?: string;
  /** Only events at or after this time (ms since the epoch). */
  since?: number;
  /** At most this many, newest last. */
  limit?: number;
}

/** Boot event persistence (the machine timeline). */
export interface EventStore {
  appendEvent(event: BootEvent): Promise<void>;
  listEvents(query: EventQuery): Promise<BootEvent[]>;
}

/** Events in bulk and housekeeping; the recorder batches writes through these. */
export interface EventLog extends EventStore {
  /** Appends several events in one transaction, in order. */
  appendEvents(events: BootEvent[]): Promise<void>;
  /**
   * Deletes events older than `before` and, per machine (MAC, or IP when the MAC is unknown), all but the
   * newest `keepPerMachine`. Returns how many rows were removed.
   */
  pruneEvents(options: { before: number; keepPerMachine: number }): Promise<number>;
}

/** The three inventory collections kept as validated JSON documents. */
export type InventoryKind = 'hosts' | 'profiles' | 'groups';

/** One inventory document as stored (already validated by the caller; hosts carry a canonical `mac`). */
export type InventoryDocument = Record<string, unknown>;

/** One change in an inventory transaction. */
export type InventoryChange =
  /** Adds a document; conflicts when its key (or, for hosts, its IP) is taken. */
  | { op: 'create'; kind: InventoryKind; doc: InventoryDocument }
  /** Adds or replaces the document with the same key. */
  | { op: 'put'; kind: InventoryKind; doc: InventoryDocument }
  /** Replaces the document stored under `key` (which may differ from the new document's key); missing → not found. */
  | { op: 'replace'; kind: InventoryKind; key: string; doc: InventoryDocument }
  /** Removes the document under `key`; missing → not found. */
  | { op: 'delete'; kind: InventoryKind; key: string };

/** Every stored inventory document, as a write transaction sees it (ordered by key). */
export type StoredInventory = Record<InventoryKind, InventoryDocument[]>;

/**
 * Checks a write against the stored documents before it is made; throws to refuse it (nothing is
 * written and the error reaches the caller of `apply`). Synchronous: it runs inside the transaction.
 */
export type InventoryWriteCheck = (stored: StoredInventory) => void;

/**
 * Hosts (keyed by canonical MAC, IP unique), profiles and groups (keyed by `name`). Every `apply` runs in one
 * transaction: all changes are written or none is.
 */
export interface InventoryStore {
  /** Every document of a kind, ordered by key. */
  list(kind: InventoryKind): Promise<InventoryDocument[]>;
  /** One document, or `null`. Host keys may be any MAC spelling. */
  get(kind: InventoryKind, key: string): Promise<InventoryDocument | null>;
  /**
   * Applies every change in one transaction; throws `StoreConflictError`/`StoreNotFoundError` and writes
   * nothing on failure. With `check`, the transaction first takes the inventory's write lock, which every
   * instance on the same database shares, then hands `check` the documents as every earlier write left
   * them: a check-then-write is never interleaved with another instance's (PostgreSQL: the revision row
   * is locked first; SQLite: an immediate transaction). Resolves to the revision this write made (the
   * current one when `changes` is empty).
   */
  apply(changes: InventoryChange[], check?: InventoryWriteCheck): Promise<number>;
  /** A counter bumped by every successful `apply` (lets several instances notice each other's changes). */
  revision(): Promise<number>;
}

/** One host's boot lifecycle as stored: a JSON document the lifecycle part defines, and its version. */
export interface LifecycleRow {
  /** Canonical MAC. */
  mac: string;
  /** Bumped by every write; 0 means "no row yet". */
  version: number;
  doc: Record<string, unknown>;
  updatedAt: number;
}

/**
 * Boot lifecycle persistence. Writes are conditional (compare-and-set on `version`), so several instances
 * on one database apply each change once: the loser of a race gets `false` and reads again.
 */
export interface LifecycleStore {
  /** Every row, ordered by MAC. */
  list(): Promise<LifecycleRow[]>;
  /** The row of a canonical MAC, or `null`. */
  get(mac: string): Promise<LifecycleRow | null>;
  /**
   * Writes `row` if the stored version is `row.version - 1` (no row at all for version 1), and appends
   * `audit` to the event log in the same transaction. Returns `false`, writing nothing, when the stored
   * version differs (another writer came first).
   */
  put(row: LifecycleRow, audit: readonly BootEvent[]): Promise<boolean>;
  /** Appends audit events alone (a refused callback changes no row but is recorded). */
  audit(events: readonly BootEvent[]): Promise<void>;
  /** A counter bumped by every successful `put` (lets instances notice each other's changes). */
  revision(): Promise<number>;
  /**
   * The secret named `name` shared by every instance on the database, created from `create()` by the first
   * caller (later callers, on any instance, get the stored one).
   */
  sharedSecret(name: string, create: () => string): Promise<string>;
}

/** An open store: the backend behind leases, events and the inventory. */
export interface Store {
  readonly backend: 'sqlite' | 'postgres';
  readonly leases: LeaseStore;
  readonly events: EventLog;
  readonly inventory: InventoryStore;
  /** Heartbeats of instances sharing the store; only the shared backend (PostgreSQL) has them. */
  readonly heartbeats?: HeartbeatStore;
  readonly lifecycle: LifecycleStore;
  /** Resolves when the database answers a trivial query (for `/readyz`). */
  ping(): Promise<void>;
  /** Closes connections; safe to call more than once. */
  close(): Promise<void>;
}
