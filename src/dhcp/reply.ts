/**
 * Building reply packets: the BOOTP fields copied from the request (RFC 2131 §4.3.1 table 3), options in
 * order of importance, and the size rule: at most 548 bytes of BOOTP payload (IP total 576) unless the
 * client's option 57 allows more, dropping the least important options first. udhcpc 0.9.8 drops
 * anything larger as "bogus" (boot-protocols.md §0 #5).
 */
import { Opt, type DhcpOptions } from './options.js';
import { BROADCAST_FLAG, encodePacket, encodingLength, Op, type DhcpPacket } from './packet.js';

/** The default largest reply: 576-byte IP datagram minus 20 (IP) and 8 (UDP) header bytes. */
export const DEFAULT_MAX_REPLY = 548;

/** Largest reply on a 1500-byte MTU link (1500 − 28). */
const MTU_MAX_REPLY = 1472;

/** BOOTP's historic minimum message size (RFC 1542 §2.1): some old PXE ROMs drop shorter replies. */
export const BOOTP_MIN_LENGTH = 300;

/** The bytes of a reply as they go on the wire: encoded, padded with zeros to `BOOTP_MIN_LENGTH`. */
export function encodeReply(packet: DhcpPacket): Buffer {
  return encodePacket(packet, BOOTP_MIN_LENGTH);
}

/** An option with its importance: lower numbers are kept longest. */
export interface RankedOption {
  code: number;
  data: Buffer;
  /** 0 = never dropped (message type, server id, lease time); higher = dropped earlier. */
  rank: number;
}

/** The fixed fields of a reply that differ from the request. */
export interface ReplyFields {
  type: number;
  yiaddr: string;
  siaddr: string;
  file: string;
  sname?: string;
  /** Copy the broadcast flag (or set it, to make a relay broadcast). */
  broadcast?: boolean;
}

/** The largest BOOTP payload this client accepts: option 57 − 28 when it is a legal value (≥ 576), else 548. */
export function maxReplyLength(request: DhcpPacket): number {
  const data = request.options.get(Opt.MaxMessageSize);
  if (!data || data.length !== 2) return DEFAULT_MAX_REPLY;
  const max = data.readUInt16BE(0);
  if (max < 576) return DEFAULT_MAX_REPLY;
  return Math.min(max - 28, MTU_MAX_REPLY);
}

/**
 * Assembles a reply to `request`, then drops options from the highest rank down until the encoded size
 * fits `maxLength`. Option 67 comes after every other option but 82, which is echoed last, as RFC 3046
 * §2.2 asks. Returns the packet and the codes dropped.
 */
export function buildReply(request: DhcpPacket, fields: ReplyFields, ranked: RankedOption[], maxLength: number): { packet: DhcpPacket; dropped: number[] } {
  const kept = [...ranked].filter((o) => o.code !== Opt.MessageType);
  const relayInfo = request.options.get(Opt.RelayAgent);
  const packet: DhcpPacket = {
    op: Op.Reply,
    htype: request.htype,
    hlen: request.hlen,
    hops: 0,
    xid: request.xid,
    secs: 0,
    flags: fields.broadcast ? request.flags | BROADCAST_FLAG : request.flags & BROADCAST_FLAG,
    ciaddr: fields.type === 6 ? '0.0.0.0' : request.ciaddr,
    yiaddr: fields.yiaddr,
    siaddr: fields.siaddr,
    giaddr: request.giaddr,
    chaddr: Buffer.from(request.chaddr),
    sname: fields.sname ?? '',
    file: Buffer.byteLength(fields.file, 'latin1') <= 127 ? fields.file : '',
    type: fields.type,
    options: new Map(),
  };
  const dropped: number[] = [];
  const assemble = (): DhcpOptions => {
    const options: DhcpOptions = new Map();
    for (const o of kept) if (o.code !== Opt.BootFile) options.set(o.code, o.data);
    // Option 67 last: EDK2 writes a NUL after its value in place (`PxeBcParseDhcp4Packet`, "force to append
    // null terminated character"), which then lands on End (or on option 82, which the relay strips)
    // rather than on the code of another option.
    const bootFile = kept.find((o) => o.code === Opt.BootFile);
    if (bootFile) options.set(Opt.BootFile, bootFile.data);
    if (relayInfo) options.set(Opt.RelayAgent, relayInfo);
    return options;
  };
  packet.options = assemble();
  while (encodingLength(packet) > maxLength) {
    let worst = -1;
    for (let i = 0; i < kept.length; i++) if (kept[i]!.rank > 0 && (worst === -1 || kept[i]!.rank >= kept[worst]!.rank)) worst = i;
    if (worst === -1) break;
    dropped.push(kept[worst]!.code);
    kept.splice(worst, 1);
    packet.options = assemble();
  }
  return { packet, dropped };
}
