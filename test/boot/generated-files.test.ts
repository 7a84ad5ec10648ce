import { describe, expect, it } from 'vitest';
import { answerGeneratedPath, createGeneratedFilesHandler, type GeneratedFilesContext } from '../../src/boot/generated-files.js';
import type { InventoryDocuments } from '../../src/inventory/model.js';
import { Inventory, InventoryProvider } from '../../src/inventory/snapshot.js';
import { BootRenderer } from '../../src/boot/render.js';
import { TemplateSet } from '../../src/boot/templates.js';
import { ContentDenied, type ContentRequest } from '../../src/content/types.js';
import { dom0, domu, linux, localboot, qemuHost, server } from './fixtures.js';

const renderer = new BootRenderer(TemplateSet.load(), server);
const base: InventoryDocuments = {
  profiles: [dom0, domu, linux, localboot],
  hosts: [qemuHost, { mac: '00:16:3e:11:22:33', profile: 'domu-debian', hostname: 'vm1' }, { mac: '52:54:00:00:00:02' }],
  groups: [],
};

function ctx(input: InventoryDocuments = base, extra: Partial<GeneratedFilesContext> = {}): GeneratedFilesContext {
  return { inventory: new Inventory(input), renderer, ipxeBase: 'tftp://10.99.0.1', ...extra };
}

async function kind(path: string, c = ctx()) {
  return (await answerGeneratedPath(path, c))?.kind ?? 'static';
}

describe('generated files: PXELINUX lookup order against the inventory', () => {
  it('finds the host by UUID in both byte orders, by MAC in any case, by its 8-digit hex IP', async () => {
    const expected = renderer.render('pxelinux', { mac: '52:54:00:12:34:56', profile: dom0, vars: {}, hostname: 'xen1', ip: '10.99.0.123', uuid: qemuHost.uuid!, known: true });
    for (const path of [
      'pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d',
      'pxelinux.cfg/085994b8-a6d6-a941-611d-74a6ab80b83d',
      'pxelinux.cfg/01-52-54-00-12-34-56',
      'pxelinux.cfg/01-52-54-00-12-34-56'.toUpperCase().replace('PXELINUX.CFG', 'pxelinux.cfg'),
      'pxelinux.cfg/0A63007B',
    ]) {
      const answer = await answerGeneratedPath(path, ctx());
      expect(answer, path).toMatchObject({ kind: 'text', text: expected });
    }
  });

  it('answers shortened hex names, unknown machines and hosts without profile with "not found"', async () => {
    for (const path of ['pxelinux.cfg/0A63007', 'pxelinux.cfg/0', 'pxelinux.cfg/01-52-54-00-99-99-99', 'pxelinux.cfg/01-52-54-00-00-00-02', 'pxelinux.cfg/default', 'pxelinux.cfg/0A0A0A0A']) {
      expect(await kind(path), path).toBe('not-found');
    }
    expect(await kind('pxelinux.0')).toBe('static');
  });

  it('serves a domU its pypxeboot file under the MAC case pypxeboot keeps', async () => {
    const answer = await answerGeneratedPath('pxelinux.cfg/01-00-16-3E-11-22-33', ctx());
    expect(answer).toMatchObject({ kind: 'text' });
    expect(answer?.kind === 'text' && answer.text).toContain('APPEND initrd=domu/initrd.img-6.1 root=/dev/xvda1 console=hvc0 hostname=vm1');
  });

  it('refuses a domU profile pypxeboot would crash on, naming the token', async () => {
    const bad = { ...domu, args: ['root=/dev/xvda1', 'ro'] };
    const answer = await answerGeneratedPath('pxelinux.cfg/01-00-16-3e-11-22-33', ctx({ ...base, profiles: [dom0, bad] }));
    expect(answer?.kind).toBe('refused');
    expect(answer?.why).toMatch(/bare flag "ro"/);
  });

  it('finds leased machines by hex IP through the lease lookup, never by the source address', async () => {
    const c = ctx(base, { macForIp: async (ip) => (ip === '10.99.0.156' ? '00:16:3e:11:22:33' : null) });
    expect(await kind('pxelinux.cfg/0A63009C', c)).toBe('text');
    expect(await kind('pxelinux.cfg/0A63009D', c)).toBe('not-found');
  });

  it('never puts an mboot.c32 APPEND into default, and keeps dom0 renders away from unknown Xen MACs', async () => {
    const unknownDom0 = ctx({ ...base, unknown: { boot: 'profile', profile: 'xen-diskless' } });
    expect(await kind('pxelinux.cfg/default', unknownDom0)).toBe('not-found');
    // An unknown PXE machine gets the dom0 profile under its own MAC…
    const pxe = await answerGeneratedPath('pxelinux.cfg/01-52-54-00-99-99-99', unknownDom0);
    expect(pxe?.kind === 'text' && pxe.text).toContain('BOOTIF=01-52-54-00-99-99-99');
    // …an unknown MAC in Xen's range (a pypxeboot domU) does not.
    expect(await kind('pxelinux.cfg/01-00-16-3e-99-99-99', unknownDom0)).toBe('not-found');
    const unknownLocal = ctx({ ...base, unknown: { boot: 'localboot' } });
    const answer = await answerGeneratedPath('pxelinux.cfg/default', unknownLocal);
    expect(answer?.kind === 'text' && answer.text).toContain('LOCALBOOT 0');
    const unknownLinux = ctx({ ...base, unknown: { boot: 'profile', profile: 'rescue' } });
    expect(await kind('pxelinux.cfg/default', unknownLinux)).toBe('not-found'); // 'quiet' is a bare flag
  });

  it('serves GRUB per-MAC files, the dispatcher and iPXE scripts per platform', async () => {
    expect(await kind('grub/grub.cfg-01-52-54-00-12-34-56')).toBe('text');
    expect(await kind('grub/grub.cfg-01-52:54:00:12:34:56')).toBe('text');
    expect(await kind('grub/grub.cfg-0A63007B')).toBe('text');
    expect(await kind('grub/grub.cfg-0A6300')).toBe('not-found');
    expect(await kind('grub/grub.cfg')).toBe('text');
    expect(await kind('grub/grub.cfg', ctx({ profiles: [], hosts: [], groups: [] }))).toBe('not-found');
    expect(await kind('boot.ipxe')).toBe('text');
    expect(await kind('ipxe/pcbios/01-52-54-00-12-34-56.ipxe')).toBe('text');
    expect(await kind('xen-cfg/01-52-54-00-12-34-56')).toBe('text');
  });
});

describe('generated files content handler', () => {
  const request = (path: string, clientIp = '10.99.0.2'): ContentRequest => ({ path, rawPath: path, protocol: 'tftp', clientIp, clientPort: 1000, serverIp: '10.99.0.1' });

  it('returns content, null for not found and ContentDenied for refusals', async () => {
    const provider = new InventoryProvider({ ...base, profiles: [dom0, { ...domu, args: ['ro=1', 'quiet'] }] });
    const handler = createGeneratedFilesHandler({ provider, renderer });
    const content = await handler(request('pxelinux.cfg/01-52-54-00-12-34-56'));
    expect(content?.size).toBeGreaterThan(100);
    expect((await content!.read(0, 15)).toString()).toBe('SERIAL 0 115200');
    expect(await handler(request('pxelinux.cfg/default'))).toBeNull();
    expect(await handler(request('pxelinux.0'))).toBeNull();
    await expect(handler(request('pxelinux.cfg/01-00-16-3e-11-22-33'))).rejects.toBeInstanceOf(ContentDenied);
  });

  it('sees inventory changes at once (store refresh, config reload), store entries winning', async () => {
    let stored: InventoryDocuments = { profiles: [], hosts: [], groups: [] };
    const provider = new InventoryProvider(base, async () => stored);
    const handler = createGeneratedFilesHandler({ provider, renderer });
    expect(await handler(request('pxelinux.cfg/01-52-54-00-00-00-02'))).toBeNull();
    stored = { profiles: [], hosts: [{ mac: '52-54-00-00-00-02', profile: 'disk' }], groups: [] };
    await provider.refresh();
    expect((await (await handler(request('pxelinux.cfg/01-52-54-00-00-00-02')))!.read(0, 1000)).toString()).toContain('LOCALBOOT 0');
    provider.setConfig({ ...base, hosts: [] });
    expect(await handler(request('pxelinux.cfg/01-52-54-00-12-34-56'))).toBeNull();
    expect(await handler(request('pxelinux.cfg/01-52-54-00-00-00-02'))).not.toBeNull();
  });
});
