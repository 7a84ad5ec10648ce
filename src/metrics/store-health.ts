/**
 * Whether the store still takes writes. `/readyz` pinging the store is not enough: a full disk answers
 * reads (and `SELECT 1`) while every lease and event write fails. `StoreWriteHealth.track` wraps a store's
 * lease and event writes; after a failed write, and until the next write succeeds, `problem()` says why,
 * and `/readyz` answers 503 with it. Inventory writes are not tracked: they fail on purpose (conflicts).
 */
import type { Store } from '../store/types.js';

/** The write health of one store. */
export class StoreWriteHealth {
  /** Writes that failed since start. */
  failures = 0;
  private lastError: string | null = null;

  /** Why the store is not taking writes now, or `null` when the last write succeeded. */
  problem(): string | null {
    return this.lastError;
  }

  /** A store whose lease and event writes report to this tracker (reads pass through). */
  track(store: Store): Store {
    const watch = <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          const result = await write(...args);
          this.lastError = null;
          return result;
        } catch (error) {
          this.failures += 1;
          this.lastError = (error as Error).message;
          throw error;
        }
      };
    const { leases, events } = store;
    return {
      ...store,
      ping: () => store.ping(),
      close: () => store.close(),
      leases: {
        ...leases,
        listLeases: () => leases.listLeases(),
        getLeaseByIp: (ip) => leases.getLeaseByIp(ip),
        getLeaseByMac: (mac) => leases.getLeaseByMac(mac),
        claimLease: watch((lease, now) => leases.claimLease(lease, now)),
        releaseLease: watch((mac, ip, now) => leases.releaseLease(mac, ip, now)),
        pruneLeases: watch((before) => leases.pruneLeases(before)),
      },
      events: {
        ...events,
        listEvents: (query) => events.listEvents(query),
        appendEvent: watch((event) => events.appendEvent(event)),
        appendEvents: watch((list) => events.appendEvents(list)),
        pruneEvents: watch((options) => events.pruneEvents(options)),
      },
    };
  }
}
