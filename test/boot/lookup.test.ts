import { describe, expect, it } from 'vitest';
import { parseNameKey, shrinkingHexNames } from '../../src/boot/lookup.js';

describe('config-file name keys (shared by PXELINUX, pypxeboot and GRUB)', () => {
  it('hex IP names shrink one digit at a time, from 8 digits down to 1', () => {
    expect(shrinkingHexNames('10.99.0.123')).toEqual(['0A63007B', '0A63007', '0A6300', '0A630', '0A63', '0A6', '0A', '0']);
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

});
