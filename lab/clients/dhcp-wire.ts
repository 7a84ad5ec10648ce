/**
 * The DHCP messages a BIOS PXE ROM sends (QEMU's iPXE ROM as captured in boot-protocols.md §2.1), and a
 * reader for the replies. Pure: no sockets. Kept apart from the server's codec on purpose, so the
 * storm clients and the store's race test do not share the server's bugs (RFC 2131 §2 layout, RFC 2132 options).
 */

const MAGIC_COOKIE = 0x63825363;

/** What one storm client puts in its requests. */
export interface PxeIdentity {
  mac: Buffer;
  uuid: Buffer;
  xid: number;
}

/** The fields of an OFFER/ACK the client uses. */
export interface DhcpReply {
  op: number;
  xid: number;
  yiaddr: string;
  siaddr: string;
  chaddr: Buffer;
  file: string;
  messageType: number | undefined;
  serverId: string | undefined;
  bootFileOption: string | undefined;
}

function ip(bytes: Buffer, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function ipBytes(text: string): number[] {
  return text.split('.').map(Number);
}

const PARAMETER_LIST = [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203];

/** A DISCOVER (`requested` unset) or a REQUEST for `requested` from `server`, PXE ROM style, broadcast flag set. */
export function encodeRequest(identity: PxeIdentity, requested?: { ip: string; server: string }): Buffer {
  const packet = Buffer.alloc(548);
  packet[0] = 1; // BOOTREQUEST
  packet[1] = 1; // Ethernet
  packet[2] = 6;
  packet.writeUInt32BE(identity.xid >>> 0, 4);
  packet.writeUInt16BE(0x8000, 10); // broadcast flag: the storm shares one socket on port 68
  identity.mac.copy(packet, 28);
  packet.writeUInt32BE(MAGIC_COOKIE, 236);
  const options: number[] = [];
  const add = (code: number, value: number[] | Buffer) => options.push(code, value.length, ...value);
  add(53, [requested ? 3 : 1]);
  add(57, [0x05, 0xc0]); // 1472
  add(93, [0, 0]); // BIOS x86
  add(94, [1, 2, 1]);
  add(60, [...Buffer.from('PXEClient:Arch:00000:UNDI:002001')]);
  add(55, PARAMETER_LIST);
  add(61, [1, ...identity.mac]);
  add(97, [0, ...identity.uuid]);
  if (requested) {
    add(50, ipBytes(requested.ip));
    add(54, ipBytes(requested.server));
  }
  options.push(255);
  Buffer.from(options).copy(packet, 240);
  return packet;
}

/** Reads a BOOTREPLY; `null` when it is not one (short, wrong cookie). */
export function decodeReply(packet: Buffer): DhcpReply | null {
  if (packet.length < 240 || packet[0] !== 2 || packet.readUInt32BE(236) !== MAGIC_COOKIE) return null;
  const reply: DhcpReply = {
    op: 2,
    xid: packet.readUInt32BE(4),
    yiaddr: ip(packet, 16),
    siaddr: ip(packet, 20),
    chaddr: packet.subarray(28, 34),
    file: packet.subarray(108, 236).toString('latin1').replace(/\0.*$/s, ''),
    messageType: undefined,
    serverId: undefined,
    bootFileOption: undefined,
  };
  let offset = 240;
  while (offset < packet.length) {
    const code = packet[offset]!;
    if (code === 255) break;
    if (code === 0) {
      offset += 1;
      continue;
    }
    const length = packet[offset + 1];
    if (length === undefined || offset + 2 + length > packet.length) break;
    const value = packet.subarray(offset + 2, offset + 2 + length);
    if (code === 53) reply.messageType = value[0];
    else if (code === 54 && length === 4) reply.serverId = ip(value, 0);
    else if (code === 67) reply.bootFileOption = value.toString('latin1').replace(/\0.*$/s, '');
    offset += 2 + length;
  }
  return reply;
}

/** DHCP message type numbers (RFC 2132 §9.6). */
export const DHCP_OFFER = 2;
export const DHCP_ACK = 5;
export const DHCP_NAK = 6;
