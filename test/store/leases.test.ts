import { describe, expect, it } from 'vitest';
import type { Lease, Store } from '../../src/store/types.js';
import { backends, freshStoreEach } from './backends.js';

const A = 'aa:aa:aa:00:00:01';
const B = 'bb:bb:bb:00:00:02';
const T0 = 1_700_000_000_000;

function lease(mac: string, ip: string, expiresAt: number, extra: Partial<Lease> = {}): Lease {
  return { mac, ip, state: 'bound', expiresAt, updatedAt: T0, ...extra };
}

describe.each(backends)('lease store ($name)', (backend) => {
  let store: Store;
  freshStoreEach(backend, (opened) => (store = opened));

  it('claims a free address and reads it back by IP and by MAC, optional fields included', async () => {
    expect(await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 60_000, { clientId: '01aaaaaa000001', hostname: 'node1' }), T0)).toBe(true);
    const byIp = await store.leases.getLeaseByIp('10.204.0.10');
    expect(byIp).toEqual({ mac: A, ip: '10.204.0.10', state: 'bound', expiresAt: T0 + 60_000, updatedAt: T0, clientId: '01aaaaaa000001', hostname: 'node1' });
    expect(await store.leases.getLeaseByMac(A)).toEqual(byIp);
    expect(await store.leases.getLeaseByMac(B)).toBeNull();
    expect(await store.leases.getLeaseByIp('10.204.0.11')).toBeNull();
  });

  it('refuses an address another MAC holds until it expires, then hands it over', async () => {
    expect(await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 60_000), T0)).toBe(true);
    expect(await store.leases.claimLease(lease(B, '10.204.0.10', T0 + 120_000), T0 + 1_000)).toBe(false);
    expect((await store.leases.getLeaseByIp('10.204.0.10'))?.mac).toBe(A);
    // Exactly at expiry the address is free (`expiresAt <= now`).
    expect(await store.leases.claimLease(lease(B, '10.204.0.10', T0 + 120_000), T0 + 60_000)).toBe(true);
    expect((await store.leases.getLeaseByIp('10.204.0.10'))?.mac).toBe(B);
    expect(await store.leases.getLeaseByMac(A)).toBeNull();
  });

  it('lets the holder renew and keeps one address per MAC (the old one is removed)', async () => {
    expect(await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 60_000, { state: 'offered' }), T0)).toBe(true);
    expect(await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 90_000), T0 + 10)).toBe(true);
    expect((await store.leases.getLeaseByIp('10.204.0.10'))?.state).toBe('bound');
    expect(await store.leases.claimLease(lease(A, '10.204.0.20', T0 + 90_000, { updatedAt: T0 + 20 }), T0 + 20)).toBe(true);
    const all = await store.leases.listLeases();
    expect(all.map((l) => [l.ip, l.mac])).toEqual([['10.204.0.20', A]]);
  });

  it('a refused claim writes nothing, not even the removal of the MAC’s other address', async () => {
    await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 60_000), T0);
    await store.leases.claimLease(lease(B, '10.204.0.11', T0 + 60_000), T0);
    expect(await store.leases.claimLease(lease(B, '10.204.0.10', T0 + 60_000), T0 + 5)).toBe(false);
    expect((await store.leases.listLeases()).map((l) => [l.ip, l.mac])).toEqual([
      ['10.204.0.10', A],
      ['10.204.0.11', B],
    ]);
  });

  it('keeps a declined address quarantined for its MAC while that MAC takes another one', async () => {
    await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 600_000, { state: 'declined' }), T0);
    expect(await store.leases.claimLease(lease(A, '10.204.0.11', T0 + 60_000), T0 + 1)).toBe(true);
    expect(await store.leases.claimLease(lease(B, '10.204.0.10', T0 + 60_000), T0 + 2)).toBe(false);
    expect((await store.leases.getLeaseByIp('10.204.0.10'))?.state).toBe('declined');
    expect((await store.leases.getLeaseByMac(A))?.ip).toBe('10.204.0.11');
  });

  it('release marks only the owner’s row released and frees the address at once', async () => {
    await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 60_000), T0);
    await store.leases.releaseLease(B, '10.204.0.10', T0 + 5);
    expect((await store.leases.getLeaseByIp('10.204.0.10'))?.state).toBe('bound');
    await store.leases.releaseLease(A, '10.204.0.10', T0 + 5);
    expect(await store.leases.getLeaseByIp('10.204.0.10')).toMatchObject({ state: 'released', expiresAt: T0 + 5, updatedAt: T0 + 5 });
    expect(await store.leases.claimLease(lease(B, '10.204.0.10', T0 + 60_000), T0 + 5)).toBe(true);
  });

  it('prunes rows that expired before the cut-off and reports how many', async () => {
    await store.leases.claimLease(lease(A, '10.204.0.10', T0 + 10), T0);
    await store.leases.claimLease(lease(B, '10.204.0.11', T0 + 1_000), T0);
    expect(await store.leases.pruneLeases(T0 + 500)).toBe(1);
    expect((await store.leases.listLeases()).map((l) => l.ip)).toEqual(['10.204.0.11']);
  });
});
