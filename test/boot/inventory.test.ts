import { describe, expect, it } from 'vitest';
import { createInventoryBooter } from '../../src/boot/inventory-booter.js';
import { Inventory, InventoryIndex, InventoryProvider, mergeInventoryInputs, type NextBootOverride } from '../../src/inventory/snapshot.js';
import type { Booter } from '../../src/boot/machine.js';
import type { Host } from '../../src/inventory/model.js';
import { dom0, domu, linux, localboot } from './fixtures.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

const profiles = [dom0, domu, linux, localboot];

describe('inventory selection: most specific match first, ties by name', () => {
  const inventory = new Inventory({
    profiles,
    hosts: [
      { mac: '52:54:00:00:00:01', labels: { role: 'dom0', rack: 'r1' } },
      { mac: '52:54:00:00:00:02', labels: { role: 'dom0' } },
      { mac: '52:54:00:00:00:03', labels: { role: 'dom0', rack: 'r1' }, profile: 'rescue' },
      { mac: '52:54:00:00:00:04', labels: { zone: 'a' } },
      { mac: '52:54:00:00:00:05', labels: {} },
    ],
    groups: [
      { name: 'dom0s', selector: { role: 'dom0' }, profile: 'xen-diskless', vars: { tier: 'base', site: 'x' } },
      { name: 'rack1-dom0', selector: { role: 'dom0', rack: 'r1' }, profile: 'disk', vars: { tier: 'rack' } },
      { name: 'b-zone', selector: { zone: 'a' }, profile: 'rescue' },
      { name: 'a-zone', selector: { zone: 'a' }, vars: { z: '1' } },
      { name: 'z-zone', selector: { zone: 'a' }, profile: 'disk' },
    ],
  });
  const table: Array<[string, string | null, string]> = [
    ['52:54:00:00:00:01', 'disk', 'group rack1-dom0'], // two labels beat one
    ['52:54:00:00:00:02', 'xen-diskless', 'group dom0s'],
    ['52:54:00:00:00:03', 'rescue', 'host'], // the host's own profile beats every group
    ['52:54:00:00:00:04', 'rescue', 'group b-zone'], // tie: a-zone has no profile, b-zone before z-zone
    ['52:54:00:00:00:05', null, 'none'],
  ];
  for (const [mac, profile, source] of table) {
    it(`${mac} → ${profile ?? 'nothing'} (${source})`, () => {
      const host = inventory.hostByMac(mac.toUpperCase().replace(/:/g, '-'))!;
      expect(host.profile?.name ?? null).toBe(profile);
      const s = host.profileSource;
      expect(s.from === 'group' ? `group ${s.group}` : s.from).toBe(source);
    });
  }

  it('merges variables from least to most specific', () => {
    expect(inventory.hostByMac('52:54:00:00:00:01')!.vars).toEqual({ tier: 'rack', site: 'x' });
  });

  it('looks hosts up by UUID in both byte orders and by IP; first entry wins on duplicates', () => {
    const inv = new Inventory({
      profiles,
      hosts: [
        { mac: '52:54:00:12:34:56', uuid: 'B8945908-D6A6-41A9-611D-74A6AB80B83D', ip: '10.0.0.5', profile: 'disk' },
        { mac: '52:54:00:12:34:57', uuid: '085994b8-a6d6-a941-611d-74a6ab80b83d', ip: '10.0.0.5' },
        { mac: '52:54:00:12:34:56', profile: 'rescue' },
      ],
      groups: [],
    });
    expect(inv.hostByUuid('085994b8-a6d6-a941-611d-74a6ab80b83d')?.mac).toBe('52:54:00:12:34:56');
    expect(inv.hostByUuid('b8945908-d6a6-41a9-611d-74a6ab80b83d')?.mac).toBe('52:54:00:12:34:56');
    expect(inv.hostByIp('10.0.0.5')?.mac).toBe('52:54:00:12:34:56');
    expect(inv.hostByMac('525400123456')?.profile?.name).toBe('disk');
    expect(inv.hostByMac('nonsense')).toBeUndefined();
  });

  it('merges config and store: the store wins for the same key', () => {
    const merged = mergeInventoryInputs(
      { profiles: [dom0], hosts: [{ mac: '52:54:00:00:00:01', profile: 'xen-diskless' }], groups: [], unknown: { boot: 'localboot' } },
      { profiles: [{ ...dom0, description: 'from store' }, localboot], hosts: [{ mac: '52-54-00-00-00-01', profile: 'disk' }], groups: [] },
    );
    expect(merged.profiles.map((p) => p.description ?? p.name)).toEqual(['from store', 'disk']);
    expect(merged.hosts).toEqual([{ mac: '52-54-00-00-00-01', profile: 'disk' }]);
    expect(merged.unknown).toEqual({ boot: 'localboot' });
  });
});

describe('inventory Booter', () => {
  const base: Booter = {
    dhcpAnswer: (m) => ({ bootFile: m.isIpxe ? 'http://x/boot.ipxe' : 'pxelinux.0' }),
    isKnown: (mac) => mac === '52:54:00:aa:aa:aa',
    reservedIp: (mac) => (mac === '52:54:00:aa:aa:aa' ? '10.0.0.99' : undefined),
  };
  const machine = (mac: string, extra = {}) => ({ mac, firmware: 'bios' as const, isIpxe: false, isPxe: true, ...extra });

  it('answers like the config Booter while the inventory is empty', () => {
    const booter = createInventoryBooter(new InventoryProvider({ profiles: [], hosts: [], groups: [] }), base, singlePublicUrl('http://10.0.0.1:8080'));
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:09'))).toEqual({ bootFile: 'pxelinux.0' });
    expect(booter.reservedIp('52:54:00:aa:aa:aa')).toBe('10.0.0.99');
  });

  it('gives a boot file only to machines with something to boot, with the host name and reserved address', () => {
    const provider = new InventoryProvider({
      profiles,
      hosts: [
        { mac: '52:54:00:00:00:01', profile: 'xen-diskless', hostname: 'xen1', ip: '10.0.0.11', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d' },
        { mac: '52:54:00:00:00:02' },
      ],
      groups: [],
    });
    const booter = createInventoryBooter(provider, base, singlePublicUrl('http://10.0.0.1:8080'));
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:01'))).toEqual({ bootFile: 'pxelinux.0', hostname: 'xen1' });
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:01', { isIpxe: true }))?.bootFile).toBe('http://x/boot.ipxe');
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:02'))).toBeNull();
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:03'))).toBeNull();
    // A second NIC of a known machine is found by its SMBIOS UUID, sent byte-swapped on the wire.
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:04', { uuid: '085994b8-a6d6-a941-611d-74a6ab80b83d' }))?.hostname).toBe('xen1');
    expect(booter.reservedIp('52:54:00:00:00:01')).toBe('10.0.0.11');
    expect(booter.reservedIp('52:54:00:aa:aa:aa')).toBe('10.0.0.99');
    expect(booter.isKnown('52:54:00:00:00:02')).toBe(true);
    provider.setConfig({ profiles, hosts: [], groups: [], unknown: { boot: 'localboot' } });
    expect(booter.dhcpAnswer(machine('52:54:00:00:00:03'))).toEqual({ bootFile: 'pxelinux.0' });
  });
});

describe('InventoryProvider', () => {
  it('never lets an older, slower store load replace a newer one', async () => {
    const resolvers: Array<(v: { profiles: never[]; hosts: Array<{ mac: string; profile: string }>; groups: never[] }) => void> = [];
    const provider = new InventoryProvider({ profiles: [localboot], hosts: [], groups: [] }, () => new Promise((resolve) => resolvers.push(resolve)));
    const first = provider.refresh();
    const second = provider.refresh();
    resolvers[1]!({ profiles: [], hosts: [{ mac: '52:54:00:00:00:02', profile: 'disk' }], groups: [] });
    await second;
    resolvers[0]!({ profiles: [], hosts: [{ mac: '52:54:00:00:00:01', profile: 'disk' }], groups: [] });
    await first;
    expect(provider.current().hostByMac('52:54:00:00:00:02')).toBeDefined();
    expect(provider.current().hostByMac('52:54:00:00:00:01')).toBeUndefined();
  });

  /** A provider over a store of `hosts` at revision `revision`, counting its full reads. */
  const storeBacked = (hosts: Array<{ mac: string; profile?: string; ip?: string }>, revision: { value: number }) => {
    const reads = { count: 0 };
    const provider = new InventoryProvider(
      { profiles: [localboot, linux], hosts: [], groups: [] },
      async () => {
        reads.count += 1;
        return { profiles: [], hosts: hosts.map((h) => ({ ...h })), groups: [] };
      },
      async () => revision.value,
    );
    return { provider, reads };
  };

  it("patches its own write (the next revision) into the live inventory without reading the store again", async () => {
    const revision = { value: 7 };
    const { provider, reads } = storeBacked([{ mac: '52:54:00:00:00:01', profile: localboot.name }, { mac: '52:54:00:00:00:02', profile: localboot.name }], revision);
    await provider.refresh();
    expect(reads.count).toBe(1);
    expect(provider.reflects(7)).toBe(true);
    expect(provider.reflects(8)).toBe(false);

    await provider.applyStoredChanges([
      { kind: 'hosts', doc: { mac: '52:54:00:00:00:03', profile: linux.name } },
      { kind: 'hosts', removeKey: '52:54:00:00:00:01', doc: { mac: '52:54:00:00:00:09', profile: linux.name } },
      { kind: 'hosts', removeKey: '52:54:00:00:00:02' },
      { kind: 'hosts', doc: { mac: '52-54-00-00-00-03', profile: localboot.name } },
    ], 8);
    expect(reads.count).toBe(1);
    const inventory = provider.current();
    expect(inventory.hostByMac('52:54:00:00:00:01')).toBeUndefined();
    expect(inventory.hostByMac('52:54:00:00:00:02')).toBeUndefined();
    expect(inventory.hostByMac('52:54:00:00:00:09')?.profile?.name).toBe(linux.name);
    // A put under the same key (any MAC spelling) replaces the document.
    expect(inventory.hostByMac('52:54:00:00:00:03')?.profile?.name).toBe(localboot.name);
    expect(provider.reflects(8)).toBe(true);
  });

  it('reads the store again when another write came between, and does nothing for a revision it holds', async () => {
    const revision = { value: 3 };
    const hosts = [{ mac: '52:54:00:00:00:01', profile: localboot.name }];
    const { provider, reads } = storeBacked(hosts, revision);
    await provider.refresh();
    // Another instance wrote revision 4, this one revision 5: the store holds both.
    hosts.push({ mac: '52:54:00:00:00:04', profile: localboot.name }, { mac: '52:54:00:00:00:05', profile: localboot.name });
    revision.value = 5;
    await provider.applyStoredChanges([{ kind: 'hosts', doc: { mac: '52:54:00:00:00:05', profile: localboot.name } }], 5);
    expect(reads.count).toBe(2);
    expect(provider.current().hostByMac('52:54:00:00:00:04')).toBeDefined();
    await provider.applyStoredChanges([{ kind: 'hosts', removeKey: '52:54:00:00:00:04' }], 5);
    expect(reads.count).toBe(2);
    expect(provider.current().hostByMac('52:54:00:00:00:04')).toBeDefined();
  });

  it('keeps a patched write when an older store read finishes after it', async () => {
    let release: (() => void) | undefined;
    let slow = false;
    const revision = { value: 1 };
    const provider = new InventoryProvider(
      { profiles: [localboot], hosts: [], groups: [] },
      async () => {
        if (slow) await new Promise<void>((resolve) => (release = resolve));
        return { profiles: [], hosts: [], groups: [] };
      },
      async () => revision.value,
    );
    await provider.refresh();
    slow = true;
    const older = provider.refresh();
    await new Promise((resolve) => setImmediate(resolve));
    await provider.applyStoredChanges([{ kind: 'hosts', doc: { mac: '52:54:00:00:00:07', profile: localboot.name } }], 2);
    release!();
    await older;
    expect(provider.current().hostByMac('52:54:00:00:00:07')).toBeDefined();
    expect(provider.reflects(2)).toBe(true);
  });
});

describe('InventoryIndex built over a previous one', () => {
  const groups = [{ name: 'dom0s', selector: { role: 'dom0' }, profile: dom0.name, vars: { tier: 'g' } }];
  const hosts: Host[] = Array.from({ length: 50 }, (_, i) => ({
    mac: `52:54:00:00:01:${i.toString(16).padStart(2, '0')}`,
    uuid: `b8945908-d6a6-41a9-611d-74a6ab80b8${i.toString(16).padStart(2, '0')}`,
    ip: `10.0.1.${i + 10}`,
    labels: (i % 2 === 0 ? { role: 'dom0' } : {}) as Record<string, string>,
    ...(i % 5 === 0 ? { profile: linux.name } : {}),
  }));
  // Plain data, for comparing two builds.
  const view = (index: InventoryIndex) => {
    const inventory = new Inventory(index);
    return inventory.hosts().map((h) => ({ mac: h.mac, profile: h.profile?.name ?? null, from: h.profileSource, vars: h.vars, byUuid: inventory.hostByUuid(h.uuid!)?.mac, byIp: inventory.hostByIp(h.ip!)?.mac }));
  };

  it('takes unchanged hosts as they were and gives what a fresh build gives', () => {
    const before = new InventoryIndex({ profiles, hosts, groups });
    // One host removed, one changed (a new object), one added, and a duplicate MAC spelled differently (first wins).
    const next = [...hosts.slice(1, 21), { ...hosts[21]!, labels: { role: 'dom0' } }, ...hosts.slice(22), { mac: '52:54:00:00:02:01', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b9ff', ip: '10.0.2.1', labels: {} }, { mac: '52-54-00-00-01-03', ip: '10.0.3.3', labels: {} }];
    const reused = new InventoryIndex({ profiles, hosts: next, groups }, before);
    expect(view(reused)).toEqual(view(new InventoryIndex({ profiles, hosts: next, groups })));
    expect(reused.byMac.get(hosts[5]!.mac)).toBe(before.byMac.get(hosts[5]!.mac));
    expect(before.byMac.get(hosts[21]!.mac)?.profile).toBeNull();
    expect(reused.byMac.get(hosts[21]!.mac)?.profile?.name).toBe(dom0.name);
    expect(reused.byMac.has(hosts[0]!.mac)).toBe(false);
  });

  it('resolves every host again when a profile or group changed', () => {
    const before = new InventoryIndex({ profiles, hosts, groups });
    const changedGroups = [{ ...groups[0]!, profile: linux.name }];
    const rebuilt = new InventoryIndex({ profiles, hosts, groups: changedGroups }, before);
    expect(view(rebuilt)).toEqual(view(new InventoryIndex({ profiles, hosts, groups: changedGroups })));
    expect(rebuilt.byMac.get(hosts[2]!.mac)?.profile?.name).toBe(linux.name);
    const changedProfiles = profiles.map((p) => (p.name === dom0.name ? { ...p, vars: { tier: 'p' } } : p));
    const again = new InventoryIndex({ profiles: changedProfiles, hosts, groups }, before);
    expect(again.byMac.get(hosts[2]!.mac)?.profile).toBe(changedProfiles.find((p) => p.name === dom0.name));
  });
});

describe('next-boot overrides', () => {
  const documents = {
    profiles: [dom0, domu, { ...linux, vars: { from: 'profile', console: 'ttyS0' } }, localboot],
    hosts: [
      { mac: '52:54:00:00:00:01', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', ip: '10.0.0.11', labels: { role: 'dom0' }, vars: { from: 'host' } },
      { mac: '00:16:3e:00:00:02', profile: 'domu-debian' },
      { mac: '52:54:00:00:00:03', labels: { role: 'dom0' } },
    ],
    groups: [{ name: 'dom0s', selector: { role: 'dom0' }, profile: 'xen-diskless', vars: { from: 'group', rack: 'r1' } }],
  };
  const rescue: NextBootOverride = { kind: 'profile', profile: 'rescue', extraArgs: ['xenboot.callback=http://10.0.0.1/cb'], reason: 'once: rescue (pending)' };
  const disabled: NextBootOverride = { kind: 'disabled', reason: 'netboot: disabled' };

  it('changes the overridden host for every lookup (MAC, UUID, IP, listing) and no other', () => {
    const provider = new InventoryProvider(documents);
    provider.setOverrides(new Map([['52:54:00:00:00:01', rescue]]));
    const inventory = provider.current();
    const host = inventory.hostByMac('52:54:00:00:00:01')!;
    expect(host.profile?.name).toBe('rescue');
    expect(host.profile?.kind === 'linux' && host.profile.args).toContain('xenboot.callback=http://10.0.0.1/cb');
    expect(host.profileSource).toEqual({ from: 'next-boot', reason: 'once: rescue (pending)' });
    // Variables merge over the next-boot profile: profile < group < host.
    expect(host.vars).toEqual({ from: 'host', console: 'ttyS0', rack: 'r1' });
    expect(inventory.hostByUuid('085994b8-a6d6-a941-611d-74a6ab80b83d')).toBe(host);
    expect(inventory.hostByIp('10.0.0.11')).toBe(host);
    expect(inventory.hosts()[0]).toBe(host);
    expect(inventory.hostByMac('52:54:00:00:00:03')?.profile?.name).toBe('xen-diskless');
  });

  it('disabled: a physical host gets localboot, a domU nothing; clearing restores the own profile; a missing profile changes nothing', () => {
    const provider = new InventoryProvider(documents);
    provider.setOverrides(new Map<string, NextBootOverride>([['52:54:00:00:00:01', disabled], ['00:16:3e:00:00:02', disabled]]));
    expect(provider.current().hostByMac('52:54:00:00:00:01')?.profile?.kind).toBe('localboot');
    expect(provider.current().hostByMac('00:16:3e:00:00:02')?.profile).toBeNull();
    provider.setOverrides(new Map([['52:54:00:00:00:01', { ...rescue, profile: 'gone' } as NextBootOverride]]));
    const host = provider.current().hostByMac('52:54:00:00:00:01')!;
    expect(host.profile?.name).toBe('xen-diskless');
    expect(host.profileSource).toEqual({ from: 'group', group: 'dom0s' });
    expect(provider.current().hostByMac('00:16:3e:00:00:02')?.profile?.name).toBe('domu-debian');
  });

  it('answers as an inventory built with the same overrides from the documents', () => {
    const overrides = new Map<string, NextBootOverride>([['52:54:00:00:00:01', rescue], ['00:16:3e:00:00:02', disabled]]);
    const built = new Inventory(documents, overrides);
    const applied = new Inventory(documents).withOverrides(overrides);
    for (const mac of ['52:54:00:00:00:01', '00:16:3e:00:00:02', '52:54:00:00:00:03']) expect(applied.hostByMac(mac)).toEqual(built.hostByMac(mac));
    expect(applied.hosts()).toEqual(built.hosts());
  });

  it('keeps every other host as resolved before: an override costs the hosts it changes, not the inventory', () => {
    const hosts = Array.from({ length: 2_000 }, (_, i) => ({ mac: `52:54:01:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`, labels: { role: 'dom0' } }));
    const provider = new InventoryProvider({ ...documents, hosts });
    const before = provider.current();
    const untouched = before.hostByMac(hosts[1_999]!.mac);
    provider.setOverrides(new Map([[hosts[0]!.mac, rescue]]));
    const armed = provider.current().hostByMac(hosts[0]!.mac);
    expect(armed?.profile?.name).toBe('rescue');
    expect(provider.current().hostByMac(hosts[1_999]!.mac)).toBe(untouched);
    // The same override handed again (the lifecycle hands the whole map after every change) is kept as it was.
    provider.setOverrides(new Map<string, NextBootOverride>([[hosts[0]!.mac, { ...rescue }], [hosts[1]!.mac, disabled]]));
    expect(provider.current().hostByMac(hosts[0]!.mac)).toBe(armed);
    expect(provider.current().hostByMac(hosts[1]!.mac)?.profile?.kind).toBe('localboot');
    expect(before.hostByMac(hosts[0]!.mac)?.profile?.name).toBe('xen-diskless');
  });
});
