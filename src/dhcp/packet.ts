/**
 * The DHCP/BOOTP message codec (RFC 2131 §2, RFC 951): fixed header, magic cookie, options with option
 * overload into `file`/`sname` (RFC 2132 §9.3) and long options (RFC 3396). Pure: `decodePacket`,
 * `encodePacket`, `encodingLength`; no sockets, config or logging. The message type (option 53) is
 * lifted into `type`, so callers never handle it twice.
 */
import { ipFromBytes, parseQuad } from '../net/ipv4.js';
import { collectOptionArea, DhcpDecodeError, joinOptionPieces, optionPieces, takeOption, encodeOptionArea, Opt, optionsEncodingLength, type DhcpOptions } from './options.js';

/** DHCP message types (option 53, RFC 2132 §9.6; 8 is RFC 2131 INFORM). */
export const MessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;

const TYPE_NAMES: Record<number, string> = {
  1: 'DISCOVER',
  2: 'OFFER',
  3: 'REQUEST',
  4: 'DECLINE',
  5: 'ACK',
  6: 'NAK',
  7: 'RELEASE',
  8: 'INFORM',
};

/** `DISCOVER`, `OFFER`, … for logs and events; `BOOTP` when there is no option 53; `TYPE<n>` for unknown codes. */
export function messageTypeName(type: number | null): string {
  if (type === null) return 'BOOTP';
  return TYPE_NAMES[type] ?? `TYPE${type}`;
}

/** BOOTP op codes. */
export const Op = { Request: 1, Reply: 2 } as const;

/** The broadcast bit of `flags` (RFC 2131 §2, figure 2). */
export const BROADCAST_FLAG = 0x8000;

/** RFC 2131 §3: 99.130.83.99. */
export const MAGIC_COOKIE = 0x63825363;

/** Size of the fixed BOOTP header before the magic cookie. */
export const HEADER_LENGTH = 236;

/**
 * The largest datagram the decoder accepts: the UDP payload of a 9000-byte jumbo frame (9000 − 20 IP −
 * 8 UDP). RFC 2131 §2 only obliges a client to accept 576-byte messages, and every client seen (PXE ROMs,
 * iPXE, GRUB, EDK2, udhcpc, dhclient) sends one Ethernet frame (≤ 1472 bytes) or less; a bigger datagram
 * arrived fragmented, which no DHCP client does, so it is refused before any option is read. dnsmasq
 * reads at most 16 KiB; this limit is smaller and still holds any single frame on a jumbo-frame network.
 */
export const MAX_DHCP_DATAGRAM = 8972;

/** A decoded DHCP message. Addresses are dotted quads; `0.0.0.0` means unset. */
export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The 16-byte `chaddr` field as sent (the MAC is the first `hlen` bytes). */
  chaddr: Buffer;
  /** Server host name field (64 bytes on the wire), NULs stripped; empty when used for options. */
  sname: string;
  /** Boot file field (128 bytes on the wire), NULs stripped; empty when used for options. */
  file: string;
  /** Option 53, or `null` for plain BOOTP. */
  type: number | null;
  /** Every other option, concatenated per RFC 3396; unknown codes kept for round-trips. Option 52 is not kept: overload is an encoding detail. */
  options: DhcpOptions;
}

function writeIp(buf: Buffer, offset: number, ip: string): void {
  const value = parseQuad(ip);
  if (value >= 0) {
    buf.writeUInt32BE(value, offset);
    return;
  }
  const parts = ip.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${JSON.stringify(ip)}`);
  for (let i = 0; i < 4; i++) buf[offset + i] = Number(parts[i]) & 255;
}

function readField(buf: Buffer, offset: number, length: number): string {
  const raw = buf.subarray(offset, offset + length);
  const nul = raw.indexOf(0);
  return raw.subarray(0, nul === -1 ? length : nul).toString('latin1');
}

/**
 * Decodes a DHCP message. Throws `DhcpDecodeError` naming the field and numbers when the datagram is
 * truncated, lacks the magic cookie, or has an option that runs past its area.
 */
export function decodePacket(buf: Buffer): DhcpPacket {
  if (buf.length > MAX_DHCP_DATAGRAM) {
    throw new DhcpDecodeError(`packet is ${buf.length} bytes, larger than the ${MAX_DHCP_DATAGRAM}-byte limit (one jumbo frame)`);
  }
  if (buf.length < HEADER_LENGTH + 4) {
    throw new DhcpDecodeError(`packet is ${buf.length} bytes, shorter than the ${HEADER_LENGTH + 4}-byte BOOTP header and cookie`);
  }
  const cookie = buf.readUInt32BE(HEADER_LENGTH);
  if (cookie !== MAGIC_COOKIE) throw new DhcpDecodeError(`magic cookie is 0x${cookie.toString(16)}, expected 0x63825363`);
  const hlen = buf[2]!;
  if (hlen > 16) throw new DhcpDecodeError(`hlen ${hlen} is larger than the 16-byte chaddr field`);

  const pieces = optionPieces(buf);
  collectOptionArea(pieces, HEADER_LENGTH + 4, buf.length, 'options');
  // RFC 2132 §9.3: option 52 says the file and/or sname fields hold more options. They are read after
  // the main area, file first then sname (RFC 3396 §5 concatenation order). Overload inside an
  // overloaded field is ignored: reading the main area's option 52 once means no loop is possible.
  const overloadData = takeOption(pieces, Opt.Overload);
  let overload = 0;
  if (overloadData !== undefined) {
    if (overloadData.length !== 1 || overloadData[0]! < 1 || overloadData[0]! > 3) {
      throw new DhcpDecodeError(`option 52 (Overload) must be one byte 1–3, got ${overloadData.toString('hex') || 'nothing'}`);
    }
    overload = overloadData[0]!;
  }
  if (overload & 1) collectOptionArea(pieces, 108, 236, 'file');
  if (overload & 2) collectOptionArea(pieces, 44, 108, 'sname');
  takeOption(pieces, Opt.Overload);
  const options: DhcpOptions = new Map();
  joinOptionPieces(pieces, options);

  const typeData = options.get(Opt.MessageType);
  options.delete(Opt.MessageType);
  if (typeData !== undefined && typeData.length !== 1) {
    throw new DhcpDecodeError(`option 53 (MessageType) must be 1 byte, got ${typeData.length}`);
  }

  return {
    op: buf[0]!,
    htype: buf[1]!,
    hlen,
    hops: buf[3]!,
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipFromBytes(buf, 12),
    yiaddr: ipFromBytes(buf, 16),
    siaddr: ipFromBytes(buf, 20),
    giaddr: ipFromBytes(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 44)),
    sname: overload & 2 ? '' : readField(buf, 44, 64),
    file: overload & 1 ? '' : readField(buf, 108, 128),
    type: typeData === undefined ? null : typeData[0]!,
    options,
  };
}

/**
 * The message type (option 53) of a BOOTREQUEST, read from the main option area without decoding it, or
 * null when `buf` is no BOOTREQUEST or carries none there. A look for overload decisions only (what is
 * dropped before decoding); `decodePacket` is the judge of everything else.
 */
export function requestType(buf: Uint8Array): number | null {
  if (buf.length < HEADER_LENGTH + 4 || buf[0] !== Op.Request) return null;
  if (buf[236] !== 99 || buf[237] !== 130 || buf[238] !== 83 || buf[239] !== 99) return null;
  for (let at = HEADER_LENGTH + 4; at < buf.length; ) {
    const code = buf[at]!;
    if (code === 0) {
      at += 1;
      continue;
    }
    if (code === 255 || at + 1 >= buf.length) return null;
    const size = buf[at + 1]!;
    if (at + 2 + size > buf.length) return null;
    if (code === Opt.MessageType && size >= 1) return buf[at + 2]!;
    at += 2 + size;
  }
  return null;
}

function optionsWithType(packet: DhcpPacket): DhcpOptions {
  if (packet.type === null) return packet.options;
  // Message type first: some old clients look for it at the start of the option area.
  const all: DhcpOptions = new Map([[Opt.MessageType, Buffer.from([packet.type])]]);
  for (const [code, data] of packet.options) if (code !== Opt.MessageType && code !== Opt.Overload) all.set(code, data);
  return all;
}

/** True when the message type can be written first and `packet.options` after it as they are (the usual case). */
function typeApart(packet: DhcpPacket): boolean {
  return packet.type !== null && !packet.options.has(Opt.MessageType) && !packet.options.has(Opt.Overload);
}

/** Bytes `encodePacket` produces for `packet`: header, cookie, options and End (no padding). */
export function encodingLength(packet: DhcpPacket): number {
  // Option 53 is 3 bytes; counted apart, no map is built (buildReply asks this once per reply or more).
  if (typeApart(packet)) return HEADER_LENGTH + 4 + 3 + optionsEncodingLength(packet.options);
  return HEADER_LENGTH + 4 + optionsEncodingLength(optionsWithType(packet));
}

/**
 * Encodes a DHCP message; options go in the main area (no overload). `minLength` pads with zeros up to
 * that size (BOOTP's historic 300-byte minimum, RFC 1542 §2.1). Throws when `sname`/`file` do not fit.
 */
export function encodePacket(packet: DhcpPacket, minLength = 0): Buffer {
  const sname = Buffer.from(packet.sname, 'latin1');
  const file = Buffer.from(packet.file, 'latin1');
  if (sname.length > 63) throw new Error(`sname is ${sname.length} bytes; at most 63 fit`);
  if (file.length > 127) throw new Error(`file is ${file.length} bytes; at most 127 fit`);
  const apart = typeApart(packet);
  const options = apart ? packet.options : optionsWithType(packet);
  const length = HEADER_LENGTH + 4 + (apart ? 3 : 0) + optionsEncodingLength(options);
  const buf = Buffer.alloc(Math.max(length, minLength));
  buf[0] = packet.op;
  buf[1] = packet.htype;
  buf[2] = packet.hlen;
  buf[3] = packet.hops;
  buf.writeUInt32BE(packet.xid >>> 0, 4);
  buf.writeUInt16BE(packet.secs & 0xffff, 8);
  buf.writeUInt16BE(packet.flags & 0xffff, 10);
  writeIp(buf, 12, packet.ciaddr);
  writeIp(buf, 16, packet.yiaddr);
  writeIp(buf, 20, packet.siaddr);
  writeIp(buf, 24, packet.giaddr);
  packet.chaddr.copy(buf, 28, 0, Math.min(16, packet.chaddr.length));
  sname.copy(buf, 44);
  file.copy(buf, 108);
  buf.writeUInt32BE(MAGIC_COOKIE, HEADER_LENGTH);
  let at = HEADER_LENGTH + 4;
  if (apart) {
    // Message type first: some old clients look for it at the start of the option area.
    buf[at] = Opt.MessageType;
    buf[at + 1] = 1;
    buf[at + 2] = packet.type!;
    at += 3;
  }
  encodeOptionArea(options, buf, at);
  return buf;
}
