/**
 * A host chooses its loader: `loader.<firmware>` on a profile or a host (the host's wins, firmware by
 * firmware) decides the DHCP boot file over `dhcp.boot`; explain says which rule picked it; a vendor
 * GRUB's fixed config path is answered with the asking machine's own render; the checks refuse choices
 * that cannot work, all at once.
 */
import { describe, expect, it } from 'vitest';
import { answerGeneratedPath, type GeneratedFilesContext } from '../../src/boot/generated-files.js';
import { createInventoryBooter } from '../../src/boot/inventory-booter.js';
import { chosenLoader, firmwareKey } from '../../src/boot/loader-choice.js';
import { dhcpBootFileChooser } from '../../src/boot/loaders/index.js';
import type { Firmware, Machine } from '../../src/boot/machine.js';
import { BootRenderer } from '../../src/boot/render.js';
import { TemplateSet } from '../../src/boot/templates.js';
import { buildConfig } from '../../src/config/load.js';
import { createConfigBooter } from '../../src/dhcp/config-booter.js';
import { explainMachine, formatExplanation } from '../../src/explain/explain.js';
import type { Host, InventoryDocuments } from '../../src/inventory/model.js';
import { Inventory, InventoryProvider } from '../../src/inventory/snapshot.js';
import { firmwareFromArch } from '../../src/net/pxe-arch.js';
import { dom0, linux, profile, server } from './fixtures.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

const renderer = new BootRenderer(TemplateSet.load(), server);
const boot = { bios: 'pxelinux.0', efiX64: 'grubnetx64.efi', efiIa32: 'grubnetia32.efi', efiArm64: 'grubnetaa64.efi', efiArm32: 'grubnetarm.efi', fallback: 'pxelinux.0' };

const rack = profile({ ...dom0, name: 'rack-http', loader: { bios: { family: 'pxelinux', file: 'lpxelinux.0' }, efiX64: { family: 'ipxe' } } });
const vendor = profile({ ...dom0, name: 'xenserver-like', loader: { efiX64: { family: 'grub', file: 'EFI/xenserver/grubx64.efi', config: 'EFI/xenserver/grub.cfg' } } });
const HTTP_HOST = '52:54:00:00:01:01';
const OVERRIDE_HOST = '52:54:00:00:01:02';
const PLAIN_HOST = '52:54:00:00:01:03';
const VENDOR_HOST = '52:54:00:00:01:04';
const LEASED_VENDOR_HOST = '52:54:00:00:01:05';
const hosts: Host[] = [
  { mac: HTTP_HOST, profile: 'rack-http', ip: '10.99.0.21' },
  { mac: OVERRIDE_HOST, profile: 'rack-http', ip: '10.99.0.22', loader: { bios: { family: 'ipxe', file: 'ipxe/undionly.kpxe' } } },
  { mac: PLAIN_HOST, profile: 'xen-diskless', ip: '10.99.0.23' },
  { mac: VENDOR_HOST, profile: 'xenserver-like', ip: '10.99.0.24', hostname: 'xs1' },
  { mac: LEASED_VENDOR_HOST, profile: 'xenserver-like', hostname: 'xs2' },
];
const documents: InventoryDocuments = { profiles: [dom0, linux, rack, vendor], hosts, groups: [] };

const machine = (mac: string, firmware: Firmware, extra: Partial<Machine> = {}): Machine => ({ mac, firmware, isIpxe: false, isPxe: true, ...extra });

function booter(docs = documents) {
  const base = createConfigBooter({ ...defaultDhcp(), boot } as never, { bootFile: dhcpBootFileChooser(boot, singlePublicUrl(server.publicUrl)) });
  return createInventoryBooter(new InventoryProvider(docs), base, singlePublicUrl(server.publicUrl));
}

function defaultDhcp() {
  const built = buildConfig({ server: { address: server.address } }, { baseDir: '/', privileged: false });
  if (!built.ok) throw new Error('default config does not build');
  return built.config.dhcp;
}

describe('loader choices', () => {
  it('maps each firmware to its dhcp.boot key', () => {
    expect((['bios', 'efi-x64', 'efi-ia32', 'efi-arm64', 'efi-arm32', 'efi-x64-http', 'unknown'] as const).map(firmwareKey)).toEqual([
      'bios',
      'efiX64',
      'efiIa32',
      'efiArm64',
      'efiArm32',
      'httpX64',
      'fallback',
    ]);
  });

  it("takes the host's choice over its profile's, firmware by firmware, the family's usual file when none is named", () => {
    const inventory = new Inventory(documents);
    const host = inventory.hostByMac(OVERRIDE_HOST)!;
    expect(chosenLoader(host, host.profile, 'bios', server.publicUrl)).toEqual({ family: 'ipxe', file: 'ipxe/undionly.kpxe', rule: `host ${OVERRIDE_HOST} loader.bios` });
    expect(chosenLoader(host, host.profile, 'efi-x64', server.publicUrl)).toEqual({ family: 'ipxe', file: 'ipxe.efi', rule: 'profile rack-http loader.efiX64' });
    expect(chosenLoader(host, host.profile, 'efi-arm64', server.publicUrl)).toBeNull();
    const plain = inventory.hostByMac(PLAIN_HOST)!;
    expect(chosenLoader(plain, plain.profile, 'bios', server.publicUrl)).toBeNull();
  });

  it('makes a UEFI HTTP boot path a URL on the public address', () => {
    const http = profile({ ...dom0, name: 'h', loader: { httpX64: { family: 'ipxe', file: 'ipxe/snponly.efi' } } });
    expect(chosenLoader(undefined, http, 'efi-x64-http', 'http://10.99.0.1:8080/')?.file).toBe('http://10.99.0.1:8080/ipxe/snponly.efi');
    const url = profile({ ...dom0, name: 'u', loader: { httpX64: { family: 'grub', file: 'http://10.99.0.9/grubx64.efi' } } });
    expect(chosenLoader(undefined, url, 'efi-x64-http', server.publicUrl)?.file).toBe('http://10.99.0.9/grubx64.efi');
  });

  it('DHCP hands the chosen file with its rule; others keep dhcp.boot; a running iPXE still gets its script', () => {
    const b = booter();
    expect(b.dhcpAnswer(machine(HTTP_HOST, 'bios'))).toMatchObject({ bootFile: 'lpxelinux.0', bootFileRule: 'profile rack-http loader.bios' });
    expect(b.dhcpAnswer(machine(OVERRIDE_HOST, 'bios'))).toMatchObject({ bootFile: 'ipxe/undionly.kpxe', bootFileRule: `host ${OVERRIDE_HOST} loader.bios` });
    expect(b.dhcpAnswer(machine(HTTP_HOST, 'efi-x64'))).toMatchObject({ bootFile: 'ipxe.efi', bootFileRule: 'profile rack-http loader.efiX64' });
    expect(b.dhcpAnswer(machine(HTTP_HOST, 'efi-ia32'))).toMatchObject({ bootFile: 'grubnetia32.efi', bootFileRule: 'dhcp.boot.efiIa32' });
    expect(b.dhcpAnswer(machine(PLAIN_HOST, 'bios'))).toMatchObject({ bootFile: 'pxelinux.0', bootFileRule: 'dhcp.boot.bios' });
    const ipxe = b.dhcpAnswer(machine(HTTP_HOST, 'bios', { isIpxe: true, userClass: 'iPXE' }));
    expect(ipxe?.bootFile).toMatch(/^http:\/\/10\.99\.0\.1:8080\/boot\.ipxe\?/);
    expect(ipxe?.bootFileRule).toBe('dhcp.boot.ipxeScript');
  });

  it('keeps PXELINUX options 209/210 only for a PXELINUX choice', () => {
    const dhcp = { ...defaultDhcp(), boot, pxelinux: { configFile: 'pxelinux.cfg/rack' } };
    const base = createConfigBooter(dhcp as never, { bootFile: dhcpBootFileChooser(boot, singlePublicUrl(server.publicUrl)) });
    const b = createInventoryBooter(new InventoryProvider(documents), base, singlePublicUrl(server.publicUrl));
    expect(b.dhcpAnswer(machine(HTTP_HOST, 'bios'))?.pxelinuxConfigFile).toBe('pxelinux.cfg/rack');
    expect(b.dhcpAnswer(machine(OVERRIDE_HOST, 'bios'))?.pxelinuxConfigFile).toBeUndefined();
  });
});

describe('a vendor GRUB config path', () => {
  const ctx = (clientIp: string, macForIp?: (ip: string) => Promise<string | null>): GeneratedFilesContext => ({
    inventory: new Inventory(documents),
    renderer,
    ipxeBase: 'tftp://10.99.0.1',
    clientIp,
    ...(macForIp ? { macForIp } : {}),
  });

  it("answers the asking machine's own GRUB render, found by its reserved address", async () => {
    const answer = await answerGeneratedPath('EFI/xenserver/grub.cfg', ctx('10.99.0.24'));
    const expected = renderer.render('grub', { mac: VENDOR_HOST, profile: vendor, vars: {}, hostname: 'xs1', ip: '10.99.0.24', known: true });
    expect(answer).toMatchObject({ kind: 'text', text: expected });
    expect(answer?.why).toContain(`10.99.0.24 is reserved for ${VENDOR_HOST}, whose loader.efiX64.config is EFI/xenserver/grub.cfg`);
    expect(expected).toContain('multiboot2');
  });

  it('finds a machine by its lease, and answers nobody else', async () => {
    const leases = async (ip: string) => (ip === '10.99.0.150' ? LEASED_VENDOR_HOST : ip === '10.99.0.151' ? PLAIN_HOST : null);
    const leased = await answerGeneratedPath('EFI/xenserver/grub.cfg', ctx('10.99.0.150', leases));
    expect(leased?.kind).toBe('text');
    const expected = renderer.render('grub', { mac: LEASED_VENDOR_HOST, profile: vendor, vars: {}, hostname: 'xs2', ip: '10.99.0.150', known: true });
    expect(leased).toMatchObject({ kind: 'text', text: expected });
    expect(leased?.why).toContain(`leased to ${LEASED_VENDOR_HOST}`);
    // A machine whose choice does not name the path, an unknown address: not generated (static, if it exists).
    expect(await answerGeneratedPath('EFI/xenserver/grub.cfg', ctx('10.99.0.151', leases))).toBeNull();
    expect(await answerGeneratedPath('EFI/xenserver/grub.cfg', ctx('10.99.0.23'))).toBeNull();
    expect(await answerGeneratedPath('EFI/xenserver/grub.cfg', ctx('10.99.0.199', leases))).toBeNull();
  });

  it('grub/grub.cfg stays the dispatcher for machines whose choice does not name it', async () => {
    const named = profile({ ...dom0, name: 'signed', loader: { efiX64: { family: 'grub', file: 'grubx64.efi', config: 'grub/grub.cfg' } } });
    const docs: InventoryDocuments = { profiles: [dom0, named], hosts: [{ mac: VENDOR_HOST, profile: 'signed', ip: '10.99.0.24' }, { mac: PLAIN_HOST, profile: 'xen-diskless', ip: '10.99.0.23' }], groups: [] };
    const c = (ip: string): GeneratedFilesContext => ({ inventory: new Inventory(docs), renderer, ipxeBase: 'tftp://10.99.0.1', clientIp: ip });
    const own = await answerGeneratedPath('grub/grub.cfg', c('10.99.0.24'));
    const dispatcher = await answerGeneratedPath('grub/grub.cfg', c('10.99.0.23'));
    expect(own?.kind === 'text' && own.text).toContain('multiboot2');
    expect(dispatcher?.why).toMatch(/dispatcher/);
  });
});

describe('explain', () => {
  const deps = (docs = documents) => {
    const provider = new InventoryProvider(docs);
    const base = createConfigBooter({ ...defaultDhcp(), boot } as never, { bootFile: dhcpBootFileChooser(boot, singlePublicUrl(server.publicUrl)) });
    return {
      inventory: provider.current(),
      renderer,
      booter: createInventoryBooter(provider, base, singlePublicUrl(server.publicUrl)),
      serverAddress: server.address,
      publicUrl: server.publicUrl,
      firmwareFromArch,
    };
  };

  it('says which rule picked the file and walks the chosen family', async () => {
    const ipxe = formatExplanation(await explainMachine({ mac: HTTP_HOST, arch: 7 }, deps()));
    expect(ipxe).toContain('file ipxe.efi (by profile rack-http loader.efiX64)');
    expect(ipxe).toMatch(/→ boots as ipxe/);
    const plain = formatExplanation(await explainMachine({ mac: PLAIN_HOST, arch: 0 }, deps()));
    expect(plain).toContain('file pxelinux.0 (by dhcp.boot.bios)');
  });

  it("walks a vendor GRUB's fixed path and renders it for the machine", async () => {
    const text = formatExplanation(await explainMachine({ mac: VENDOR_HOST, arch: 7 }, deps()));
    expect(text).toContain('file EFI/xenserver/grubx64.efi (by profile xenserver-like loader.efiX64)');
    expect(text).toMatch(/tftp EFI\/xenserver\/grub\.cfg: rendered/);
  });
});

describe('checks', () => {
  it('refuses every choice that cannot work, all at once, with where and why', () => {
    const built = buildConfig(
      {
        server: { address: server.address },
        inventory: {
          profiles: [
            { ...dom0, name: 'p1', loader: { bios: { family: 'grub' }, efiX64: { family: 'ipxe', config: 'grub/grub.cfg' } } },
            { ...dom0, name: 'p2', loader: { bios: { family: 'pxelinux', file: 'http://10.99.0.1/lpxelinux.0' } } },
          ],
          hosts: [{ mac: PLAIN_HOST, profile: 'p1', loader: { efiArm64: { family: 'pxelinux' } } }],
        },
      },
      { baseDir: '/', privileged: false },
    );
    expect(built.ok).toBe(false);
    const problems = built.ok ? [] : built.problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^inventory\.profiles\[0\]\.loader\.bios\.family: grub has no usual boot file for bios/),
        expect.stringMatching(/^inventory\.profiles\[0\]\.loader\.efiX64\.config: .*only with family grub/),
        expect.stringMatching(/^inventory\.profiles\[1\]\.loader\.bios\.file: .*not a URL/),
        expect.stringMatching(/^inventory\.hosts\[0\]\.loader\.efiArm64\.family: pxelinux has no usual boot file for efiArm64/),
      ]),
    );
  });

  it('refuses an unknown family by the schema', () => {
    const built = buildConfig({ server: { address: server.address }, inventory: { profiles: [{ ...dom0, name: 'p', loader: { bios: { family: 'syslinux' } } }] } }, { baseDir: '/', privileged: false });
    expect(built.ok).toBe(false);
  });
});
