/**
 * A `LeaseStore` held in a Map: a test double for the DHCP responder's tests and the lease benchmark,
 * where a database would only add time. It keeps the backends' semantics (see `LeaseStore.claimLease`).
 * xenboot itself never uses it: `store.kind: memory` is an in-memory SQLite database (`store/open.ts`).
 */
import type { Lease, LeaseStore } from '../../src/store/types.js';

/** Creates an empty in-memory lease store. */
export function createMemoryLeaseStore(): LeaseStore {
  const byIp = new Map<string, Lease>();

  const newestForMac = (mac: string): Lease | null => {
    let best: Lease | null = null;
    for (const lease of byIp.values()) {
      if (lease.mac === mac && lease.state !== 'declined' && (!best || lease.updatedAt > best.updatedAt)) best = lease;
    }
    return best;
  };

  return {
    async listLeases() {
      return [...byIp.values()].map((l) => ({ ...l }));
    },
    async getLeaseByIp(ip) {
      const lease = byIp.get(ip);
      return lease ? { ...lease } : null;
    },
    async getLeaseByMac(mac) {
      const lease = newestForMac(mac);
      return lease ? { ...lease } : null;
    },
    async claimLease(lease, now) {
      const holder = byIp.get(lease.ip);
      if (holder && holder.mac !== lease.mac && holder.expiresAt > now) return false;
      for (const [ip, other] of byIp) {
        if (other.mac === lease.mac && ip !== lease.ip && other.state !== 'declined') byIp.delete(ip);
      }
      byIp.set(lease.ip, { ...lease });
      return true;
    },
    async releaseLease(mac, ip, now) {
      const lease = byIp.get(ip);
      if (lease && lease.mac === mac) byIp.set(ip, { ...lease, state: 'released', expiresAt: now, updatedAt: now });
    },
    async pruneLeases(before) {
      let removed = 0;
      for (const [ip, lease] of byIp) {
        if (lease.expiresAt < before) {
          byIp.delete(ip);
          removed += 1;
        }
      }
      return removed;
    },
  };
}
