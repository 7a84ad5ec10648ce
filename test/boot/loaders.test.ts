/**
 * The loader registry: each family's name order and grammar, the DHCP boot file each is handed per
 * firmware, which family explain says boots a machine, and the recipe's invariants (one owner per name,
 * per render target and per template folder).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { grubCandidates } from '../../src/boot/loaders/grub.js';
import { dhcpBootFileChooser, explainingLoader, LOADERS, parseGeneratedPath, RENDER_TARGETS } from '../../src/boot/loaders/index.js';
import { defaultIpxeScriptUrl, ipxePlatformFromQuery, ipxeScriptPath } from '../../src/boot/loaders/ipxe.js';
import { pxelinuxCandidates } from '../../src/boot/loaders/pxelinux.js';
import { pypxebootCandidates } from '../../src/boot/loaders/pypxeboot.js';
import type { ExplainSubject } from '../../src/boot/loaders/types.js';
import { xenCfgPath } from '../../src/boot/loaders/xen-efi.js';
import { shrinkingHexNames } from '../../src/boot/lookup.js';
import type { Firmware, Machine } from '../../src/boot/machine.js';
import { repoRoot } from '../../lab/xenboot.js';
import { singlePublicUrl } from '../../src/boot/public-urls.js';

describe('names each family asks for, in its order', () => {
  it('PXELINUX order: wire UUID, 01-<mac>, hex IP shortened digit by digit, default (capture bios-ipxe-rom-pxelinux-mboot)', () => {
    expect(pxelinuxCandidates({ mac: '52:54:00:12:34:56', wireUuid: '085994B8-A6D6-A941-611D-74A6AB80B83D', ip: '10.99.0.123' })).toEqual([
      'pxelinux.cfg/085994b8-a6d6-a941-611d-74a6ab80b83d',
      'pxelinux.cfg/01-52-54-00-12-34-56',
      'pxelinux.cfg/0A63007B',
      'pxelinux.cfg/0A63007',
      'pxelinux.cfg/0A6300',
      'pxelinux.cfg/0A630',
      'pxelinux.cfg/0A63',
      'pxelinux.cfg/0A6',
      'pxelinux.cfg/0A',
      'pxelinux.cfg/0',
      'pxelinux.cfg/default',
    ]);
  });

  it('pypxeboot order: MAC with its case kept, 8-digit hex IP without shortening, default', () => {
    expect(pypxebootCandidates('00:16:3E:11:22:33', '10.99.0.156')).toEqual([
      'pxelinux.cfg/01-00-16-3E-11-22-33',
      'pxelinux.cfg/0A63009C',
      'pxelinux.cfg/default',
    ]);
  });

  it('GRUB order', () => {
    expect(grubCandidates('52:54:00:12:34:56', '10.99.0.123')).toEqual([
      'grub/grub.cfg-01-52-54-00-12-34-56',
      ...shrinkingHexNames('10.99.0.123').map((h) => `grub/grub.cfg-${h}`),
      'grub/grub.cfg',
    ]);
  });

  it('boot.ipxe?… over HTTP: the platform from iPXE\'s ${platform}, else ${buildarch} or option 93', () => {
    expect(ipxePlatformFromQuery({ platform: 'efi', arch: 'i386' })).toBe('efi');
    expect(ipxePlatformFromQuery({})).toBe('pcbios');
    expect(ipxePlatformFromQuery({ arch: 'i386' })).toBe('pcbios');
    expect(ipxePlatformFromQuery({ arch: '0' })).toBe('pcbios');
    expect(ipxePlatformFromQuery({ arch: '7' })).toBe('efi');
    expect(ipxePlatformFromQuery({ arch: 'x86_64' })).toBe('efi');
    expect(ipxePlatformFromQuery({ arch: 'arm64' })).toBe('efi');
    expect(ipxePlatformFromQuery({ arch: 'mips' })).toBe('pcbios');
  });

  it('per-MAC iPXE scripts and xen.cfg', () => {
    expect(ipxeScriptPath('52:54:00:12:34:56', 'efi')).toBe('ipxe/efi/01-52-54-00-12-34-56.ipxe');
    expect(xenCfgPath('52:54:00:12:34:56')).toBe('xen-cfg/01-52-54-00-12-34-56');
  });

  it('recognises every generated name, by the family that serves it, and nothing else', () => {
    expect(parseGeneratedPath('pxelinux.cfg/01-52-54-00-12-34-56')).toEqual({ loader: 'pxelinux', key: { kind: 'mac', mac: '52:54:00:12:34:56' }, target: 'pxelinux' });
    expect(parseGeneratedPath('pxelinux.cfg/default')).toEqual({ loader: 'pxelinux', key: { kind: 'default' }, target: 'pxelinux' });
    expect(parseGeneratedPath('grub/grub.cfg')).toEqual({ loader: 'grub', key: { kind: 'default' } });
    expect(parseGeneratedPath('grub/grub.cfg-0A63007B')).toEqual({ loader: 'grub', key: { kind: 'ip', hex: '0A63007B' }, target: 'grub' });
    expect(parseGeneratedPath('grub/grub.cfg-default')).toBeNull();
    expect(parseGeneratedPath('boot.ipxe')).toEqual({ loader: 'ipxe', key: { kind: 'default' } });
    expect(parseGeneratedPath('ipxe/efi/01-52-54-00-12-34-56.ipxe')).toEqual({ loader: 'ipxe', key: { kind: 'mac', mac: '52:54:00:12:34:56' }, target: 'ipxe-efi' });
    expect(parseGeneratedPath('ipxe/01-52-54-00-12-34-56.ipxe')).toEqual({ loader: 'ipxe', key: { kind: 'mac', mac: '52:54:00:12:34:56' }, target: 'ipxe-pcbios' });
    expect(parseGeneratedPath('xen-cfg/01-52-54-00-12-34-56')).toEqual({ loader: 'xen-efi', key: { kind: 'mac', mac: '52:54:00:12:34:56' }, target: 'xen-cfg' });
    expect(parseGeneratedPath('pxelinux.0')).toBeNull();
    expect(parseGeneratedPath('pxelinux.cfg/nonsense')).toBeNull();
    expect(parseGeneratedPath('ipxe/efi/01-52-54-00-12-34.ipxe')).toBeNull();
    expect(parseGeneratedPath('xen.gz')).toBeNull();
  });
});

describe('the DHCP boot file each family is handed', () => {
  const boot = { bios: 'pxelinux.0', efiX64: 'grubnetx64.efi', efiIa32: 'grubnetia32.efi', efiArm64: 'grubnetaa64.efi', efiArm32: 'grubnetarm.efi', fallback: 'fallback.0' };
  const machine = (firmware: Firmware, isIpxe = false): Machine => ({ mac: '52:54:00:12:34:56', firmware, isIpxe, isPxe: true });
  const choose = dhcpBootFileChooser(boot, singlePublicUrl('http://10.99.0.1:8080/'));

  it('PXELINUX for BIOS and clients without option 93, GRUB per UEFI architecture, each with its dhcp.boot key', () => {
    expect(choose(machine('bios'))).toEqual({ file: 'pxelinux.0', rule: 'dhcp.boot.bios' });
    expect(choose(machine('unknown'))).toEqual({ file: 'fallback.0', rule: 'dhcp.boot.fallback' });
    expect(choose(machine('efi-x64'))).toEqual({ file: 'grubnetx64.efi', rule: 'dhcp.boot.efiX64' });
    expect(choose(machine('efi-ia32'))).toEqual({ file: 'grubnetia32.efi', rule: 'dhcp.boot.efiIa32' });
    expect(choose(machine('efi-arm64'))).toEqual({ file: 'grubnetaa64.efi', rule: 'dhcp.boot.efiArm64' });
    expect(choose(machine('efi-arm32'))).toEqual({ file: 'grubnetarm.efi', rule: 'dhcp.boot.efiArm32' });
  });

  it('UEFI HTTP boot gets httpX64, else the x86-64 file', () => {
    expect(choose(machine('efi-x64-http'))).toEqual({ file: 'grubnetx64.efi', rule: 'dhcp.boot.efiX64' });
    expect(dhcpBootFileChooser({ ...boot, httpX64: 'http://10.99.0.1/grub.efi' }, singlePublicUrl('http://x'))(machine('efi-x64-http'))).toEqual({
      file: 'http://10.99.0.1/grub.efi',
      rule: 'dhcp.boot.httpX64',
    });
  });

  it('a running iPXE gets a script URL on any firmware, never another loader', () => {
    expect(defaultIpxeScriptUrl('http://10.99.0.1:8080/')).toBe('http://10.99.0.1:8080/boot.ipxe?mac=${net0/mac}&uuid=${uuid}&arch=${buildarch}');
    expect(choose(machine('bios', true)).file).toBe(defaultIpxeScriptUrl('http://10.99.0.1:8080'));
    expect(choose(machine('efi-x64', true))).toEqual({ file: defaultIpxeScriptUrl('http://10.99.0.1:8080'), rule: 'dhcp.boot.ipxeScript' });
    expect(dhcpBootFileChooser({ ...boot, ipxeScript: 'http://s/x.ipxe' }, singlePublicUrl('http://x'))(machine('efi-x64', true)).file).toBe('http://s/x.ipxe');
  });
});

describe('which family explain says boots a machine', () => {
  const subject = (extra: Partial<ExplainSubject>): ExplainSubject => ({ mac: '52:54:00:12:34:56', firmware: 'bios', isIpxe: false, host: null, arch: 0, ...extra });

  it('iPXE first, then pypxeboot, then the firmware\'s own loader', () => {
    expect(explainingLoader(subject({ isIpxe: true, host: { profileKind: 'xen-domu' } })).id).toBe('ipxe');
    expect(explainingLoader(subject({ host: { profileKind: 'xen-domu' } })).id).toBe('pypxeboot');
    expect(explainingLoader(subject({ mac: '00:16:3e:11:22:33', arch: undefined, firmware: 'unknown' })).id).toBe('pypxeboot');
    // A Xen MAC that sends option 93 is a PXE ROM (an HVM guest), not pypxeboot.
    expect(explainingLoader(subject({ mac: '00:16:3e:11:22:33' })).id).toBe('pxelinux');
    expect(explainingLoader(subject({ firmware: 'unknown', arch: undefined })).id).toBe('pxelinux');
    expect(explainingLoader(subject({ firmware: 'efi-x64', arch: 7 })).id).toBe('grub');
    expect(explainingLoader(subject({ firmware: 'efi-arm64', arch: 11 })).id).toBe('grub');
  });
});

describe('the registry', () => {
  it('one owner per family id, render target and template folder; every built-in folder but xl has a family', () => {
    const ids = LOADERS.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(RENDER_TARGETS).size).toBe(RENDER_TARGETS.length);
    expect([...RENDER_TARGETS].sort()).toEqual(['grub', 'ipxe-efi', 'ipxe-pcbios', 'pxelinux', 'xen-cfg']);
    const folders = LOADERS.flatMap((l) => (l.templates === null ? [] : [l.templates]));
    expect(new Set(folders).size).toBe(folders.length);
    // xl/ holds the xl domU config xenboot-pvboot's hosts use (domu-config.ts), not a loader's files.
    const builtin = readdirSync(join(repoRoot, 'templates')).filter((f) => f !== 'xl').sort();
    expect(builtin).toEqual([...folders].sort());
  });
});
