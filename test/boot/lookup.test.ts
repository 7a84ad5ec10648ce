import { describe, expect, it } from 'vitest';
import { grubCandidates, parseGeneratedPath, parseNameKey, pxelinuxCandidates, pypxebootCandidates, shrinkingHexNames } from '../../src/boot/lookup.js';

describe('config-file names', () => {
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

  const table: Array<[string, unknown]> = [
    ['b8945908-d6a6-41a9-611d-74a6ab80b83d', { kind: 'uuid', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d' }],
    ['085994B8-A6D6-A941-611D-74A6AB80B83D', { kind: 'uuid', uuid: '085994b8-a6d6-a941-611d-74a6ab80b83d' }],
    ['01-52-54-00-12-34-56', { kind: 'mac', mac: '52:54:00:12:34:56' }],
    ['01-00-16-3E-11-22-33', { kind: 'mac', mac: '00:16:3e:11:22:33' }],
    ['01-52:54:00:12:34:56', { kind: 'mac', mac: '52:54:00:12:34:56' }],
    ['0A63007B', { kind: 'ip', hex: '0A63007B' }],
    ['0a6300', { kind: 'ip', hex: '0A6300' }],
    ['0', { kind: 'ip', hex: '0' }],
    ['default', { kind: 'default' }],
    ['01-52-54-00-12-34', null],
    ['0A63007B0', null],
    ['../etc/passwd', null],
    ['', null],
  ];
  for (const [name, key] of table) {
    it(`parses ${JSON.stringify(name)}`, () => expect(parseNameKey(name)).toEqual(key));
  }

  it('recognises every generated family and nothing else', () => {
    expect(parseGeneratedPath('pxelinux.cfg/01-52-54-00-12-34-56')).toEqual({ family: 'pxelinux', key: { kind: 'mac', mac: '52:54:00:12:34:56' } });
    expect(parseGeneratedPath('grub/grub.cfg')).toEqual({ family: 'grub', key: { kind: 'default' } });
    expect(parseGeneratedPath('grub/grub.cfg-0A63007B')).toEqual({ family: 'grub', key: { kind: 'ip', hex: '0A63007B' } });
    expect(parseGeneratedPath('grub/grub.cfg-default')).toBeNull();
    expect(parseGeneratedPath('boot.ipxe')).toEqual({ family: 'ipxe-dispatch' });
    expect(parseGeneratedPath('ipxe/efi/01-52-54-00-12-34-56.ipxe')).toEqual({ family: 'ipxe', mac: '52:54:00:12:34:56', platform: 'efi' });
    expect(parseGeneratedPath('ipxe/01-52-54-00-12-34-56.ipxe')).toEqual({ family: 'ipxe', mac: '52:54:00:12:34:56', platform: 'pcbios' });
    expect(parseGeneratedPath('xen-cfg/01-52-54-00-12-34-56')).toEqual({ family: 'xen-cfg', mac: '52:54:00:12:34:56' });
    expect(parseGeneratedPath('pxelinux.0')).toBeNull();
    expect(parseGeneratedPath('pxelinux.cfg/nonsense')).toBeNull();
    expect(parseGeneratedPath('xen.gz')).toBeNull();
  });
});
