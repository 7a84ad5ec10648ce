/**
 * Readiness and drop counters (issue 17, item 13): `/readyz` fails while the store refuses writes (a full
 * disk answers `SELECT 1`), and `/metrics` carries the DHCP and TFTP drop counters and store write failures.
 */
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { StoreWriteHealth } from '../../src/metrics/store-health.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/types.js';
import { buildHarness } from '../../lab/http/harness.js';

describe('/readyz and failing writes', () => {
  it('is 503 after a failed write, naming the error, and ready again after a successful one', async () => {
    const h = await buildHarness();
    const inner = openSqliteStore(':memory:');
    let full = false;
    const disk: Store = {
      ...inner,
      leases: {
        ...inner.leases,
        claimLease: async (lease, now) => {
          if (full) throw new Error('SQLITE_FULL: database or disk is full');
          return inner.leases.claimLease(lease, now);
        },
      },
    };
    const writes = new StoreWriteHealth();
    const store = writes.track(disk);
    const app = await buildApp({ config: h.config, logger: silentLogger(), events: h.bus, store, storeWrites: writes });
    try {
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      full = true;
      const lease = { mac: '02:00:00:00:00:01', ip: '10.0.0.5', state: 'bound' as const, expiresAt: 2, updatedAt: 1 };
      await expect(store.leases.claimLease(lease, 1)).rejects.toThrow(/SQLITE_FULL/);
      const down = await app.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json().message).toMatch(/refuses writes: SQLITE_FULL/);
      full = false;
      await store.leases.claimLease(lease, 1);
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      expect(writes.failures).toBe(1);
    } finally {
      await app.close();
      await inner.close();
      await h.close();
    }
  });
});

describe('/metrics drop counters', () => {
  it('shows DHCP malformed, rate-limited, overload and pool-exhausted, TFTP strangers, and store write failures', async () => {
    const metrics = new Metrics({
      processMetrics: false,
      counters: () => ({
        dhcp: { malformed: 3, rateLimited: 5, poolExhausted: 7, shed: 8, overloaded: 9 },
        tftp: { malformed: 1, unexpected: 2, duplicates: 4, strangers: 11, transferGarbage: 6 },
        storeWriteFailures: 2,
      }),
    });
    const { body } = await metrics.render();
    expect(body).toContain('xenboot_dhcp_dropped_total{reason="malformed"} 3');
    expect(body).toContain('xenboot_dhcp_dropped_total{reason="rate-limited"} 5');
    expect(body).toContain('xenboot_dhcp_pool_exhausted_total 7');
    // DISCOVERs shed by the native ring and those the node:dgram engine dropped while holding: one reason.
    expect(body).toContain('xenboot_dhcp_dropped_total{reason="overload"} 17');
    expect(body).toContain('xenboot_tftp_dropped_total{reason="stranger"} 11');
    expect(body).toContain('xenboot_store_write_failures_total 2');
  });
});
