/**
 * Access control: changes need the bearer token (401 without, 403 with a wrong one, 403 when no token is
 * configured); reads need the token too unless `http.readAccess: open`. Refused changes write nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tokensMatch } from '../../src/http/auth.js';
import { AUTH, TOKEN, buildHarness, type Harness } from '../../lab/http/harness.js';

const profile = { name: 'p', kind: 'localboot' };

describe('API access control', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('changes: 401 without a token (with WWW-Authenticate), 403 with a wrong one, 201 with the right one', async () => {
    h = await buildHarness();
    const none = await h.app.inject({ method: 'POST', url: '/api/v1/profiles', payload: profile });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="xenboot"');
    expect(none.json()).toMatchObject({ statusCode: 401, code: 'unauthorized' });
    const basic = await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }, payload: profile });
    expect(basic.statusCode).toBe(401);
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), 'short']) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: { authorization: `Bearer ${wrong}` }, payload: profile });
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('forbidden');
    }
    for (const method of ['PUT', 'DELETE'] as const) {
      expect((await h.app.inject({ method, url: '/api/v1/profiles/p', payload: method === 'PUT' ? profile : undefined })).statusCode).toBe(401);
    }
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/leases/10.0.0.1' })).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/import', payload: { profiles: [profile] } })).statusCode).toBe(401);
    expect(await h.store.inventory.list('profiles')).toEqual([]);
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: { authorization: `bearer  ${TOKEN}` }, payload: profile })).statusCode).toBe(201);
  });

  it('reads need the token by default and are open with readAccess: open', async () => {
    h = await buildHarness({ config: { http: { token: TOKEN, readAccess: 'open' } } });
    expect((await h.app.inject({ url: '/api/v1/hosts' })).statusCode).toBe(200);
    await h.close();
    h = await buildHarness({ config: { http: { token: TOKEN } } });
    for (const url of ['/api/v1/hosts', '/api/v1/profiles/p', '/api/v1/leases', '/api/v1/machines/52:54:00:00:00:01/timeline']) {
      expect((await h.app.inject({ url })).statusCode, url).toBe(401);
      expect((await h.app.inject({ url, headers: { authorization: 'Bearer wrong-token-000000' } })).statusCode, url).toBe(403);
    }
    expect((await h.app.inject({ url: '/api/v1/hosts', headers: AUTH })).statusCode).toBe(200);
    // Health, metrics and boot files never need a token: firmware cannot send one.
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });

  it('without a configured token the API is read-only (403 for every change)', async () => {
    h = await buildHarness({ config: { http: { readAccess: 'open' } } });
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: AUTH, payload: profile });
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain('http.token');
    expect((await h.app.inject({ url: '/api/v1/profiles' })).statusCode).toBe(200);
  });

  it('a config with a too-short token is refused at load time', async () => {
    await expect(buildHarness({ config: { http: { token: 'short' } } })).rejects.toThrow(/http\.token/);
    h = await buildHarness();
  });

  it('compares tokens by value regardless of length', () => {
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true);
    expect(tokensMatch(TOKEN, `${TOKEN} `)).toBe(false);
    expect(tokensMatch('', TOKEN)).toBe(false);
  });
});

describe('boot routes and read access', () => {
  it('with readAccess: token, /api/v1/explain needs the token; boot files stay open', async () => {
    const { buildApp } = await import('../../src/http/app.js');
    const h = await buildHarness({ config: { http: { token: TOKEN, readAccess: 'token' } } });
    const app = await buildApp({
      config: h.config,
      logger: (await import('../../src/log.js')).silentLogger(),
      events: h.bus,
      store: h.store,
      extraRoutes: (routes) => {
        routes.get('/api/v1/explain', async () => ({ explained: true }));
        routes.get('/boot.ipxe', async () => '#!ipxe\n');
      },
    });
    try {
      expect((await app.inject({ url: '/api/v1/explain?mac=52:54:00:00:00:01' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/v1/explain?mac=52:54:00:00:00:01', headers: AUTH })).json()).toEqual({ explained: true });
      expect((await app.inject({ url: '/boot.ipxe?mac=52:54:00:00:00:01' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await h.close();
    }
  });
});
