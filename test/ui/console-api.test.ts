/**
 * The endpoints the console reads (`/api/v1/machines`, `/api/v1/overview`, `/api/v1/inventory/<kind>/<key>`)
 * and how its page and assets are served, driven with `inject()` on the HTTP harness.
 */
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BootEvent } from '../../src/timeline/types.js';
import { AUTH, buildHarness, type Harness } from '../../lab/http/harness.js';

const KNOWN = '52:54:00:dd:00:01';
const STRANGER = '52:54:00:dd:00:02';

describe('console endpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await buildHarness({
      config: { inventory: { profiles: [{ name: 'rescue', kind: 'linux', kernel: 'vmlinuz' }], hosts: [{ mac: KNOWN, hostname: 'node1', profile: 'rescue' }] } },
    });
  });
  afterEach(async () => h.close());

  const emit = async (events: BootEvent[]) => {
    for (const e of events) h.bus.emit(e);
    await h.recorder.flush();
  };

  it('lists known machines and MACs seen in DHCP as unknown, with state, last phase, firmware and search', async () => {
    const now = Date.now();
    await emit([
      { kind: 'dhcp', at: now - 2000, mac: STRANGER, messageType: 'DISCOVER', reply: null, reason: 'unknown MAC ignored', arch: 7 },
      { kind: 'dhcp', at: now - 1500, mac: KNOWN, messageType: 'DISCOVER', reply: 'OFFER', yiaddr: '10.0.0.5', bootFile: 'pxelinux.0' },
      { kind: 'tftp', at: now - 1000, mac: KNOWN, ip: '10.0.0.5', port: 2000, serverIp: '10.0.0.1', file: 'vmlinuz', outcome: 'timeout', bytes: 10, size: 100, blksize: 512, windowsize: 1, durationMs: 500, retransmits: 5, sendBufferFull: 0 },
    ]);
    const res = await h.app.inject({ url: '/api/v1/machines' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(2);
    expect(body.counts).toMatchObject({ failed: 1, unknown: 1 });
    expect(body.machines[0]).toMatchObject({ mac: KNOWN, known: true, hostname: 'node1', profile: 'rescue', state: 'failed', lastPhase: 'tftp vmlinuz timeout' });
    expect(body.machines[1]).toMatchObject({ mac: STRANGER, known: false, state: 'unknown', arch: 7, lastPhase: 'dhcp DISCOVER→none' });
    const search = (await h.app.inject({ url: '/api/v1/machines?q=52-54-00-DD-00-02' })).json();
    expect(search.machines.map((m: { mac: string }) => m.mac)).toEqual([STRANGER]);
    const paged = (await h.app.inject({ url: '/api/v1/machines?offset=1&limit=1' })).json();
    expect(paged.machines.map((m: { mac: string }) => m.mac)).toEqual([STRANGER]);
  });

  it('counts boots and failures per minute in the overview', async () => {
    const now = Date.now();
    await emit([
      { kind: 'dhcp', at: now - 1000, mac: KNOWN, messageType: 'REQUEST', reply: 'ACK', yiaddr: '10.0.0.5', bootFile: 'pxelinux.0' },
      { kind: 'http', at: now - 500, mac: KNOWN, method: 'GET', path: '/missing', status: 404, bytes: 0, durationMs: 1 },
    ]);
    const o = (await h.app.inject({ url: '/api/v1/overview' })).json();
    expect(o.perMinute).toHaveLength(60);
    expect(o.perMinute.reduce((s: number, m: { boots: number }) => s + m.boots, 0)).toBe(1);
    expect(o.perMinute.reduce((s: number, m: { failures: number }) => s + m.failures, 0)).toBe(1);
    expect(o.recentErrors).toHaveLength(1);
    expect(o.bootingNow).toBe(0); // its last event failed
  });

  it('answers where a profile lives: the config file, then the store once overridden', async () => {
    const storeOnly = await h.app.inject({ url: '/api/v1/profiles/rescue' });
    expect(storeOnly.statusCode).toBe(404);
    expect(storeOnly.json().message).toContain('defined in the config file (read-only here); GET /api/v1/inventory/profiles/rescue');
    expect((await h.app.inject({ url: '/api/v1/inventory/profiles/rescue' })).json()).toMatchObject({ name: 'rescue', kind: 'linux', source: 'config' });
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/profiles/rescue', headers: AUTH, payload: { name: 'rescue', kind: 'linux', kernel: 'vmlinuz-2' } });
    expect(put.statusCode).toBe(201);
    expect((await h.app.inject({ url: '/api/v1/inventory/profiles/rescue' })).json()).toMatchObject({ kernel: 'vmlinuz-2', source: 'store' });
    expect((await h.app.inject({ url: `/api/v1/inventory/hosts/${KNOWN.replace(/:/g, '-')}` })).json()).toMatchObject({ mac: KNOWN, profile: 'rescue', source: 'config' });
    expect((await h.app.inject({ url: '/api/v1/inventory/groups/none' })).statusCode).toBe(404);
  });

  it('documents the endpoints in the OpenAPI document', async () => {
    const paths = Object.keys((await h.app.inject({ url: '/openapi.json' })).json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/machines', '/api/v1/overview', '/api/v1/inventory/profiles/{key}', '/api/v1/inventory/hosts/{key}']));
    expect(paths).not.toContain('/');
  });

  it('serves the page and compressed, cacheable assets from this origin only, and keeps them out of the timeline', async () => {
    const page = await h.app.inject({ url: '/', headers: { 'accept-encoding': 'gzip' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-encoding']).toBe('gzip');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const html = gunzipSync(page.rawPayload).toString();
    const js = /src="(\/ui\/main\.js\?v=[^"]+)"/.exec(html)![1]!;
    expect(html).not.toMatch(/https?:\/\//);
    const asset = await h.app.inject({ url: js, headers: { 'accept-encoding': 'br, gzip' } });
    expect(asset.headers['content-encoding']).toBe('br');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await h.app.inject({ url: js, headers: { 'if-none-match': String(asset.headers.etag) } })).statusCode).toBe(304);
    await h.recorder.flush();
    expect(await h.store.events.listEvents({})).toEqual([]);
  });
});
