/**
 * Real read requests from the recorded boot captures (`test/fixtures/captures/*.pcap`: iPXE ROM,
 * PXELINUX, GRUB2, EDK2 UEFI PXE, pypxeboot's tftpy): every RRQ decodes, matches tcpdump's own decoding,
 * re-encodes to the same bytes, has a usable path, and negotiates an OACK with exactly the options the
 * client asked for (PXELINUX and tftpy reject anything else).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { normaliseContentPath } from '../../src/content/path.js';
import { negotiateTftpOptions } from '../../src/tftp/codec/options.js';
import { decodeTftpPacket, encodeTftpPacket, type TftpRequestPacket } from '../../src/tftp/codec/packet.js';
import { requireCommands, runCommand } from '../../lab/process.js';

const CAPTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'captures');

/** UDP payloads sent to port 69 in a classic little- or big-endian Ethernet pcap. */
function tftpRequests(file: string): Buffer[] {
  const data = readFileSync(file);
  const magic = data.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && data.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a pcap file`);
  const u32 = (offset: number) => (le ? data.readUInt32LE(offset) : data.readUInt32BE(offset));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)}, expected Ethernet`);
  const payloads: Buffer[] = [];
  for (let offset = 24; offset + 16 <= data.length; ) {
    const captured = u32(offset + 8);
    const frame = data.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    let l3 = 14;
    let etherType = frame.readUInt16BE(12);
    if (etherType === 0x8100) {
      etherType = frame.readUInt16BE(16);
      l3 = 18;
    }
    if (etherType !== 0x0800 || frame[l3 + 9] !== 17) continue;
    const l4 = l3 + (frame[l3]! & 0x0f) * 4;
    if (frame.readUInt16BE(l4 + 2) !== 69) continue;
    payloads.push(frame.subarray(l4 + 8, l4 + frame.readUInt16BE(l4 + 4)));
  }
  return payloads;
}

/** Renders an RRQ the way tcpdump -vv does: `RRQ "name" mode opt value …`. */
function render(request: TftpRequestPacket): string {
  return [`RRQ "${request.filename}"`, request.mode, ...request.options.flatMap((o) => [o.name, o.value])].join(' ');
}

const files = readdirSync(CAPTURES).filter((f) => f.endsWith('.pcap')).sort();

describe('RRQs from real boot clients', () => {
  beforeAll(() => requireCommands('tcpdump'));

  it('covers the five recorded clients', () => {
    expect(files.length).toBe(5);
  });

  it.each(files)('%s: decode like tcpdump, re-encode byte for byte, negotiate only what was asked', async (name) => {
    const path = join(CAPTURES, name);
    const payloads = tftpRequests(path);
    expect(payloads.length).toBeGreaterThan(0);
    const requests = payloads.map((p) => decodeTftpPacket(p) as TftpRequestPacket);

    const dump = await runCommand('tcpdump', ['-nr', path, '-vv', 'udp dst port 69'], { timeoutMs: 10_000 });
    const theirs = [...dump.stdout.matchAll(/(RRQ "[^"]*".*)$/gm)].map((m) => m[1]!.trim());
    expect(requests.map(render)).toEqual(theirs);

    payloads.forEach((payload, i) => {
      const request = requests[i]!;
      expect(request.type).toBe('rrq');
      expect(request.mode).toBe('octet');
      expect(encodeTftpPacket(request).equals(payload)).toBe(true);
      expect(normaliseContentPath(request.filename)).not.toMatch(/^\//);
      const negotiation = negotiateTftpOptions(request.options, 123_456, { maxBlksize: 65464, maxWindowsize: 64 });
      expect(negotiation.accepted.map((o) => o.name)).toEqual(request.options.map((o) => o.name));
      const tsize = negotiation.accepted.find((o) => o.name === 'tsize');
      if (tsize) expect(tsize.value).toBe('123456');
    });
  });

  it('EDK2 asks tsize + blksize 1468 + windowsize 4 first, then again without tsize', () => {
    const requests = tftpRequests(join(CAPTURES, 'uefi-ovmf-native-pxe.pcap')).map((p) => decodeTftpPacket(p) as TftpRequestPacket);
    const [probe, download] = requests;
    expect(negotiateTftpOptions(probe!.options, 900_000, { maxBlksize: 65464, maxWindowsize: 64 })).toMatchObject({ blksize: 1468, windowsize: 4 });
    expect(download!.options.map((o) => o.name)).toEqual(['blksize', 'windowsize']);
  });

  it('pypxeboot (tftpy 0.6) sends no options: no OACK, 512-byte blocks', () => {
    const requests = tftpRequests(join(CAPTURES, 'pypxeboot-udhcp-0.9.8.pcap')).map((p) => decodeTftpPacket(p) as TftpRequestPacket);
    expect(requests.map((r) => r.filename)).toEqual(['pxelinux.cfg/01-00-16-3e-11-22-33', 'domu/initrd.img', 'domu/vmlinuz']);
    for (const r of requests) expect(negotiateTftpOptions(r.options, 1, { maxBlksize: 65464, maxWindowsize: 64 }).accepted).toEqual([]);
  });
});
