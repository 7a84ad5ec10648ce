import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describePacket } from '../../src/dhcp/describe.js';
import { decodeOptionArea, DhcpDecodeError, encodeOptionArea, getIp, getIps, getUint16, Opt, optionsEncodingLength, OptionSizeError } from '../../src/dhcp/options.js';
import { decodePacket, encodePacket, encodingLength, MessageType } from '../../src/dhcp/packet.js';
import { readPcapDhcp, bootCaptures } from './pcap.js';

const ownCaptures = join(import.meta.dirname, '..', 'fixtures', 'dhcp');

function captures(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.pcap')).map((f) => join(dir, f));
}

describe('DHCP codec on real captures', () => {
  const files = [...captures(bootCaptures), ...captures(ownCaptures)];
  it('has captures to read', () => expect(files.length).toBeGreaterThanOrEqual(5));

  it.each(files)('%s: decode → encode → decode is identical, and matches the golden dump', async (file) => {
    const datagrams = readPcapDhcp(file);
    expect(datagrams.length).toBeGreaterThan(0);
    const dumps: string[] = [];
    for (const d of datagrams) {
      const packet = decodePacket(d.payload);
      const again = decodePacket(encodePacket(packet));
      expect(again).toEqual(packet);
      expect(encodePacket(packet).length).toBe(encodingLength(packet));
      dumps.push(`#${d.index} ${d.srcIp}:${d.srcPort} → ${d.dstIp}:${d.dstPort} (${d.payload.length} bytes)\n${describePacket(packet)}`);
    }
    const golden = file.startsWith(bootCaptures) ? join(ownCaptures, 'golden', file.split('/').pop()!.replace(/\.pcap$/, '.txt')) : file.replace(/\.pcap$/, '.txt');
    await expect(dumps.join('\n\n') + '\n').toMatchFileSnapshot(golden);
  });

  it('reads what pypxeboot udhcpc 0.9.8 sends: chaddr is the domU MAC, not the Ethernet source; 548 bytes; no PXE options', () => {
    const requests = readPcapDhcp(join(bootCaptures, 'pypxeboot-udhcp-0.9.8.pcap')).filter((d) => d.dstPort === 67);
    const discover = decodePacket(requests[0]!.payload);
    expect(requests[0]!.payload.length).toBe(548);
    expect(discover.type).toBe(MessageType.Discover);
    expect(discover.chaddr.subarray(0, 6).toString('hex')).toBe('00163e112233');
    expect(requests[0]!.ethSrc).not.toBe('00:16:3e:11:22:33');
    expect(discover.flags).toBe(0);
    expect(discover.options.get(Opt.VendorClass)?.toString()).toBe('udhcp 0.9.8');
    expect(discover.options.has(Opt.ClientArch)).toBe(false);
  });

  it('reads option 93 = 7 and option 77 iPXE from the UEFI iPXE capture', () => {
    const discover = readPcapDhcp(join(bootCaptures, 'uefi-ovmf-ipxe-grub2.pcap')).map((d) => decodePacket(d.payload)).find((p) => p.type === MessageType.Discover)!;
    expect(getUint16(discover.options, Opt.ClientArch)).toBe(7);
    expect(discover.options.get(Opt.UserClass)?.toString()).toBe('iPXE');
    expect(discover.options.has(Opt.IpxeEncap)).toBe(true);
  });
});

function minimalPacket(options: Buffer): Buffer {
  const buf = Buffer.alloc(240 + options.length);
  buf[0] = 1;
  buf[1] = 1;
  buf[2] = 6;
  buf.writeUInt32BE(0x63825363, 236);
  options.copy(buf, 240);
  return buf;
}

describe('DHCP codec edge cases', () => {
  it('refuses truncated packets and a bad cookie with precise messages', () => {
    expect(() => decodePacket(Buffer.alloc(100))).toThrow(/100 bytes, shorter than the 240-byte/);
    const noCookie = minimalPacket(Buffer.from([255]));
    noCookie.writeUInt32BE(0x12345678, 236);
    expect(() => decodePacket(noCookie)).toThrow(/magic cookie is 0x12345678/);
  });

  it('refuses an option whose length runs past the end', () => {
    expect(() => decodePacket(minimalPacket(Buffer.from([53, 1, 1, 60, 10, 65, 66])))).toThrow(/option 60 in options at offset 243 claims 10 bytes of payload, but only 2 remain/);
    expect(() => decodePacket(minimalPacket(Buffer.from([53, 1, 1, 12])))).toThrow(DhcpDecodeError);
  });

  it('reads options overloaded into file and sname (RFC 2132 §9.3), once: an option 52 inside them cannot loop', () => {
    const buf = minimalPacket(Buffer.from([53, 1, 1, 52, 1, 3, 255]));
    Buffer.from([67, 4, 0x61, 0x2e, 0x62, 0x69, 52, 1, 3, 255]).copy(buf, 108); // file area: option 67 "a.bi", a nested 52
    Buffer.from([12, 2, 0x68, 0x6f, 255]).copy(buf, 44); // sname area: hostname "ho"
    const packet = decodePacket(buf);
    expect(packet.options.get(Opt.BootFile)?.toString()).toBe('a.bi');
    expect(packet.options.get(Opt.HostName)?.toString()).toBe('ho');
    expect(packet.file).toBe('');
    expect(packet.options.has(Opt.Overload)).toBe(false);
  });

  it('concatenates split options and splits long ones again (RFC 3396)', () => {
    const long = Buffer.alloc(600, 0x41);
    const options = new Map([[Opt.BootFile, long], [224, Buffer.from([1, 2, 3])]]);
    const buf = Buffer.alloc(optionsEncodingLength(options));
    expect(encodeOptionArea(options, buf, 0)).toBe(buf.length);
    expect(buf.length).toBe(600 + 3 * 2 + 5 + 1);
    const back = new Map();
    decodeOptionArea(buf, 0, buf.length, back, 'test');
    expect(back.get(Opt.BootFile)).toEqual(long);
    expect(back.get(224)).toEqual(Buffer.from([1, 2, 3]));
  });

  it('keeps unknown options through a round trip and encodes a long option in pieces', () => {
    const packet = decodePacket(minimalPacket(Buffer.from([53, 1, 3, 250, 2, 9, 9, 255])));
    packet.options.set(Opt.BootFile, Buffer.alloc(300, 0x62));
    const again = decodePacket(encodePacket(packet));
    expect(again.options.get(250)).toEqual(Buffer.from([9, 9]));
    expect(again.options.get(Opt.BootFile)!.length).toBe(300);
  });

  it('typed getters check lengths', () => {
    const options = new Map([[Opt.ServerId, Buffer.from([10, 0, 0, 1])], [Opt.Router, Buffer.from([1, 2, 3])]]);
    expect(getIp(options, Opt.ServerId)).toBe('10.0.0.1');
    expect(() => getIps(options, Opt.Router)).toThrow(OptionSizeError);
    expect(getIp(options, Opt.RequestedIp)).toBeUndefined();
  });

  it('decodes a packet that sits inside a larger buffer (pooled Buffer views)', () => {
    const inner = minimalPacket(Buffer.from([53, 1, 1, 255]));
    inner.writeUInt32BE(0xdeadbeef, 4);
    const outer = Buffer.concat([Buffer.alloc(7, 0xff), inner]);
    expect(decodePacket(outer.subarray(7)).xid).toBe(0xdeadbeef);
  });
});
