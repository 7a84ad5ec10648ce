/**
 * An audit of the DHCP ACKs seen on a wire: reads a classic pcap file (Ethernet frames, as `tcpdump -w`
 * writes on a bridge or veth), keeps every BOOTREPLY whose option 53 is ACK, and finds the addresses that
 * were acknowledged to more than one MAC. Pure file reading; the replies are decoded with
 * `dhcp-wire.ts`, apart from the server's codec.
 */
import { readFileSync } from 'node:fs';
import { DHCP_ACK, DHCP_NAK, decodeReply } from './dhcp-wire.js';

/** One ACK on the wire. */
export interface WireAck {
  /** Capture time, ms since the epoch. */
  at: number;
  mac: string;
  ip: string;
  /** Option 54 of the ACK: which server sent it. */
  server: string;
}

/** Every ACK in a pcap file (Ethernet link type), in capture order. A truncated last record is ignored. */
export function readWireAcks(path: string): WireAck[] {
  return readWireReplies(path).acks;
}

/** The ACKs of a pcap file, and how many NAKs it holds. */
export function readWireReplies(path: string): { acks: WireAck[]; naks: number } {
  const data = readFileSync(path);
  if (data.length < 24) return { acks: [], naks: 0 };
  const magic = data.readUInt32LE(0);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || data.readUInt32BE(0) === 0xa1b23c4d;
  const u32 = (o: number) => (little ? data.readUInt32LE(o) : data.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${path}: link type ${u32(20)} is not Ethernet`);
  const acks: WireAck[] = [];
  let naks = 0;
  for (let offset = 24; offset + 16 <= data.length; ) {
    const at = u32(offset) * 1000 + u32(offset + 4) / (nano ? 1e6 : 1e3);
    const length = u32(offset + 8);
    const frame = data.subarray(offset + 16, offset + 16 + length);
    offset += 16 + length;
    if (frame.length < length || frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ipHeader = (frame[14]! & 0x0f) * 4;
    if (frame[14 + 9] !== 17) continue; // UDP
    const udp = frame.subarray(14 + ipHeader);
    if (udp.readUInt16BE(0) !== 67) continue;
    const reply = decodeReply(udp.subarray(8));
    if (reply?.messageType === DHCP_NAK) naks += 1;
    if (reply === null || reply.messageType !== DHCP_ACK || reply.yiaddr === '0.0.0.0') continue;
    const mac = [...reply.chaddr].map((b) => b.toString(16).padStart(2, '0')).join(':');
    acks.push({ at, mac, ip: reply.yiaddr, server: reply.serverId ?? '' });
  }
  return { acks, naks };
}

/** The addresses acknowledged to more than one MAC, with those MACs (empty when no address was leased twice). */
export function addressesLeasedTwice(acks: readonly WireAck[]): Array<{ ip: string; macs: string[] }> {
  const byIp = new Map<string, Set<string>>();
  for (const ack of acks) byIp.set(ack.ip, (byIp.get(ack.ip) ?? new Set()).add(ack.mac));
  return [...byIp].filter(([, macs]) => macs.size > 1).map(([ip, macs]) => ({ ip, macs: [...macs] }));
}
