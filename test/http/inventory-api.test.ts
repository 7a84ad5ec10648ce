/**
 * Contract tests for the inventory API (`/api/v1/hosts|profiles|groups`, `/api/v1/import`), against both
 * store backends: status codes, error codes and field paths, and that a refused request writes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/types.js';
import { backends } from '../store/backends.js';
import { AUTH, buildHarness, type Harness } from '../../lab/http/harness.js';

const dom0 = { name: 'dom0', kind: 'xen-dom0', xen: { image: 'xen.gz', args: ['dom0_mem=2G'] }, dom0: { kernel: 'vmlinuz', initrds: ['initrd.img'] } };
const domu = { name: 'guest', kind: 'xen-domu', kernel: 'vmlinuz', initrd: 'initrd.img', args: ['root=/dev/xvda1'], disks: [{ target: '/dev/vg/guest' }] };
const host = { mac: '52-54-00-AA-00-01', hostname: 'node1', ip: '10.204.10.1', profile: 'dom0', labels: { rack: 'r1' } };

describe.each(backends)('inventory API ($name)', (backend) => {
  let h: Harness;
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await backend.open());
    h = await buildHarness({ store, config: { inventory: { profiles: [{ name: 'fromconfig', kind: 'localboot' }], hosts: [{ mac: '52:54:00:cc:00:01', ip: '10.204.10.99' }] } } });
  });
  afterEach(async () => {
    await h.close();
    await cleanup();
  });

  const post = (url: string, payload: unknown) => h.app.inject({ method: 'POST', url, headers: AUTH, payload: payload as object });

  it('creates a profile with defaults filled in, then a host in any MAC spelling; reads and lists them', async () => {
    const created = await post('/api/v1/profiles', dom0);
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/v1/profiles/dom0');
    expect(created.json()).toMatchObject({ ...dom0, xen: { image: 'xen.gz', args: ['dom0_mem=2G'] }, dom0: { kernel: 'vmlinuz', args: [], initrds: ['initrd.img'] }, bootif: true });

    const hostCreated = await post('/api/v1/hosts', host);
    expect(hostCreated.statusCode).toBe(201);
    expect(hostCreated.json().mac).toBe('52:54:00:aa:00:01');
    expect(hostCreated.headers.location).toBe('/api/v1/hosts/52%3A54%3A00%3Aaa%3A00%3A01');

    const read = await h.app.inject({ url: '/api/v1/hosts/525400aa0001' });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ ...host, mac: '52:54:00:aa:00:01' });
    expect((await h.app.inject({ url: '/api/v1/hosts' })).json()).toEqual([{ ...host, mac: '52:54:00:aa:00:01' }]);
    expect((await h.app.inject({ url: '/api/v1/profiles/dom0' })).json().name).toBe('dom0');
    // Each change reloaded the live inventory.
    expect(h.refreshes).toBe(2);
  });

  it('400 with every problem and its path; the profile is checked against the schema of its kind', async () => {
    const bad = await post('/api/v1/hosts', { mac: 'nope', ip: '10.0.0.300', colour: 'red' });
    expect(bad.statusCode).toBe(400);
    const body = bad.json();
    expect(body.code).toBe('validation');
    expect(body.problems).toEqual(
      expect.arrayContaining([
        { path: 'mac', message: 'nope is not a MAC address' },
        { path: 'ip', message: '10.0.0.300 is not an IPv4 address' },
        { path: 'colour', message: 'unknown key' },
      ]),
    );
    const wrongKind = await post('/api/v1/profiles', { name: 'x', kind: 'windows' });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json()).toMatchObject({ code: 'validation', path: 'kind' });
    const missing = await post('/api/v1/profiles', { name: 'x', kind: 'xen-dom0', xen: { image: 'xen.gz' } });
    expect(missing.json()).toMatchObject({ code: 'validation', path: 'dom0', message: 'dom0: is required' });
    // pypxeboot would crash on a bare flag in a domU APPEND: refused with the argument's path.
    const unsafe = await post('/api/v1/profiles', { ...domu, args: ['root=/dev/xvda1', 'quiet'] });
    expect(unsafe.statusCode).toBe(400);
    expect(unsafe.json().path).toBe('args[1]');
    // A boot file DHCP could not hand (option 67 holds 255 bytes) is refused before it is stored.
    const longFile = await post('/api/v1/hosts', { mac: '52:54:00:aa:00:0f', hostname: 'long', loader: { bios: { family: 'pxelinux', file: `boot/${'x'.repeat(300)}.0` } } });
    expect(longFile.statusCode).toBe(400);
    expect(longFile.json()).toMatchObject({ code: 'validation', path: 'loader.bios.file' });
    const spaced = await post('/api/v1/hosts', { mac: '52:54:00:aa:00:0f', hostname: 'spaced', loader: { bios: { family: 'pxelinux', file: 'my loader.0' } } });
    expect(spaced.json()).toMatchObject({ code: 'validation', path: 'loader.bios.file' });
    const notJson = await h.app.inject({ method: 'POST', url: '/api/v1/hosts', headers: { ...AUTH, 'content-type': 'application/json' }, payload: '{"mac":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().code).toBe('bad-request');
    expect(await store.inventory.list('hosts')).toEqual([]);
    expect(await store.inventory.list('profiles')).toEqual([]);
  });

  it('422 for a host or group naming a profile that exists nowhere; config-file profiles count', async () => {
    const missing = await post('/api/v1/hosts', { ...host, profile: 'ghost' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'missing-reference', path: 'profile' });
    const group = await post('/api/v1/groups', { name: 'rack1', selector: { rack: 'r1' }, profile: 'ghost' });
    expect(group.statusCode).toBe(422);
    expect((await post('/api/v1/hosts', { ...host, profile: 'fromconfig' })).statusCode).toBe(201);
  });

  it('409 for a duplicate MAC, a duplicate IP (store or config file) and a duplicate name', async () => {
    await post('/api/v1/profiles', dom0);
    await post('/api/v1/hosts', host);
    const dupMac = await post('/api/v1/hosts', { mac: '52:54:00:aa:00:01' });
    expect(dupMac.statusCode).toBe(409);
    expect(dupMac.json()).toMatchObject({ code: 'conflict', path: 'mac' });
    const dupIp = await post('/api/v1/hosts', { mac: '52:54:00:aa:00:02', ip: '10.204.10.1' });
    expect(dupIp.json()).toMatchObject({ statusCode: 409, code: 'conflict', path: 'ip' });
    const configIp = await post('/api/v1/hosts', { mac: '52:54:00:aa:00:03', ip: '10.204.10.99' });
    expect(configIp.json()).toMatchObject({ statusCode: 409, path: 'ip' });
    expect((await post('/api/v1/profiles', dom0)).json()).toMatchObject({ statusCode: 409, path: 'name' });
    expect((await store.inventory.list('hosts')).length).toBe(1);
  });

  it('PUT creates (201) or replaces (200), renames a host by MAC; DELETE removes (204) or 404s', async () => {
    await post('/api/v1/profiles', dom0);
    const put = (url: string, payload: object) => h.app.inject({ method: 'PUT', url, headers: AUTH, payload });
    expect((await put('/api/v1/hosts/52:54:00:aa:00:01', { hostname: 'a' })).statusCode).toBe(201);
    const replaced = await put('/api/v1/hosts/52-54-00-aa-00-01', { hostname: 'b', profile: 'dom0' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toEqual({ mac: '52:54:00:aa:00:01', hostname: 'b', profile: 'dom0' });
    const renamed = await put('/api/v1/hosts/52-54-00-aa-00-01', { mac: '52:54:00:aa:00:09', hostname: 'b' });
    expect(renamed.statusCode).toBe(200);
    const renameMissing = await put('/api/v1/hosts/52-54-00-aa-00-07', { mac: '52:54:00:aa:00:08' });
    expect(renameMissing.json()).toMatchObject({ statusCode: 404, path: 'params.mac' });
    expect((await h.app.inject({ url: '/api/v1/hosts/52:54:00:aa:00:08' })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/api/v1/hosts/52:54:00:aa:00:01' })).statusCode).toBe(404);
    const gone = await h.app.inject({ method: 'DELETE', url: '/api/v1/hosts/52:54:00:aa:00:09', headers: AUTH });
    expect(gone.statusCode).toBe(204);
    const again = await h.app.inject({ method: 'DELETE', url: '/api/v1/hosts/52:54:00:aa:00:09', headers: AUTH });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('not-found');
    // Racing PUTs of one new key are upserts: none is refused, one of them is stored.
    const racing = await Promise.all(['x1', 'x2', 'x3'].map((hostname) => put('/api/v1/hosts/52:54:00:aa:00:0a', { hostname })));
    for (const res of racing) expect([200, 201]).toContain(res.statusCode);
    expect(['x1', 'x2', 'x3']).toContain((await store.inventory.get('hosts', '52:54:00:aa:00:0a'))?.hostname);
    const badMac = await h.app.inject({ url: '/api/v1/hosts/zz' });
    expect(badMac.json()).toMatchObject({ statusCode: 400, path: 'params.mac' });
  });

  it('refuses to delete a profile a host still uses (409), allows it once unused', async () => {
    await post('/api/v1/profiles', dom0);
    await post('/api/v1/hosts', host);
    const refused = await h.app.inject({ method: 'DELETE', url: '/api/v1/profiles/dom0', headers: AUTH });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().message).toContain('52:54:00:aa:00:01');
    await h.app.inject({ method: 'DELETE', url: '/api/v1/hosts/52:54:00:aa:00:01', headers: AUTH });
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/profiles/dom0', headers: AUTH })).statusCode).toBe(204);
  });

  it('imports JSON in one transaction: all or nothing, errors located by list and index', async () => {
    const ok = await post('/api/v1/import', { profiles: [dom0, domu], groups: [{ name: 'rack1', selector: { rack: 'r1' }, profile: 'dom0' }], hosts: [host, { mac: '52:54:00:aa:00:02' }] });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ imported: { profiles: 2, groups: 1, hosts: 2 }, mode: 'create' });
    expect(h.refreshes).toBe(1);

    const before = await store.inventory.revision();
    const conflict = await post('/api/v1/import', { profiles: [{ name: 'p2', kind: 'localboot' }], hosts: [{ mac: '52:54:00:aa:00:05' }, { mac: '52:54:00:aa:00:02' }] });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json()).toMatchObject({ code: 'conflict', path: 'hosts[1].mac' });
    const invalid = await post('/api/v1/import', { hosts: [{ mac: '52:54:00:aa:00:06' }, { mac: 'x' }, { mac: '52:54:00:aa:00:07', ip: 'y' }] });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().problems.map((p: { path: string }) => p.path)).toEqual(['hosts[1].mac', 'hosts[2].ip']);
    const reference = await post('/api/v1/import', { hosts: [{ mac: '52:54:00:aa:00:08', profile: 'nope' }] });
    expect(reference.json()).toMatchObject({ statusCode: 422, path: 'hosts[0].profile' });
    expect((await post('/api/v1/import', { machines: [] })).json()).toMatchObject({ statusCode: 400, path: 'machines' });
    expect(await store.inventory.revision()).toBe(before);
    expect(await store.inventory.get('profiles', 'p2')).toBeNull();

    const upsert = await post('/api/v1/import?mode=upsert', { hosts: [{ mac: '52:54:00:aa:00:02', hostname: 'renamed' }] });
    expect(upsert.statusCode).toBe(200);
    expect((await store.inventory.get('hosts', '52:54:00:aa:00:02'))?.hostname).toBe('renamed');
    expect((await post('/api/v1/import?mode=merge', { hosts: [] })).json()).toMatchObject({ statusCode: 400, path: 'query.mode' });
  });

  it('imports hosts from CSV (header optional, labels as k=v;k=v) and reports lines', async () => {
    await post('/api/v1/profiles', dom0);
    const csv = 'mac,hostname,ip,profile,labels\n52:54:00:bb:00:01,n1,10.204.11.1,dom0,rack=r1;role=dom0\r\n"52-54-00-BB-00-02","n2",,,\n';
    const ok = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: csv });
    expect(ok.statusCode).toBe(200);
    expect(await store.inventory.get('hosts', '52:54:00:bb:00:01')).toEqual({ mac: '52:54:00:bb:00:01', hostname: 'n1', ip: '10.204.11.1', profile: 'dom0', labels: { rack: 'r1', role: 'dom0' } });
    expect(await store.inventory.get('hosts', '52:54:00:bb:00:02')).toEqual({ mac: '52:54:00:bb:00:02', hostname: 'n2' });
    const bad = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: '52:54:00:bb:00:03,n3,10.1.1.1,dom0,rack\n' });
    expect(bad.json()).toMatchObject({ statusCode: 400, path: 'line 1.labels' });
    const quote = await h.app.inject({ method: 'POST', url: '/api/v1/import', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: '"52:54:00:bb:00:03,n3\n' });
    expect(quote.json()).toMatchObject({ statusCode: 400, message: expect.stringContaining('unterminated') });
  });
});

describe('inventory API: groups and media types', () => {
  it('groups: create, read, replace, list, delete; unsupported body types get 415', async () => {
    const h = await buildHarness({ config: { inventory: { profiles: [{ name: 'local', kind: 'localboot' }] } } });
    try {
      const group = { name: 'rack1', selector: { rack: 'r1' }, profile: 'local' };
      const created = await h.app.inject({ method: 'POST', url: '/api/v1/groups', headers: AUTH, payload: group });
      expect(created.statusCode).toBe(201);
      expect(created.headers.location).toBe('/api/v1/groups/rack1');
      expect((await h.app.inject({ url: '/api/v1/groups/rack1' })).json()).toEqual(group);
      const replaced = await h.app.inject({ method: 'PUT', url: '/api/v1/groups/rack1', headers: AUTH, payload: { selector: { rack: 'r1', role: 'dom0' }, vars: { a: 'b' } } });
      expect(replaced.statusCode).toBe(200);
      expect(replaced.json()).toEqual({ name: 'rack1', selector: { rack: 'r1', role: 'dom0' }, vars: { a: 'b' } });
      // A group that changes nothing is refused by the shared inventory checks.
      const useless = await h.app.inject({ method: 'POST', url: '/api/v1/groups', headers: AUTH, payload: { name: 'g2', selector: { rack: 'r2' } } });
      expect(useless.json()).toMatchObject({ statusCode: 400, code: 'validation', message: expect.stringContaining('neither profile nor vars') });
      expect((await h.app.inject({ url: '/api/v1/groups' })).json().map((g: { name: string }) => g.name)).toEqual(['rack1']);
      expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/groups/rack1', headers: AUTH })).statusCode).toBe(204);
      expect((await h.app.inject({ url: '/api/v1/groups/rack1' })).json()).toMatchObject({ statusCode: 404, path: 'params.name' });
      const xml = await h.app.inject({ method: 'POST', url: '/api/v1/groups', headers: { ...AUTH, 'content-type': 'application/xml' }, payload: '<group/>' });
      expect(xml.statusCode).toBe(415);
      expect(xml.json().code).toBe('unsupported-media-type');
      const csvToGroups = await h.app.inject({ method: 'POST', url: '/api/v1/groups', headers: { ...AUTH, 'content-type': 'text/csv' }, payload: 'a,b' });
      expect(csvToGroups.json()).toMatchObject({ statusCode: 400, code: 'validation' });
    } finally {
      await h.close();
    }
  });
});

describe('the inventory in effect', () => {
  it('GET /api/v1/inventory merges config file and store, marks sources, and shows each host’s profile choice at once', async () => {
    const h = await buildHarness({
      config: {
        inventory: {
          profiles: [{ name: 'local', kind: 'localboot' }],
          groups: [{ name: 'rack1', selector: { rack: 'r1' }, profile: 'local' }],
          hosts: [{ mac: '52:54:00:dd:00:01', labels: { rack: 'r1' } }, { mac: '52:54:00:dd:00:02', profile: 'local' }],
        },
      },
    });
    try {
      await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: AUTH, payload: dom0 });
      // The store's host overrides the config file's entry for the same MAC.
      await h.app.inject({ method: 'PUT', url: '/api/v1/hosts/52:54:00:dd:00:02', headers: AUTH, payload: { profile: 'dom0' } });
      const res = await h.app.inject({ url: '/api/v1/inventory' });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.profiles.map((p: { name: string; source: string }) => [p.name, p.source])).toEqual([
        ['local', 'config'],
        ['dom0', 'store'],
      ]);
      expect(body.hosts).toEqual([
        { mac: '52:54:00:dd:00:01', labels: { rack: 'r1' }, profile: 'local', profileFrom: 'group rack1', groups: ['rack1'], source: 'config' },
        { mac: '52:54:00:dd:00:02', labels: {}, profile: 'dom0', profileFrom: 'host', groups: [], source: 'store' },
      ]);
      expect(body.unknown).toEqual({ boot: 'nothing' });
    } finally {
      await h.close();
    }
  });
});

describe.each(backends)('inventory API under concurrent writes ($name)', (backend) => {
  it('a profile deletion racing host creations that name it never leaves a host pointing at nothing', async () => {
    const { store, cleanup } = await backend.open();
    const h = await buildHarness({ store });
    try {
      for (let round = 0; round < 5; round += 1) {
        const profile = { name: `p${round}`, kind: 'localboot' };
        expect((await h.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: AUTH, payload: profile })).statusCode).toBe(201);
        const mac = (i: number) => `52:54:00:ee:${round.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}`;
        const creations = Array.from({ length: 4 }, (_, i) =>
          h.app.inject({ method: 'POST', url: '/api/v1/hosts', headers: AUTH, payload: { mac: mac(i), profile: profile.name } }),
        );
        const deletion = h.app.inject({ method: 'DELETE', url: `/api/v1/profiles/${profile.name}`, headers: AUTH });
        const [deleted, ...created] = await Promise.all([deletion, ...creations]);
        const hosts = (await store.inventory.list('hosts')).filter((d) => d.profile === profile.name);
        const profileLeft = await store.inventory.get('profiles', profile.name);
        // Either the profile went first (every later host is refused with 422), or some hosts went first
        // (then the deletion is refused with 409 and the profile stays): never hosts without their profile.
        if (profileLeft === null) {
          expect(hosts).toEqual([]);
          expect(deleted!.statusCode).toBe(204);
        } else {
          expect(deleted!.statusCode).toBe(409);
        }
        for (const response of created) expect([201, 422]).toContain(response.statusCode);
        expect(created.filter((r) => r.statusCode === 201).length).toBe(hosts.length);
      }
    } finally {
      await h.close();
      await cleanup();
    }
  });
});

describe.each(backends)('inventory API: two instances sharing one store ($name)', (backend) => {
  it('a profile deleted through one instance while the other creates hosts naming it never leaves a host pointing at nothing', async () => {
    const { store, reopen, cleanup } = await backend.open();
    // Two instances: each its own app and its own connection(s) to the same database.
    const first = await buildHarness({ store });
    const second = await buildHarness({ store: await reopen() });
    try {
      for (let round = 0; round < 8; round += 1) {
        const profile = { name: `shared${round}`, kind: 'localboot' };
        expect((await first.app.inject({ method: 'POST', url: '/api/v1/profiles', headers: AUTH, payload: profile })).statusCode).toBe(201);
        const mac = (i: number) => `52:54:00:ef:${round.toString(16).padStart(2, '0')}:${i.toString(16).padStart(2, '0')}`;
        const creations = Array.from({ length: 3 }, (_, i) =>
          second.app.inject({ method: 'POST', url: '/api/v1/hosts', headers: AUTH, payload: { mac: mac(i), profile: profile.name } }),
        );
        const deletion = first.app.inject({ method: 'DELETE', url: `/api/v1/profiles/${profile.name}`, headers: AUTH });
        const [deleted, ...created] = await Promise.all([deletion, ...creations]);
        const hosts = (await store.inventory.list('hosts')).filter((d) => d.profile === profile.name);
        const profileLeft = await store.inventory.get('profiles', profile.name);
        if (profileLeft === null) {
          expect(hosts, `round ${round}: hosts name a deleted profile`).toEqual([]);
          expect(deleted!.statusCode).toBe(204);
        } else {
          expect(deleted!.statusCode).toBe(409);
        }
        for (const response of created) expect([201, 422]).toContain(response.statusCode);
        expect(created.filter((r) => r.statusCode === 201).length).toBe(hosts.length);
      }
    } finally {
      await second.close();
      await first.close();
      await cleanup();
    }
  });
});
