/**
 * A tiny pcap reader for tests and the fuzzer's seeds: classic pcap (microsecond or nanosecond, either byte order), Ethernet
 * (link type 1) or Linux cooked (113) frames, IPv4 + UDP. Returns the UDP payloads with their ports.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real-client captures kept with the tests (`test/fixtures/captures`, see its README). */
export const bootCaptures = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'captures');

/** One UDP datagram from a capture. */
export interface CapturedDatagram {
  index: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  /** Ethernet source MAC (empty for cooked captures). */
  ethSrc: string;
  payload: Buffer;
}

/** Reads every IPv4/UDP datagram from a pcap file. */
export function readPcapUdp(path: string): CapturedDatagram[] {
  const data = readFileSync(path);
  const magic = data.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && data.readUInt32BE(0) !== 0xa1b2c3d4 && data.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${path}: not a pcap file`);
  const u32 = (o: number) => (little ? data.readUInt32LE(o) : data.readUInt32BE(o));
  const linkType = u32(20);
  const out: CapturedDatagram[] = [];
  let offset = 24;
  let index = 0;
  while (offset + 16 <= data.length) {
    const captured = u32(offset + 8);
    const frame = data.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    index += 1;
    let ipStart: number;
    let ethSrc = '';
    if (linkType === 1) {
      if (frame.readUInt16BE(12) !== 0x0800) continue;
      ethSrc = frame.subarray(6, 12).toString('hex').replace(/(..)(?=.)/g, '$1:');
      ipStart = 14;
    } else if (linkType === 113) {
      if (frame.readUInt16BE(14) !== 0x0800) continue;
      ipStart = 16;
    } else throw new Error(`${path}: link type ${linkType} not supported`);
    const ip = frame.subarray(ipStart);
    if (ip[9] !== 17) continue;
    const ihl = (ip[0]! & 15) * 4;
    const udp = ip.subarray(ihl);
    const dotted = (o: number) => `${ip[o]}.${ip[o + 1]}.${ip[o + 2]}.${ip[o + 3]}`;
    out.push({
      index,
      srcIp: dotted(12),
      dstIp: dotted(16),
      srcPort: udp.readUInt16BE(0),
      dstPort: udp.readUInt16BE(2),
      ethSrc,
      payload: Buffer.from(udp.subarray(8, udp.readUInt16BE(4))),
    });
  }
  return out;
}

/** Only the DHCP datagrams (ports 67, 68, 4011). */
export function readPcapDhcp(path: string): CapturedDatagram[] {
  return readPcapUdp(path).filter((d) => [67, 68, 4011].includes(d.dstPort) && [67, 68, 4011].includes(d.srcPort));
}
