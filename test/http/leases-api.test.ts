import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backends } from '../store/backends.js';
import { AUTH, buildHarness, type Harness } from '../../lab/http/harness.js';

describe.each(backends)('leases API ($name)', (backend) => {
  let h: Harness;
  let store: Store;
  let cleanup: () => Promise<void>;
  const now = Date.now();
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
    h = await buildHarness({ store });
    await store.leases.claimLease({ mac: '52:54:00:00:00:01', ip: '10.204.20.1', state: 'bound', expiresAt: now + 3_600_000, updatedAt: now, hostname: 'n1' }, now);
    await store.leases.claimLease({ mac: '52:54:00:00:00:02', ip: '10.204.20.2', state: 'offered', expiresAt: now + 3_600_000, updatedAt: now }, now);
    await store.leases.claimLease({ mac: '52:54:00:00:00:03', ip: '10.204.20.3', state: 'bound', expiresAt: now - 1_000, updatedAt: now - 10_000 }, now - 10_000);
  });
  afterEach(async () => {
    await h.close();
    await cleanup();
  });

  it('lists every lease with an active flag, and filters by mac (any spelling), ip, state and active', async () => {
    const all = await h.app.inject({ url: '/api/v1/leases' });
    expect(all.statusCode).toBe(200);
    expect(all.json().map((l: { ip: string; active: boolean }) => [l.ip, l.active])).toEqual([
      ['10.204.20.1', true],
      ['10.204.20.2', true],
      ['10.204.20.3', false],
    ]);
    expect((await h.app.inject({ url: '/api/v1/leases?mac=52-54-00-00-00-01' })).json()).toEqual([
      { mac: '52:54:00:00:00:01', ip: '10.204.20.1', state: 'bound', expiresAt: now + 3_600_000, updatedAt: now, hostname: 'n1', active: true },
    ]);
    expect((await h.app.inject({ url: '/api/v1/leases?state=offered' })).json().map((l: { ip: string }) => l.ip)).toEqual(['10.204.20.2']);
    expect((await h.app.inject({ url: '/api/v1/leases?active=false' })).json().map((l: { ip: string }) => l.ip)).toEqual(['10.204.20.3']);
    expect((await h.app.inject({ url: '/api/v1/leases?ip=10.204.20.2&active=true' })).json().length).toBe(1);
    expect((await h.app.inject({ url: '/api/v1/leases/10.204.20.1' })).json().hostname).toBe('n1');
  });

  it('400 for bad filters, 404 for an address without a lease', async () => {
    expect((await h.app.inject({ url: '/api/v1/leases?state=lost' })).json()).toMatchObject({ statusCode: 400, path: 'query.state' });
    expect((await h.app.inject({ url: '/api/v1/leases?mac=nope' })).json()).toMatchObject({ statusCode: 400, path: 'query.mac' });
    expect((await h.app.inject({ url: '/api/v1/leases?color=red' })).json()).toMatchObject({ statusCode: 400, path: 'query.color' });
    expect((await h.app.inject({ url: '/api/v1/leases/10.204.20.300' })).json()).toMatchObject({ statusCode: 400, path: 'params.ip' });
    expect((await h.app.inject({ url: '/api/v1/leases/10.204.20.9' })).json()).toMatchObject({ statusCode: 404, code: 'not-found' });
  });

  it('release frees the address at once and is visible to the lease store', async () => {
    const res = await h.app.inject({ method: 'DELETE', url: '/api/v1/leases/10.204.20.1', headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ip: '10.204.20.1', state: 'released', active: false });
    expect(await store.leases.claimLease({ mac: '52:54:00:00:00:09', ip: '10.204.20.1', state: 'bound', expiresAt: Date.now() + 60_000, updatedAt: Date.now() }, Date.now())).toBe(true);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/leases/10.204.20.8', headers: AUTH })).statusCode).toBe(404);
  });
});
