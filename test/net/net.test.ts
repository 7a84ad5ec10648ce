import { describe, expect, it } from 'vitest';
import { cidrBroadcast, cidrContains, intToIp, ipFromBytes, ipToHex, ipToInt, isIpv4, maskToPrefix, parseCidr, parseQuad, prefixToMask } from '../../src/net/ipv4.js';
import { macFromBytes, macToBytes, parseMac, pxelinuxMacName } from '../../src/net/mac.js';
import { parseUuid, swapUuidFields, uuidFromBytes } from '../../src/net/uuid.js';

describe('MAC parsing', () => {
  it.each([
    ['00:16:3E:11:22:33', '00:16:3e:11:22:33'],
    ['00-16-3e-11-22-33', '00:16:3e:11:22:33'],
    ['00163e112233', '00:16:3e:11:22:33'],
    ['0016.3e11.2233', '00:16:3e:11:22:33'],
    [' 52:54:00:12:34:56 ', '52:54:00:12:34:56'],
  ])('%s → %s', (input, expected) => expect(parseMac(input)).toBe(expected));

  it.each(['00:16:3e:11:22', '00:16-3e:11:22:33', 'zz:16:3e:11:22:33', '0:16:3e:11:22:33:44', ''])('refuses %j', (input) =>
    expect(parseMac(input)).toBeNull(),
  );

  it('converts to and from bytes and to the PXELINUX name', () => {
    expect(macFromBytes(macToBytes('52:54:00:12:34:56'))).toBe('52:54:00:12:34:56');
    expect(pxelinuxMacName('52:54:00:12:34:56')).toBe('01-52-54-00-12-34-56');
  });
});

describe('IPv4', () => {
  it('round-trips and formats hex like PXELINUX', () => {
    expect(ipToInt('10.99.0.123')).toBe(0x0a63007b);
    expect(intToIp(0x0a63007b)).toBe('10.99.0.123');
    expect(ipToHex('10.99.0.123')).toBe('0A63007B');
  });
  it('reads a dotted quad from four bytes in network order, at an offset', () => {
    expect(ipFromBytes(Buffer.from([10, 99, 0, 123]))).toBe('10.99.0.123');
    expect(ipFromBytes(Buffer.from([0xff, 192, 168, 1, 255, 0xff]), 1)).toBe('192.168.1.255');
  });
  it('refuses malformed addresses', () => {
    for (const bad of ['10.0.1.300', '1.2.3', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', '']) expect(isIpv4(bad)).toBe(false);
    expect(() => ipToInt('10.0.1.300')).toThrow(/not an IPv4 address/);
  });
  it('handles masks and networks', () => {
    expect(prefixToMask(24)).toBe('255.255.255.0');
    expect(prefixToMask(0)).toBe('0.0.0.0');
    expect(maskToPrefix('255.255.240.0')).toBe(20);
    expect(maskToPrefix('255.0.255.0')).toBeNull();
    const net = parseCidr('10.99.0.77/24')!;
    expect(intToIp(net.network)).toBe('10.99.0.0');
    expect(cidrContains(net, ipToInt('10.99.0.254'))).toBe(true);
    expect(cidrContains(net, ipToInt('10.99.1.1'))).toBe(false);
    expect(intToIp(cidrBroadcast(net))).toBe('10.99.0.255');
    expect(parseCidr('10.0.0.0/33')).toBeNull();
  });
});

describe('the fast paths agree with the strict forms', () => {
  it('parseQuad accepts exactly what isIpv4 accepts, and gives ipToInt’s number', () => {
    const samples = ['0.0.0.0', '255.255.255.255', '10.99.0.123', '1.2.3.4', '256.1.1.1', '1.2.3.04', '00.1.2.3', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-4', '1e2.1.1.1', '1.2.3', '1.2.3.4.5', '', '999.0.0.0', '25.25.25.2555'];
    // And 2,000 strings made of digits and dots.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) samples.push(Array.from({ length: 3 + (next() % 14) }, () => '0123456789..'[next() % 12]).join(''));
    for (const text of samples) {
      expect(parseQuad(text) >= 0, text).toBe(isIpv4(text));
      if (isIpv4(text)) expect(parseQuad(text), text).toBe(text.split('.').reduce((acc, part) => acc * 256 + Number(part), 0));
    }
  });

  it('macFromBytes and an already canonical parseMac give the canonical form', () => {
    for (let b = 0; b < 256; b++) {
      const mac = macFromBytes(Uint8Array.from([b, 255 - b, b ^ 0x5a, 0, 15, 16]));
      expect(mac).toBe([b, 255 - b, b ^ 0x5a, 0, 15, 16].map((x) => x.toString(16).padStart(2, '0')).join(':'));
      expect(parseMac(mac)).toBe(mac);
    }
    expect(parseMac('00:16:3E:11:22:33')).toBe('00:16:3e:11:22:33');
  });
});

describe('UUID', () => {
  it('swaps the first three fields between canonical and SMBIOS wire order', () => {
    // Measured: QEMU -smbios uuid=b8945908-d6a6-41a9-611d-74a6ab80b83d, option 97 bytes 08 59 94 b8 a6 d6 a9 41 …
    const wire = uuidFromBytes(Buffer.from('085994b8a6d6a941611d74a6ab80b83d', 'hex'));
    expect(wire).toBe('085994b8-a6d6-a941-611d-74a6ab80b83d');
    expect(swapUuidFields(wire)).toBe('b8945908-d6a6-41a9-611d-74a6ab80b83d');
    expect(swapUuidFields(swapUuidFields(wire))).toBe(wire);
    // Against the field-by-field definition, on random UUIDs.
    for (let k = 0; k < 200; k++) {
      const uuid = uuidFromBytes(Uint8Array.from({ length: 16 }, () => Math.floor(Math.random() * 256)));
      const [a, b, c, d, e] = uuid.split('-') as [string, string, string, string, string];
      const swap = (hex: string) => hex.match(/../g)!.reverse().join('');
      expect(swapUuidFields(uuid)).toBe(`${swap(a)}-${swap(b)}-${swap(c)}-${d}-${e}`);
    }
    expect(parseUuid('{B8945908-D6A6-41A9-611D-74A6AB80B83D}')).toBe('b8945908-d6a6-41a9-611d-74a6ab80b83d');
    expect(parseUuid('b8945908d6a641a9611d74a6ab80b83d')).toBeNull();
  });
});
