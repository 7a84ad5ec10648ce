/**
 * The lease table: an in-memory index of who holds which address, rebuilt from the `LeaseStore` at start,
 * in front of the store's atomic `claimLease`. Allocation takes a candidate from the subnet's
 * `AddressPool`, then claims it in the store; when another server holds it (shared PostgreSQL) the
 * address is marked taken and the next candidate tried, a bounded number of times. Expired holds return
 * to the pool through a min-heap ordered by expiry, so nothing scans the pool or the table per request.
 * When instances share the store and split the clients (`dhcp.ha`), each one's clients draw from their
 * own slice of every range first (`PoolShares`), so the instances do not race for the same free address.
 */
import { cidrBroadcast, intToIp, ipToInt } from '../net/ipv4.js';
import type { Lease, LeaseState, LeaseStore } from '../store/types.js';
import { AddressPool } from './pool.js';
import type { AddressRange, Subnet } from './subnets.js';

/** One address binding as the table knows it. */
export interface LeaseEntry {
  mac: string;
  ip: number;
  state: LeaseState;
  expiresAt: number;
}

/**
 * How the dynamic pool is split between instances sharing the store (the two-instance mode): each
 * range is cut into `count` contiguous slices, and a client's new addresses come from slice `of(mac)`, so
 * instances answering different clients do not race for the same free address.
 */
export interface PoolShares {
  count: number;
  of: (mac: string) => number;
}

/** Result of an allocation attempt. */
export type Allocation = { ok: true; ip: string } | { ok: false; reason: 'pool full' | 'store conflict' };

/** Extra columns stored with a lease. */
export interface LeaseDetails {
  clientId?: string;
  hostname?: string;
}

const CANDIDATE_BUDGET = 4096;
const CLAIM_ATTEMPTS = 8;

/** The lease table of one DHCP server. */
export class LeaseTable {
  private readonly byIp = new Map<number, LeaseEntry>();
  private readonly byMac = new Map<string, number>();
  /** Per subnet, one pool per share (one share unless the pool is split between instances). */
  private readonly pools = new Map<Subnet, AddressPool[]>();
  private readonly reservedFor = new Map<number, string>();
  /** Addresses no client may hold, reservation or not: the server's own, each subnet's network and broadcast address. */
  private readonly neverLeased = new Set<number>();
  private readonly heap: Array<{ at: number; ip: number }> = [];
  /** Times allocation found no free address (for metrics). */
  poolExhausted = 0;

  constructor(
    private readonly store: LeaseStore,
    private readonly subnets: readonly Subnet[],
    /** MAC → reserved address, for every reservation (config and inventory). */
    reservations: ReadonlyMap<string, string>,
    /** Addresses never handed out to any client, reservations included (the server's own). */
    excluded: readonly string[] = [],
    /**
     * Write offer holds to the store too. Needed when several servers share the store (PostgreSQL), so
     * they do not offer one address twice; a single server holds offers in memory only, which halves the
     * store writes per exchange (an offer lost in a crash costs the client one retry, never a lease).
     */
    private readonly persistOffers = true,
    /** The MAC an address is reserved for outside `reservations` (inventory hosts with an `ip`), if any. */
    private readonly reservedElsewhere: (ip: string) => string | undefined = () => undefined,
    private readonly shares: PoolShares = { count: 1, of: () => 0 },
  ) {
    for (const ip of excluded) this.neverLeased.add(ipToInt(ip));
    for (const subnet of subnets) {
      // A /31 or /32 has no network or broadcast address (RFC 3021).
      if (subnet.cidr.prefix < 31) this.neverLeased.add(subnet.cidr.network).add(cidrBroadcast(subnet.cidr));
    }
    // Routers stay out of the pool, but a router may have a reservation of its own.
    const skip = new Set<number>([...this.neverLeased, ...subnets.flatMap((s) => (s.router ? [ipToInt(s.router)] : []))]);
    for (const [mac, ip] of reservations) {
      this.reservedFor.set(ipToInt(ip), mac);
      skip.add(ipToInt(ip));
    }
    for (const subnet of subnets) {
      const slices = Array.from({ length: shares.count }, (_, k) => subnet.ranges.flatMap((r) => sliceOf(r, k, shares.count)));
      this.pools.set(subnet, slices.map((ranges) => new AddressPool(ranges, skip)));
    }
  }

  /**
   * Loads every stored lease into the index (call once before serving; the two-instance mode calls it
   * again when a peer goes or returns). The pools' cursors then walk only the addresses free now.
   */
  async load(now: number): Promise<number> {
    const leases = await this.store.listLeases();
    for (const lease of leases) {
      if (lease.expiresAt <= now && lease.state !== 'bound') continue;
      this.remember(lease.mac, ipToInt(lease.ip), lease.state, lease.expiresAt);
    }
    const held: number[] = [];
    for (const entry of this.byIp.values()) if (entry.expiresAt > now) held.push(entry.ip);
    for (const pools of this.pools.values()) for (const pool of pools) pool.withhold(held);
    return leases.length;
  }

  /** The entry holding an address now (not expired), if any. */
  holderOf(ip: string, now: number): LeaseEntry | undefined {
    const entry = this.byIp.get(ipToInt(ip));
    return entry && entry.expiresAt > now ? entry : undefined;
  }

  /** The MAC's current entry (possibly expired: a returning client gets its old address back if free). */
  entryFor(mac: string): LeaseEntry | undefined {
    const ip = this.byMac.get(mac);
    if (ip === undefined) return undefined;
    const entry = this.byIp.get(ip);
    return entry && entry.mac === mac ? entry : undefined;
  }

  /** The MAC a reserved address belongs to (config reservations, then inventory hosts). */
  reservationOf(ip: string): string | undefined {
    return this.reservedFor.get(ipToInt(ip)) ?? this.reservedElsewhere(ip);
  }

  /** True when `mac` may use `ip` now: not the server's, network or broadcast address, not reserved for another MAC, not held by another MAC, not quarantined. */
  isAvailable(ip: string, mac: string, now: number): boolean {
    const address = ipToInt(ip);
    if (this.neverLeased.has(address)) return false;
    const owner = this.reservedFor.get(address) ?? this.reservedElsewhere(ip);
    if (owner !== undefined && owner !== mac) return false;
    const entry = this.byIp.get(address);
    if (!entry || entry.expiresAt <= now) return true;
    return entry.mac === mac && entry.state !== 'declined';
  }

  /** True when `ip` is a dynamic address of `subnet` (inside a range, not reserved or excluded). */
  isDynamic(subnet: Subnet, ip: string): boolean {
    const address = ipToInt(ip);
    return this.pools.get(subnet)?.some((pool) => pool.contains(address)) ?? false;
  }

  /**
   * Chooses and holds an address for `mac` in `subnet`: `preferred` addresses first (reservation, previous
   * lease, option 50) when available, then the pool. The hold is written with `claimLease` (state
   * `offered` until `holdUntil`).
   */
  async allocate(subnet: Subnet, mac: string, preferred: readonly string[], holdUntil: number, now: number, details: LeaseDetails = {}): Promise<Allocation> {
    this.reclaimExpired(now);
    for (const ip of preferred) {
      if (this.isAvailable(ip, mac, now) && (await this.claim(mac, ip, 'offered', holdUntil, now, details))) return { ok: true, ip };
    }
    const pools = this.pools.get(subnet) ?? [];
    // The client's own share first; the others only when it is full (split pools: PoolShares).
    const own = this.shares.of(mac);
    const order = [pools[own]!, ...pools.filter((_, k) => k !== own)].filter(Boolean);
    let share = 0;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS && share < order.length; ) {
      const candidate = order[share]!.take((address) => this.isAvailable(intToIp(address), mac, now), CANDIDATE_BUDGET);
      if (candidate === null) {
        share += 1;
        continue;
      }
      attempt += 1;
      if (await this.claim(mac, intToIp(candidate), 'offered', holdUntil, now, details)) return { ok: true, ip: intToIp(candidate) };
    }
    if (share >= order.length) {
      this.poolExhausted += 1;
      return { ok: false, reason: 'pool full' };
    }
    return { ok: false, reason: 'store conflict' };
  }

  /**
   * Writes a binding for `mac` on `ip` in the store and the index. Resolves `false` when another MAC holds
   * the address in the store; the index then learns that holder. When it resolves `true` the row is
   * durable (the store's write has completed), so an ACK may be sent.
   */
  async claim(mac: string, ip: string, state: LeaseState, expiresAt: number, now: number, details: LeaseDetails = {}): Promise<boolean> {
    const address = ipToInt(ip);
    // Hold it in the index first, so a concurrent allocation does not pick the same address.
    const before = this.byIp.get(address);
    const previousIp = this.byMac.get(mac);
    this.remember(mac, address, state, expiresAt);
    // An in-memory offer hold: the store's row for the client's current lease (if any) stays as it is.
    if (state === 'offered' && !this.persistOffers) return true;
    const lease: Lease = { mac, ip, state, expiresAt, updatedAt: now, ...details };
    let ok: boolean;
    try {
      ok = await this.store.claimLease(lease, now);
    } catch (error) {
      // The store did not answer (outage, full disk): the address was never ours, so it goes back to the
      // pool, or every request during an outage would take one address for good.
      this.restore(address, before, mac, previousIp);
      this.giveBack(address);
      throw error;
    }
    if (ok) {
      // One address per MAC (the store removed the other rows in the same transaction).
      if (previousIp !== undefined && previousIp !== address) {
        const old = this.byIp.get(previousIp);
        if (old && old.mac === mac && old.state !== 'declined') this.forget(previousIp);
      }
      return true;
    }
    const holder = await this.store.getLeaseByIp(ip);
    this.restore(address, before, mac, previousIp);
    if (holder) this.remember(holder.mac, address, holder.state, holder.expiresAt, false);
    else this.remember('00:00:00:00:00:00', address, 'offered', now + 60_000, false);
    return false;
  }

  /** Frees the MAC's lease on `ip` now (DHCPRELEASE, or a client that chose another server's offer). */
  async release(mac: string, ip: string, now: number): Promise<boolean> {
    const address = ipToInt(ip);
    const entry = this.byIp.get(address);
    if (!entry || entry.mac !== mac || entry.state === 'declined') return false;
    await this.store.releaseLease(mac, ip, now);
    entry.state = 'released';
    entry.expiresAt = now;
    this.giveBack(address);
    return true;
  }

  /**
   * Quarantines `ip` until `until` (DHCPDECLINE: the client found it in use). Only the client the address
   * was offered to or is bound to may decline it, as dnsmasq and Kea require: otherwise any MAC could lock
   * any address (a reserved host's included) out for `declineHold`. Resolves `false` when refused.
   */
  async decline(mac: string, ip: string, until: number, now: number): Promise<boolean> {
    const entry = this.byIp.get(ipToInt(ip));
    if (!entry || entry.mac !== mac || (entry.state !== 'offered' && entry.state !== 'bound')) return false;
    return this.claim(mac, ip, 'declined', until, now);
  }

  /** Usage of each subnet's pool: dynamic addresses and how many are held now (for `/metrics`). */
  poolUsage(now: number): Array<{ pool: string; size: number; used: number }> {
    const usage = new Map<Subnet, number>();
    for (const entry of this.byIp.values()) {
      if (entry.expiresAt <= now) continue;
      for (const [subnet, pools] of this.pools) if (pools.some((pool) => pool.contains(entry.ip))) usage.set(subnet, (usage.get(subnet) ?? 0) + 1);
    }
    return [...this.pools].map(([subnet, pools]) => ({ pool: subnet.name, size: pools.reduce((sum, pool) => sum + pool.size, 0), used: usage.get(subnet) ?? 0 }));
  }

  /** Deletes long-expired rows from the store (housekeeping). */
  async prune(before: number): Promise<number> {
    return this.store.pruneLeases(before);
  }

  /** Returns expired holds to their pools; bounded work per call. */
  reclaimExpired(now: number, limit = 1024): void {
    for (let i = 0; i < limit && this.heap.length > 0 && this.heap[0]!.at <= now; i++) {
      const top = this.popHeap();
      const entry = this.byIp.get(top.ip);
      if (entry && entry.expiresAt === top.at) this.giveBack(top.ip);
    }
  }

  private giveBack(address: number): void {
    for (const pools of this.pools.values()) for (const pool of pools) pool.giveBack(address);
  }

  private remember(mac: string, address: number, state: LeaseState, expiresAt: number, indexMac = true): void {
    const previous = this.byIp.get(address);
    if (previous && previous.mac !== mac && this.byMac.get(previous.mac) === address) this.byMac.delete(previous.mac);
    this.byIp.set(address, { mac, ip: address, state, expiresAt });
    if (indexMac && state !== 'declined') this.byMac.set(mac, address);
    this.pushHeap({ at: expiresAt, ip: address });
  }

  private forget(address: number): void {
    const entry = this.byIp.get(address);
    if (!entry) return;
    this.byIp.delete(address);
    if (this.byMac.get(entry.mac) === address) this.byMac.delete(entry.mac);
    this.giveBack(address);
  }

  private restore(address: number, before: LeaseEntry | undefined, mac: string, previousIp: number | undefined): void {
    if (before) this.byIp.set(address, before);
    else this.byIp.delete(address);
    if (previousIp !== undefined) this.byMac.set(mac, previousIp);
    else if (this.byMac.get(mac) === address) this.byMac.delete(mac);
  }

  private pushHeap(item: { at: number; ip: number }): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= item.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = item;
  }

  private popHeap(): { at: number; ip: number } {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.at < heap[left]!.at ? right : left;
        if (heap[child]!.at >= last.at) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

/** Slice `k` of `count` contiguous, nearly equal slices of a range (empty when the range is too small). */
function sliceOf(range: AddressRange, k: number, count: number): AddressRange[] {
  const size = range.end - range.start + 1;
  const start = range.start + Math.floor((k * size) / count);
  const end = range.start + Math.floor(((k + 1) * size) / count) - 1;
  return end >= start ? [{ start, end }] : [];
}
