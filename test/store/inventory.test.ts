import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreConflictError, StoreInputError, StoreNotFoundError } from '../../src/store/errors.js';
import type { Store } from '../../src/store/types.js';
import { backends } from './backends.js';

describe.each(backends)('inventory store ($name)', (backend) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let reopen: () => Promise<Store>;
  beforeEach(async () => {
    ({ store, cleanup, reopen } = await backend.open());
  });
  afterEach(async () => {
    await cleanup();
  });

  const profile = { name: 'dom0', kind: 'xen-dom0', xen: { args: ['dom0_mem=2G'] } };
  const host = { mac: '52-54-00-AA-BB-01', hostname: 'node1', ip: '10.204.1.10', profile: 'dom0', labels: { rack: 'r1' } };

  it('creates, lists (by key) and reads documents; host MACs are stored canonical and found in any spelling', async () => {
    await store.inventory.apply([
      { op: 'create', kind: 'profiles', doc: profile },
      { op: 'create', kind: 'hosts', doc: host },
      { op: 'create', kind: 'hosts', doc: { mac: '52:54:00:aa:bb:00', hostname: 'node0' } },
    ]);
    expect(await store.inventory.get('hosts', '525400aabb01')).toEqual({ ...host, mac: '52:54:00:aa:bb:01' });
    expect((await store.inventory.list('hosts')).map((h) => h.hostname)).toEqual(['node0', 'node1']);
    expect(await store.inventory.list('profiles')).toEqual([profile]);
    expect(await store.inventory.get('profiles', 'nope')).toBeNull();
    expect(await store.inventory.list('groups')).toEqual([]);
  });

  it('answers each write with the revision it made (the current one for no change)', async () => {
    const start = await store.inventory.revision();
    expect(await store.inventory.apply([{ op: 'create', kind: 'profiles', doc: profile }])).toBe(start + 1);
    expect(await store.inventory.apply([{ op: 'create', kind: 'hosts', doc: host }, { op: 'delete', kind: 'hosts', key: host.mac }])).toBe(start + 2);
    expect(await store.inventory.apply([])).toBe(start + 2);
    await expect(store.inventory.apply([{ op: 'delete', kind: 'hosts', key: host.mac }])).rejects.toBeInstanceOf(StoreNotFoundError);
    expect(await store.inventory.revision()).toBe(start + 2);
  });

  it('refuses a duplicate MAC, a duplicate IP and a duplicate name, naming the field, and writes nothing of the batch', async () => {
    await store.inventory.apply([{ op: 'create', kind: 'hosts', doc: host }]);
    const before = await store.inventory.revision();

    const dupMac = store.inventory.apply([
      { op: 'create', kind: 'profiles', doc: profile },
      { op: 'create', kind: 'hosts', doc: { mac: '52:54:00:aa:bb:01', hostname: 'x' } },
    ]);
    await expect(dupMac).rejects.toMatchObject({ name: 'StoreConflictError', field: 'mac', value: '52:54:00:aa:bb:01', index: 1 });

    const dupIp = store.inventory.apply([{ op: 'create', kind: 'hosts', doc: { mac: '52:54:00:aa:bb:02', ip: '10.204.1.10' } }]);
    await expect(dupIp).rejects.toBeInstanceOf(StoreConflictError);
    await expect(dupIp).rejects.toMatchObject({ field: 'ip', value: '10.204.1.10', index: 0 });

    await store.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'rack1' } }]);
    await expect(store.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'rack1' } }])).rejects.toMatchObject({ field: 'name' });

    expect(await store.inventory.list('profiles')).toEqual([]);
    expect((await store.inventory.list('hosts')).length).toBe(1);
    expect(await store.inventory.revision()).toBe(before + 1);
  });

  it('replaces a host under a new MAC, upserts with put, deletes, and reports missing keys', async () => {
    await store.inventory.apply([{ op: 'create', kind: 'hosts', doc: host }]);
    await store.inventory.apply([{ op: 'replace', kind: 'hosts', key: '52:54:00:aa:bb:01', doc: { ...host, mac: '52:54:00:aa:bb:09' } }]);
    expect(await store.inventory.get('hosts', '52:54:00:aa:bb:01')).toBeNull();
    expect((await store.inventory.get('hosts', '52:54:00:aa:bb:09'))?.ip).toBe('10.204.1.10');

    await store.inventory.apply([{ op: 'put', kind: 'hosts', doc: { ...host, mac: '52:54:00:aa:bb:09', ip: '10.204.1.11' } }]);
    expect((await store.inventory.get('hosts', '52:54:00:aa:bb:09'))?.ip).toBe('10.204.1.11');

    await expect(store.inventory.apply([{ op: 'delete', kind: 'hosts', key: '52:54:00:aa:bb:01' }])).rejects.toBeInstanceOf(StoreNotFoundError);
    await expect(store.inventory.apply([{ op: 'replace', kind: 'profiles', key: 'ghost', doc: profile }])).rejects.toMatchObject({
      kind: 'profiles',
      key: 'ghost',
    });
    await store.inventory.apply([{ op: 'delete', kind: 'hosts', key: '52-54-00-AA-BB-09' }]);
    expect(await store.inventory.list('hosts')).toEqual([]);
  });

  it('rejects documents without a usable key before touching the database', async () => {
    await expect(store.inventory.apply([{ op: 'create', kind: 'hosts', doc: { mac: 'zz' } }])).rejects.toBeInstanceOf(StoreInputError);
    await expect(store.inventory.apply([{ op: 'create', kind: 'hosts', doc: { mac: '52:54:00:aa:bb:01', ip: '1.2.3' } }])).rejects.toMatchObject({
      field: 'ip',
    });
    await expect(store.inventory.apply([{ op: 'create', kind: 'profiles', doc: { kind: 'linux' } }])).rejects.toMatchObject({ field: 'name' });
    expect(await store.inventory.revision()).toBe(0);
  });

  it('is seen by a second handle on the same database (migrations run once), including revisions', async () => {
    await store.inventory.apply([{ op: 'create', kind: 'profiles', doc: profile }]);
    const second = await reopen();
    expect(await second.inventory.list('profiles')).toEqual([profile]);
    await second.inventory.apply([{ op: 'create', kind: 'groups', doc: { name: 'g' } }]);
    expect(await store.inventory.revision()).toBe(2);
    expect(await store.inventory.get('groups', 'g')).toEqual({ name: 'g' });
  });
});
